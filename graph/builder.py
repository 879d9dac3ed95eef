"""The assembly line as a graph, assembled top to bottom like the picture in the docs:

    START → classify ─┬─ forced agent ──────────────→ <that specialist>   ⇄ tools
                      ├─ a photo / a PDF attached ──→ circuit_inspector | datasheet_analyst
                      ├─ new project's first message → project_initializer ⇄ tools
                      └─ otherwise, by intent ──────→ bom_generator | code_generator |
                                                      wiring_diagram | debugger |
                                                      conversational |
                                                      budget_optimizer ⇄ tools → END
                                                            └─ summary due → summarize → END

``classify`` opens the turn (checks the message, resets the per-turn values) and routes
it in the same step: a forced agent, an attachment or the first message in a project with
no artifacts needs no model call; every other message goes to the local router or the
orchestrator model. One step, not two, because each step costs a checkpoint write.
Routing uses conditional edges (not ``Command(goto=...)``) so a fork made with
``update_state(..., as_node="classify")`` knows where to continue.

Threads saved before this shape have an ``entry`` step in front of ``classify``; the
``entry`` node stays (with no edge into it) so that a turn stopped there, or a recorded
checkpoint waiting for it, still resumes and replays.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextlib import AbstractContextManager
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolInvocationError
from langgraph.runtime import Runtime

from nodes.agents import (
    AGENT_TO_INTENT,
    AGENTS,
    INTENT_TO_AGENT,
    SPECIALISTS,
    ConfigError,
    resolve_agent,
)
from nodes.attachments import attachment_route
from nodes.classifier import message_text
from nodes.deps import Deps, default_deps
from nodes.limits import check_message
from nodes.router import route_intent
from nodes.specialist import run_specialist
from nodes.summary import summary_due, summary_every, write_summary
from nodes.titles import rule_title
from persistence.store import ArtifactStore, WriteMeta
from providers.events import event_sink
from tools.artifacts import build_tools, describe_error

from .context import OhmContext
from .state import InputState, OhmState

log = logging.getLogger(__name__)

GRAPH_NAME = "ohm"
SUMMARIZE = "summarize"

OhmGraph = StateGraph[OhmState, OhmContext, InputState, OhmState]
CompiledOhmGraph = CompiledStateGraph[OhmState, OhmContext, InputState, OhmState]


def _thread_id(runtime: Runtime[OhmContext]) -> str | None:
    info = runtime.execution_info
    return (info.thread_id if info else None) or runtime.context.thread_id


def _context(runtime: Runtime[OhmContext]) -> OhmContext:
    ctx = runtime.context
    if ctx is None:
        return OhmContext()
    if isinstance(ctx, dict):  # a caller that passed a plain mapping
        return OhmContext(**ctx)
    return ctx


def provider_events(runtime: Runtime[OhmContext]) -> AbstractContextManager[None]:
    """Route key-pool events raised under this node's model calls into the custom stream."""
    writer = runtime.stream_writer
    return event_sink(lambda event: writer({"ohm": event}))


def tools_node_name(agent: str) -> str:
    return f"{agent}_tools"


def _tool_error(exc: Exception) -> str:
    if isinstance(exc, ToolInvocationError):  # bad arguments: the model can fix them
        return exc.message
    log.error("tool failed: %s", describe_error(exc))
    return (
        '{"ok": false, "error": "the tool failed: '
        + describe_error(exc).replace('"', "'")
        + '", "hint": "Try again, or carry on without it and tell the user."}'
    )


async def store_of(deps: Deps) -> ArtifactStore:
    """The deps' store; the first call may open the database, so it runs off the loop."""
    store = _opened.get(deps)
    if store is None:
        store = _opened[deps] = await asyncio.to_thread(deps.store)
    return store


_opened: weakref.WeakKeyDictionary[Deps, ArtifactStore] = weakref.WeakKeyDictionary()


def _begun_by_entry(state: OhmState) -> bool:
    """True for a turn whose older ``entry`` step already ran (it cleared ``route``): a
    finished turn always leaves a route behind, and a first message never reaches the
    classifier, so an unset route with earlier replies means the turn was opened."""
    messages = state.get("messages") or []
    return state.get("route") is None and any(isinstance(m, AIMessage) for m in messages[:-1])


async def project_has_artifacts(deps: Deps, project: str) -> bool:
    """True when the project already has a brief or any other artifact: a new thread there
    continues that design (routed like any later message) instead of starting a new one."""
    store = await store_of(deps)
    return bool(await asyncio.to_thread(store.list_latest, project))


def build_graph(deps: Deps | None = None) -> OhmGraph:
    """The uncompiled graph; ``deps`` defaults to the real model factory and store."""
    deps = deps or default_deps()

    async def begin_turn(state: OhmState, runtime: Runtime[OhmContext]) -> dict[str, Any]:
        """Check the turn's message and reset the per-turn values; with a forced agent or
        a first message, also choose the agent (no model call needed)."""
        ctx = _context(runtime)
        messages = state.get("messages") or []
        if not messages or not isinstance(messages[-1], HumanMessage):
            raise ValueError("a turn needs a user message as its last input")
        check_message(message_text(messages[-1]))
        summary_every()  # a bad OHM_SUMMARY_EVERY is one clear line before any work
        thread = _thread_id(runtime)
        if thread:
            title = rule_title(message_text(messages[0]))
            store = await store_of(deps)
            if not store.thread_is_known(thread, ctx.project, titled=bool(title)):
                # The store is synchronous; keep it off the event loop (the dev server checks).
                await asyncio.to_thread(store.ensure_thread, thread, ctx.project, title)
        update: dict[str, Any] = {
            "previous_agent": state.get("agent"),
            "steps": 0,
            "turn": int(state.get("turn") or 0) + 1,
            "intent": None,
            "agent": None,
            "route": None,
            "route_reason": None,
            "route_confidence": None,
        }
        if ctx.agent:
            try:
                agent = resolve_agent(ctx.agent)
            except ConfigError as exc:
                update["route_reason"] = f"ignored forced agent: {exc}"
            else:
                return {
                    **update,
                    "agent": agent,
                    "intent": AGENT_TO_INTENT.get(agent),
                    "route": "forced",
                    "route_reason": f"forced to {agent} by the caller",
                }
        by_files = attachment_route(messages[-1])
        if by_files:  # a photo or a PDF decides the specialist before any classifier
            return {**update, **by_files}
        is_first = not any(isinstance(m, AIMessage) for m in messages[:-1])
        if is_first and not await project_has_artifacts(deps, ctx.project):
            return {
                **update,
                "agent": "project_initializer",
                "route": "initializer",
                "route_reason": "first message of the thread, in a project with no artifacts yet",
            }
        return update

    async def classify(state: OhmState, runtime: Runtime[OhmContext]) -> dict[str, Any]:
        if _begun_by_entry(state):
            update: dict[str, Any] = {}
            previous = state.get("previous_agent")
        else:
            update = await begin_turn(state, runtime)
            if update.get("agent"):
                return update
            previous = update["previous_agent"]
        ctx = _context(runtime)
        with provider_events(runtime):
            decision = await route_intent(
                deps.models,
                list(state.get("messages") or []),
                previous,
                ctx.models,
                ctx.temperatures,
            )
        return {**update, **decision}

    def by_agent(state: OhmState) -> str:
        agent = state.get("agent")
        if agent in SPECIALISTS:
            return str(agent)
        return INTENT_TO_AGENT.get(state.get("intent") or "", "conversational")

    builder: OhmGraph = StateGraph(OhmState, context_schema=OhmContext, input_schema=InputState)
    builder.add_node("classify", classify)
    builder.add_edge(START, "classify")
    builder.add_conditional_edges("classify", by_agent, list(SPECIALISTS))
    # Older threads' first step (see the module docstring): it does classify's work.
    builder.add_node("entry", classify)
    builder.add_conditional_edges("entry", by_agent, list(SPECIALISTS))
    for name in SPECIALISTS:
        _add_specialist(builder, name, deps)

    async def summarize(state: OhmState, runtime: Runtime[OhmContext]) -> dict[str, Any]:
        """Rewrite the running summary (a step only on the turns it is due)."""
        ctx = _context(runtime)
        info = runtime.execution_info
        run_id = (get_config().get("configurable") or {}).get("run_id")
        meta = WriteMeta(
            agent="summarizer",
            thread_id=_thread_id(runtime),
            run_id=str(run_id) if run_id else None,
            checkpoint_id=info.checkpoint_id if info else None,
        )
        with provider_events(runtime):
            await write_summary(
                deps,
                dict(state),
                ctx.project,
                ctx.models,
                ctx.temperatures,
                meta,
                as_of=ctx.as_of,
                as_of_lineage=ctx.as_of_lineage,
            )
        return {}

    builder.add_node(SUMMARIZE, summarize)
    builder.add_edge(SUMMARIZE, END)
    return builder


def _add_specialist(builder: OhmGraph, name: str, deps: Deps) -> None:
    tools = build_tools(name, AGENTS[name].tools, deps.store, deps.checker, deps.project_checker)
    tools_name = tools_node_name(name)

    async def specialist(state: OhmState, runtime: Runtime[OhmContext]) -> dict[str, Any]:
        ctx = _context(runtime)
        run_id = (get_config().get("configurable") or {}).get("run_id")
        with provider_events(runtime):
            update = await run_specialist(
                name,
                dict(state),
                deps,
                tools,
                ctx.project,
                ctx.models,
                ctx.temperatures,
                as_of=ctx.as_of,
                run_id=str(run_id) if run_id else None,
                as_of_lineage=ctx.as_of_lineage,
                thread_id=_thread_id(runtime),
            )
        last = update["messages"][-1]
        cut = (last.response_metadata.get("ohm") or {}).get("cut_from")
        if cut:
            runtime.stream_writer(
                {
                    "ohm": {
                        "event": "warning",
                        "message": f"the {name} reply was {cut:,} characters and was cut",
                    }
                }
            )
        thread = _thread_id(runtime)
        if thread and isinstance(last, AIMessage) and not last.tool_calls:
            store = await store_of(deps)
            if not store.agent_is_known(thread, name):
                await asyncio.to_thread(store.set_thread_agent, thread, name)
        return update

    def next_step(state: OhmState) -> str:
        messages = state.get("messages") or []
        if messages and isinstance(messages[-1], AIMessage) and messages[-1].tool_calls:
            return tools_name
        if messages and isinstance(messages[-1], ToolMessage):
            return name  # calls the specialist refused to run: the model answers the errors
        return SUMMARIZE if summary_due(dict(state)) else END

    specialist.__name__ = name
    builder.add_node(name, specialist)
    builder.add_node(tools_name, ToolNode(tools, handle_tool_errors=_tool_error))
    builder.add_conditional_edges(name, next_step, [tools_name, name, SUMMARIZE, END])
    builder.add_edge(tools_name, name)


def compile_graph(
    deps: Deps | None = None, checkpointer: BaseCheckpointSaver | None = None
) -> CompiledOhmGraph:
    """Compile for an app (with a checkpointer) or for the dev server (without one)."""
    return build_graph(deps).compile(checkpointer=checkpointer, name=GRAPH_NAME)


def recursion_limit() -> int:
    """Enough supersteps for the longest specialist loop plus entry and classify."""
    return 2 * max(spec.max_steps for spec in AGENTS.values()) + 10
