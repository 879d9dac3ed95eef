"""A specialist: a model bound to its tools, called in a loop with its ToolNode.

Each call sees the agent's system prompt, a snapshot of the project's artifacts (so it
does not spend a round trip listing them), the latest running summary of the conversation
(nodes/summary.py), the earlier turns as plain user/assistant text, and the current turn
in full (tool calls and results included).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage

from persistence.store import VersionView, parse_as_of
from persistence.visibility import context_cut
from providers.answers import scrub_message
from tools.results import outcome_of

from .agents import AGENTS, AgentSpec, agent_spec
from .attachments import has_attachments, with_attachments
from .broken_calls import native_calls, refused_calls
from .classifier import message_text
from .deps import Deps
from .limits import cut_reply
from .memo import derived
from .summary import summary_section

log = logging.getLogger(__name__)

HISTORY_MESSAGES = 16


def split_turn(messages: list[AnyMessage]) -> tuple[list[AnyMessage], list[AnyMessage]]:
    """(earlier turns, current turn); the current turn starts at the last user message."""
    for i in range(len(messages) - 1, -1, -1):
        if isinstance(messages[i], HumanMessage):
            return messages[:i], messages[i:]
    return [], list(messages)


def condensed_history(earlier: list[AnyMessage], limit: int = HISTORY_MESSAGES) -> list[AnyMessage]:
    """Earlier turns as user text and final replies only: tool traffic of other agents
    (whose tools this agent may not have) stays out, and the artifacts carry the facts."""
    out: list[AnyMessage] = []
    for m in earlier:
        if isinstance(m, HumanMessage):
            out.append(HumanMessage(message_text(m)))
        elif isinstance(m, AIMessage) and not m.tool_calls and message_text(m).strip():
            out.append(AIMessage(message_text(m)))
    out = out[-limit:]
    while out and not isinstance(out[0], HumanMessage):
        out.pop(0)
    return out


def project_snapshot(project: str, versions: list[VersionView], *, as_of: bool = False) -> str:
    when = "as they were at the checkpoint this run starts from" if as_of else "latest versions"
    if not versions:
        return f"Project `{project}` has no artifacts yet."
    lines = [f"Project `{project}` artifacts ({when}):"]
    for v in versions:
        name = f"code {v.path}" if v.type == "code" else v.type
        errors = sum(1 for f in v.findings if f.get("severity") == "error")
        flag = f", {errors} check error(s)" if errors else ""
        lines.append(f"- {name}: v{v.version} by {v.agent or 'user'}{flag}")
    return "\n".join(lines)


def limit_message(agent: str, steps: int, turn: list[AnyMessage]) -> str:
    written, open_errors = _turn_writes(turn)
    done = f" So far this turn I saved: {', '.join(written)}." if written else ""
    unresolved = ""
    if open_errors:
        shown = "; ".join(open_errors[:3])
        unresolved = (
            f" Ohm's checks still report {len(open_errors)} error(s) I could not fix: "
            f"{shown}. Please review them before building."
        )
    return (
        f"I stopped after {steps} model steps, the limit for the {AGENTS[agent].title} "
        f"specialist in one turn, before I could finish.{done}{unresolved} Send 'continue' "
        "to let me pick up where I left off, or narrow the request."
    )


def _turn_writes(turn: list[AnyMessage]) -> tuple[list[str], list[str]]:
    """What this turn saved, and the check errors its latest write of each kind left."""
    written: list[str] = []
    errors_by_kind: dict[str, list[str]] = {}
    for m in turn:
        if not isinstance(m, ToolMessage):
            continue
        outcome = outcome_of(m)
        for w in outcome.written:
            written.append(f"{w.type}{' ' + w.path if w.path else ''} v{w.version}")
        for kind in {w.type for w in outcome.written}:
            errors_by_kind[kind] = [
                f"{f.get('rule')}: {f.get('message')}" for f in outcome.check_errors
            ]
    return written, [e for errs in errors_by_kind.values() for e in errs]


def must_call_a_tool(spec: AgentSpec, tools: list[Any], steps: int, turn: list[AnyMessage]) -> bool:
    """Whether this step's request asks for a tool call: only for an agent configured so
    (``require_tool_calls``) that has a write tool, while the turn has saved nothing, and
    never on the last step of the budget."""
    if not spec.require_tool_calls or steps + 1 >= spec.max_steps:
        return False
    if not any(str(getattr(t, "name", "")).startswith("write") for t in tools):
        return False
    written, _ = _turn_writes(turn)
    return not written


def route_meta(state: dict[str, Any], agent: str) -> dict[str, Any]:
    return {
        "agent": agent,
        "intent": state.get("intent"),
        "route": state.get("route"),
        "route_reason": state.get("route_reason"),
        "route_confidence": state.get("route_confidence"),
    }


async def run_specialist(
    name: str,
    state: dict[str, Any],
    deps: Deps,
    tools: list[Any],
    project: str,
    models: dict[str, str] | None,
    temperatures: dict[str, float] | None,
    as_of: str | None = None,
    run_id: str | None = None,
    as_of_lineage: list[str] | None = None,
    thread_id: str | None = None,
) -> dict[str, Any]:
    # Config files, the store and the model are synchronous work: do it off the loop, in
    # one hop (each hop waits its turn in the shared worker pool).
    def prepare() -> tuple[Any, str, Any]:
        spec = agent_spec(name, models, temperatures)
        if steps >= spec.max_steps:
            return spec, "", None
        cut = context_cut(parse_as_of(as_of), thread_id, as_of_lineage)
        st = deps.store()
        seen = st.list_latest(project) if cut is None else st.visible_at(project, cut, run_id)
        snapshot = project_snapshot(project, seen, as_of=cut is not None)
        summary = summary_section(seen)
        if summary:
            snapshot = f"{snapshot}\n\n---\n{summary}"
        return spec, f"{spec.prompt}\n\n---\n{snapshot}", deps.models(spec)

    steps = int(state.get("steps") or 0)
    spec, prompt, model = await asyncio.to_thread(prepare)
    messages: list[AnyMessage] = list(state.get("messages", []))
    earlier, turn = split_turn(messages)
    meta = route_meta(state, name)
    if has_attachments(turn):  # the files' bytes join the request only now
        turn = await asyncio.to_thread(with_attachments, turn, deps.store)

    if steps >= spec.max_steps:
        reply = AIMessage(limit_message(name, steps, turn))
        reply.response_metadata["ohm"] = {**meta, "limited": True}
        return {"messages": [reply], "steps": steps}

    system = SystemMessage(prompt)
    if tools and must_call_a_tool(spec, tools, steps, turn):
        bound = derived(
            "tools-required",
            (model, tools),
            lambda: model.bind_tools(tools, tool_choice="required"),
        )
    elif tools:
        bound = derived("tools", (model, tools), lambda: model.bind_tools(tools))
    else:
        bound = model
    history = condensed_history(earlier)
    response = await bound.ainvoke([system, *history, *turn])
    steps += 1
    if not isinstance(response, AIMessage):
        response = AIMessage(message_text(response))
    response, steps = await native_calls(
        response, spec, tools, steps, lambda extra: bound.ainvoke([system, *history, *turn, *extra])
    )
    response = scrub_message(response)  # a key split over two events of the stream

    if response.tool_calls and steps >= spec.max_steps:
        # The last allowed step still wants tools: end the turn honestly instead.
        text = message_text(response).strip()
        note = limit_message(name, steps, turn)
        reply = AIMessage(f"{text}\n\n{note}" if text else note, id=response.id)
        reply.response_metadata["ohm"] = {**meta, "limited": True}
        return {"messages": [reply], "steps": steps}

    refused = refused_calls(response, spec.max_tokens)
    if refused:
        # Nothing of a cut or unreadable call runs; the results go back to the model.
        response.response_metadata["ohm"] = {**meta, "refused_calls": len(refused)}
        return {"messages": [response, *refused], "steps": steps}

    text, cut_from = cut_reply(message_text(response))
    if cut_from is not None:
        response.content = text
    if not response.tool_calls:
        response.response_metadata["ohm"] = meta
        if not text.strip():
            response.content = "(The specialist finished without a written reply.)"
    if cut_from is not None:
        response.response_metadata["ohm"] = {**meta, "cut_from": cut_from}
    return {"messages": [response], "steps": steps}
