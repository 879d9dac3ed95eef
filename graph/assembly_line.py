"""``AssemblyLine``: the app-facing way to run Ohm, with its stores opened for you.

    async with AssemblyLine() as line:
        async for event in line.astream("A soil-moisture monitor on an ESP32"):
            ...

It turns the graph's update, message and custom streams into Ohm's typed events, keeps
each conversation in the checkpointer, and offers history, replay and fork over it. The
sync methods run the async ones on a private event loop thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import StreamMode

from nodes.agents import INTENT_TO_AGENT, SPECIALISTS, resolve_agent, resolve_intent
from nodes.attachments import (
    ATTACHMENTS_KEY,
    attachment_note,
    prepare_files,
    save_attachments,
)
from nodes.classifier import message_text
from nodes.deps import Deps, default_deps
from nodes.limits import check_message, max_reply_chars
from persistence.checkpoints import open_async_saver
from persistence.leases import LeaseLost, ThreadBusy, ThreadLeases
from persistence.store import (
    ArtifactStore,
    NotFoundError,
    StoreError,
    VersionView,
    default_data_dir,
    parse_as_of,
    validate_project_id,
    validate_thread_id,
)
from persistence.visibility import CheckpointCut
from tools.results import outcome_of

from .builder import CompiledOhmGraph, compile_graph, recursion_limit
from .context import OhmContext
from .events import (
    AgentSelected,
    ArtifactRef,
    ArtifactWritten,
    ErrorEvent,
    KeyRotation,
    OhmEvent,
    TextDelta,
    ToolCalled,
    ToolResult,
    TurnFinished,
    TurnResult,
    TurnStarted,
    WarningEvent,
)
from .failures import error_event
from .timeline import Checkpoint, checkpoint_index, next_nodes

if TYPE_CHECKING:
    from tools.attachments import PreparedAttachment

__all__ = ["AssemblyLine", "CheckpointInfo", "ThreadBusy", "TurnError"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class TurnError(Exception):
    """A turn that could not finish; ``event`` says why in one line."""

    def __init__(self, event: ErrorEvent, thread_id: str) -> None:
        super().__init__(event.message)
        self.event = event
        self.thread_id = thread_id


@dataclass(frozen=True)
class CheckpointInfo:
    checkpoint_id: str
    parent_id: str | None
    step: int
    node: str
    """The node whose writes produced this checkpoint ("input" for a new message)."""
    next: tuple[str, ...]
    intent: str | None
    agent: str | None
    route: str | None
    created_at: str | None
    message: str
    """The newest message at this checkpoint, shortened."""
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    """Artifact versions written by the step that produced this checkpoint."""
    route_confidence: float | None = None
    """The local router's confidence when it chose the agent (route "local")."""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__ | {"next": list(self.next)}


def _opens(c: Checkpoint, by_id: dict[str, Checkpoint]) -> bool:
    """True for the checkpoint that starts a turn: the step right after its input."""
    parent = by_id.get(c.parent_id) if c.parent_id else None
    return parent is not None and parent.source == "input"


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _short_args(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in args.items():
        if isinstance(v, str):
            out[k] = _clip(v, 200)
        elif isinstance(v, (dict, list)):
            out[k] = _clip(json.dumps(v, ensure_ascii=False), 200)
        else:
            out[k] = v
    return out


def _tool_summary(msg: ToolMessage) -> tuple[bool, str]:
    """Whether the call worked and one short line about it, from its typed outcome."""
    outcome = outcome_of(msg)
    return outcome.ok, _clip(outcome.summary)


class AssemblyLine:
    """Opens the artifact store and the checkpointer and runs turns through the graph."""

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        database_url: str | None = None,
        store: ArtifactStore | None = None,
        deps: Deps | None = None,
        checkpointer: BaseCheckpointSaver | None = None,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self._database_url = database_url
        self._store: ArtifactStore | None = store or (deps.store() if deps else None)
        self._deps = deps
        self._checkpointer = checkpointer
        self._graph: CompiledOhmGraph | None = None
        self._stack: AsyncExitStack | None = None
        self._open_lock: asyncio.Lock | None = None
        self._loop_thread: _LoopThread | None = None
        self._leases: ThreadLeases | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def store(self) -> ArtifactStore:
        if self._store is None:
            self._store = ArtifactStore.open(self.data_dir, self._database_url)
        return self._store

    async def open(self) -> AssemblyLine:
        if self._graph is not None:
            return self
        store = self.store
        deps = self._deps or default_deps(lambda: store)
        self._stack = AsyncExitStack()
        saver = self._checkpointer
        if saver is None:
            saver = await self._stack.enter_async_context(open_async_saver(self.data_dir))
        self._graph = compile_graph(deps, checkpointer=saver)
        self._leases = ThreadLeases(store)
        return self

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
        self._graph = None

    async def __aenter__(self) -> AssemblyLine:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def close(self) -> None:
        """Close a line used through the sync methods."""
        if self._loop_thread is not None:
            self._loop_thread.run(self.aclose())
            self._loop_thread.stop()
            self._loop_thread = None
        if self._store is not None:
            self._store.close()

    @property
    def graph(self) -> CompiledOhmGraph:
        if self._graph is None:
            raise RuntimeError("AssemblyLine is not open: use `async with AssemblyLine()`")
        return self._graph

    # ---------------------------------------------------------------------- turns

    def _config(self, thread_id: str, checkpoint_id: str | None = None) -> RunnableConfig:
        conf: dict[str, Any] = {"thread_id": thread_id, "run_id": uuid.uuid4().hex}
        if checkpoint_id:
            conf["checkpoint_id"] = checkpoint_id
        return {"configurable": conf, "recursion_limit": recursion_limit()}

    def _context(
        self,
        project: str,
        thread_id: str,
        agent: str | None,
        models: dict[str, str] | None,
        temperatures: dict[str, float] | None,
    ) -> OhmContext:
        return OhmContext(
            project=project,
            thread_id=thread_id,
            agent=resolve_agent(agent) if agent else None,
            models=dict(models or {}),
            temperatures=dict(temperatures or {}),
        )

    async def _check_thread(self, project: str, thread_id: str) -> None:
        validate_project_id(project)
        validate_thread_id(thread_id)
        owner = self.store.known_thread_project(thread_id) or await asyncio.to_thread(
            self.store.thread_project, thread_id
        )
        if owner is not None and owner != project:
            raise StoreError(f"thread {thread_id!r} belongs to project {owner!r}, not {project!r}")

    async def astream(
        self,
        message: str,
        *,
        project: str = "default",
        thread: str | None = None,
        agent: str | None = None,
        models: dict[str, str] | None = None,
        temperatures: dict[str, float] | None = None,
        wait: float | None = None,
        deltas: bool = True,
        attachments: Sequence[str | Path | PreparedAttachment] | None = None,
    ) -> AsyncGenerator[OhmEvent, None]:
        """Run one turn and yield its events; the last is ``done`` or ``error``.

        ``attachments`` are file paths (or files already checked with
        ``tools.attachments``): JPEG, PNG or WebP photos and PDFs. Every file is checked
        before anything is saved; a bad one raises ``AttachmentError`` (a ValueError).

        One turn runs at a time per thread, across processes: when another holds the
        thread this waits up to ``wait`` seconds (default: not at all), then raises
        :class:`ThreadBusy` before anything is saved. With ``deltas=False`` no ``text``
        events are produced and the models answer in one piece instead of streaming,
        which costs a fraction of the CPU (see docs/benchmarks.md)."""
        check_message(message)
        files = await asyncio.to_thread(prepare_files, attachments) if attachments else []
        await self.open()
        thread_id = thread or uuid.uuid4().hex[:12]
        await self._check_thread(project, thread_id)
        ctx = self._context(project, thread_id, agent, models, temperatures)

        async def turn() -> AsyncIterator[OhmEvent]:
            human = HumanMessage(message)
            if files:
                refs = await asyncio.to_thread(
                    save_attachments, self.store, project, thread_id, files
                )
                human.additional_kwargs[ATTACHMENTS_KEY] = refs
            yield TurnStarted(project=project, thread_id=thread_id, message=message)
            async for ev in self._run({"messages": [human]}, self._config(thread_id), ctx, deltas):
                yield ev

        async for ev in self._leased(thread_id, wait, turn):
            yield ev

    async def _leased(
        self,
        thread_id: str,
        wait: float | None,
        body: Callable[[], AsyncIterator[OhmEvent]],
    ) -> AsyncIterator[OhmEvent]:
        """Run ``body`` holding the thread's lease. Its final event (done or error) is
        held back until the lease is given back, so the thread is free by the time anyone
        sees the end. If the lease is lost mid-turn (this process stalled past it and
        another took over), the turn is cancelled and ends with an error event."""
        if self._leases is None:
            raise RuntimeError("AssemblyLine is not open")
        lost = asyncio.Event()
        task = asyncio.current_task()

        def on_lost() -> None:
            lost.set()
            if task is not None:
                task.cancel()

        final: OhmEvent | None = None
        async with self._leases.hold(thread_id, wait=wait or 0.0, on_lost=on_lost):
            try:
                async for ev in body():
                    if isinstance(ev, (TurnFinished, ErrorEvent)):
                        final = ev
                    else:
                        yield ev
            except asyncio.CancelledError:
                if not lost.is_set() or task is None:
                    raise
                task.uncancel()
                final = self._error_event(
                    LeaseLost(
                        f"another process took thread {thread_id} over because this turn "
                        "could not renew its lease in time"
                    ),
                    thread_id,
                )
        if final is not None:
            yield final

    async def _run(
        self, graph_input: Any, config: RunnableConfig, ctx: OhmContext, deltas: bool = True
    ) -> AsyncIterator[OhmEvent]:
        thread_id = str(config["configurable"]["thread_id"])
        events: list[OhmEvent] = []
        artifacts: list[ArtifactRef] = []
        reply_parts: list[str] = []
        final: AIMessage | None = None
        current_agent: str | None = None
        reply_cap = max_reply_chars()
        streamed: dict[str, int] = {}
        # "checkpoints" hands over each checkpoint as it is saved; the last one is the
        # turn's end, so its id and routing values need no read back from the database.
        modes: list[StreamMode] = ["updates", "custom", "checkpoints"]
        last_saved: dict[str, Any] | None = None

        def keep(ev: OhmEvent) -> OhmEvent:
            events.append(ev)
            return ev

        try:
            async for item in self.graph.astream(
                graph_input,
                config,
                context=ctx,
                # The "messages" mode is what makes the models stream: without a
                # consumer for the text deltas, each answer comes back in one piece.
                stream_mode=[*modes, "messages"] if deltas else modes,
            ):
                mode, chunk = cast(tuple[str, Any], item)
                if mode == "checkpoints":
                    last_saved = chunk
                elif mode == "messages":
                    msg, meta = chunk
                    node = meta.get("langgraph_node")
                    if (
                        node in SPECIALISTS
                        and isinstance(msg, AIMessageChunk)
                        and isinstance(msg.content, str)
                        and msg.content
                    ):
                        # Stream no further than a reply may be long; the saved reply is
                        # cut at the same place, with a note, and a warning follows.
                        room = reply_cap - streamed.get(node, 0)
                        if room > 0:
                            streamed[node] = streamed.get(node, 0) + len(msg.content)
                            yield TextDelta(agent=node, text=msg.content[:room])
                elif mode == "custom":
                    ev = self._custom_event(chunk, current_agent)
                    if ev is not None:
                        if isinstance(ev, ArtifactWritten) and not ev.deleted:
                            artifacts.append(
                                ArtifactRef(type=ev.artifact_type, path=ev.path, version=ev.version)
                            )
                        yield keep(ev)
                elif mode == "updates":
                    for node, update in chunk.items():
                        if not isinstance(update, dict):
                            continue
                        if node in ("entry", "classify") and update.get("agent"):
                            current_agent = update["agent"]
                            yield keep(
                                AgentSelected(
                                    agent=update["agent"],
                                    intent=update.get("intent"),
                                    route=update.get("route") or "classifier",
                                    reason=update.get("route_reason"),
                                    confidence=update.get("route_confidence"),
                                )
                            )
                        for m in update.get("messages") or []:
                            if isinstance(m, AIMessage) and node in SPECIALISTS:
                                current_agent = node
                                for tc in m.tool_calls:
                                    yield keep(
                                        ToolCalled(
                                            agent=node,
                                            tool=tc["name"],
                                            call_id=tc.get("id") or "",
                                            args=_short_args(tc.get("args") or {}),
                                        )
                                    )
                                if not m.tool_calls:
                                    final = m
                                elif message_text(m).strip():
                                    reply_parts.append(message_text(m))
                            elif isinstance(m, ToolMessage):
                                ok, summary = _tool_summary(m)
                                yield keep(
                                    ToolResult(
                                        agent=current_agent or node.removesuffix("_tools"),
                                        tool=m.name or "",
                                        call_id=m.tool_call_id,
                                        ok=ok,
                                        summary=summary,
                                    )
                                )
        except Exception as exc:  # every failure becomes one event, never a traceback
            yield self._error_event(exc, thread_id)
            return

        if last_saved is not None:
            values = dict(last_saved.get("values") or {})
            checkpoint_id = last_saved["config"]["configurable"].get("checkpoint_id")
        else:  # nothing ran (a resume with nothing left): read the newest checkpoint's row
            saver = self.graph.checkpointer
            assert isinstance(saver, BaseCheckpointSaver)
            latest = await saver.aget_tuple(
                {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
            )
            values = dict(latest.checkpoint["channel_values"]) if latest else {}
            checkpoint_id = latest.config["configurable"].get("checkpoint_id") if latest else None
        ohm_meta = (final.response_metadata.get("ohm") if final is not None else None) or {}
        result = TurnResult(
            project=ctx.project,
            thread_id=thread_id,
            checkpoint_id=checkpoint_id,
            intent=values.get("intent"),
            agent=values.get("agent"),
            route=values.get("route"),
            route_reason=values.get("route_reason"),
            route_confidence=values.get("route_confidence"),
            reply=message_text(final) if final is not None else "\n\n".join(reply_parts),
            artifacts=artifacts,
            events=[e.public() for e in events],
            limited=bool(ohm_meta.get("limited")),
        )
        yield TurnFinished(result=result)

    @staticmethod
    def _custom_event(chunk: Any, agent: str | None) -> OhmEvent | None:
        if not isinstance(chunk, dict) or not isinstance(chunk.get("ohm"), dict):
            return None
        data = chunk["ohm"]
        kind = data.get("event")
        if kind == "artifact_written":
            return ArtifactWritten(
                agent=agent,
                artifact_type=data["artifact_type"],
                path=data.get("path"),
                version=int(data["version"]),
                created=bool(data.get("created", True)),
                deleted=bool(data.get("deleted", False)),
                errors=int(data.get("findings") or 0),
            )
        if kind == "warning":
            return WarningEvent(message=str(data.get("message", "")))
        if kind == "key_rotation":
            return KeyRotation(
                from_key=data.get("from_key"),
                to_key=data.get("to_key"),
                reason=str(data.get("reason", "")),
            )
        return None

    @staticmethod
    def _error_event(exc: Exception, thread_id: str) -> ErrorEvent:
        return error_event(exc, thread_id)

    async def achat(self, message: str, **kwargs: Any) -> TurnResult:
        """Run one turn and return its result; raises TurnError when it cannot finish.
        The result carries no text deltas, so the models are not asked to stream."""
        kwargs.setdefault("deltas", False)
        return await self._collect(self.astream(message, **kwargs), kwargs.get("thread"))

    async def _collect(
        self, stream: AsyncGenerator[OhmEvent, None], thread: str | None
    ) -> TurnResult:
        thread_id = thread or ""
        async with aclosing(stream) as events:
            async for ev in events:
                if isinstance(ev, TurnStarted):
                    thread_id = ev.thread_id
                elif isinstance(ev, ErrorEvent):
                    raise TurnError(ev, thread_id)
                elif isinstance(ev, TurnFinished):
                    return ev.result
        raise TurnError(ErrorEvent(kind="internal", message="the turn ended early"), thread_id)

    # -------------------------------------------------------------- time travel

    async def _index(self, thread_id: str) -> list[Checkpoint]:
        """The thread's checkpoints, oldest first, read without rebuilding the
        conversation at each (see ``graph.timeline``)."""
        await self.open()
        saver = self.graph.checkpointer
        if not isinstance(saver, BaseCheckpointSaver):
            raise RuntimeError("the graph has no checkpointer")
        return await checkpoint_index(self.graph, saver, thread_id)

    async def _find(
        self, thread_id: str, checkpoint_id: str
    ) -> tuple[Checkpoint, dict[str, Checkpoint]]:
        by_id = {c.id: c for c in await self._index(thread_id)}
        found = by_id.get(checkpoint_id)
        if found is None:
            raise NotFoundError(f"unknown checkpoint {checkpoint_id!r} in thread {thread_id!r}")
        return found, by_id

    @staticmethod
    def _thread_config(thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    async def ahistory(self, thread_id: str) -> list[CheckpointInfo]:
        """The thread's checkpoints, oldest first, with the artifacts each step wrote."""
        index = await self._index(thread_id)
        if not index:
            raise NotFoundError(f"unknown thread {thread_id!r} (no checkpoints)")
        by_id = {c.id: c for c in index}
        versions = self.store.versions_by_thread(thread_id)
        written: dict[str, list[VersionView]] = {}
        for v in versions:
            if v.checkpoint_id:
                written.setdefault(v.checkpoint_id, []).append(v)
        out: list[CheckpointInfo] = []
        for c in index:
            parent = by_id.get(c.parent_id) if c.parent_id else None
            source = c.source
            node = "input" if source == "input" else ("+".join(parent.next) if parent else "?")
            if source in ("update", "fork"):
                node = f"{source}:{node}"
            out.append(
                CheckpointInfo(
                    checkpoint_id=c.id,
                    parent_id=c.parent_id,
                    step=c.step,
                    node=node,
                    next=c.next,
                    intent=c.values.get("intent"),
                    agent=c.values.get("agent"),
                    route=c.values.get("route"),
                    created_at=c.created_at,
                    message=(
                        _clip(message_text(c.newest)) + attachment_note(c.newest)
                        if c.newest is not None
                        else ""
                    ),
                    artifacts=[v.summary() for v in written.get(c.parent_id or "", [])],
                    route_confidence=c.values.get("route_confidence"),
                )
            )
        return out

    async def _turn_base(self, thread_id: str, checkpoint_id: str) -> Checkpoint:
        """The checkpoint where ``checkpoint_id``'s turn was routed: classify's output (on
        threads saved with an ``entry`` step, entry's output)."""
        found, by_id = await self._find(thread_id, checkpoint_id)
        cur: Checkpoint | None = found
        while cur is not None and cur.source != "input":
            # Stop at the turn's input checkpoint: walking further would fork the turn before.
            parent = by_id.get(cur.parent_id) if cur.parent_id else None
            if parent is None:
                break
            routed_here = parent.next == ("classify",) and _opens(parent, by_id)
            if parent.next == ("entry",) or routed_here:
                return cur
            cur = parent
        raise StoreError(
            f"checkpoint {checkpoint_id!r} comes before its turn was routed; fork from the "
            "turn's classify checkpoint or a later one"
        )

    async def areplay_stream(
        self,
        thread_id: str,
        checkpoint_id: str,
        *,
        intent: str | None = None,
        wait: float | None = None,
    ) -> AsyncGenerator[OhmEvent, None]:
        """Run again from a checkpoint; with ``intent``, fork the turn as if the classifier
        had chosen it. Either way a new branch is written and nothing is overwritten. Like
        a turn, it holds the thread's lease while it runs."""
        await self.open()
        thread = self.store.get_thread(thread_id)
        ctx = OhmContext(project=thread.project_id, thread_id=thread_id)

        async def run() -> AsyncIterator[OhmEvent]:
            if intent is None:
                found, by_id = await self._find(thread_id, checkpoint_id)
                if not found.next:
                    raise StoreError(
                        f"checkpoint {checkpoint_id!r} ends a turn, so nothing runs from it; "
                        "replay an earlier checkpoint or fork this one with an intent"
                    )
                config = self._config(thread_id, checkpoint_id)
                _view_at(ctx, checkpoint_cut(found, by_id, thread_id))
            else:
                chosen = resolve_intent(intent)
                base = await self._turn_base(thread_id, checkpoint_id)
                new_config = await self.graph.aupdate_state(
                    base.config,
                    {
                        "intent": chosen,
                        "agent": INTENT_TO_AGENT[chosen],
                        "route": "forced",
                        "route_reason": f"fork of checkpoint {checkpoint_id} as {chosen}",
                        "steps": 0,
                    },
                    as_node="classify",
                )
                fork_id = str(new_config["configurable"]["checkpoint_id"])
                config = self._config(thread_id, fork_id)
                _view_at(ctx, await self.acheckpoint_cut(thread_id, fork_id))
                yield AgentSelected(
                    agent=INTENT_TO_AGENT[chosen],
                    intent=chosen,
                    route="forced",
                    reason=f"fork of checkpoint {checkpoint_id} as {chosen}",
                )
            async for ev in self._run(None, config, ctx):
                yield ev

        async for ev in self._leased(thread_id, wait, run):
            yield ev

    async def areplay(
        self,
        thread_id: str,
        checkpoint_id: str,
        *,
        intent: str | None = None,
        wait: float | None = None,
    ) -> TurnResult:
        return await self._collect(
            self.areplay_stream(thread_id, checkpoint_id, intent=intent, wait=wait), thread_id
        )

    async def aresume_stream(
        self, thread_id: str, *, wait: float | None = None
    ) -> AsyncGenerator[OhmEvent, None]:
        """Finish a turn that stopped part way (for example when no key was available, or
        its process was killed), from its last checkpoint; the user's message was saved
        before anything failed."""
        await self.open()
        thread = self.store.get_thread(thread_id)
        ctx = OhmContext(project=thread.project_id, thread_id=thread_id)

        async def run() -> AsyncIterator[OhmEvent]:
            # Read the thread's end under the lease: a turn that was running has finished.
            if not await self.aunfinished(thread_id):
                raise StoreError(f"thread {thread_id!r} has no unfinished turn")
            async for ev in self._run(None, self._config(thread_id), ctx):
                yield ev

        async for ev in self._leased(thread_id, wait, run):
            yield ev

    async def aunfinished(self, thread_id: str) -> bool:
        """True when the thread's newest checkpoint still has a step to run: a turn stopped
        part way. Read from the checkpoint's row, by its triggers: LangGraph's own
        ``next`` leaves out a step whose writes were saved just before a process died, and
        would call such a turn finished."""
        await self.open()
        saver = self.graph.checkpointer
        assert isinstance(saver, BaseCheckpointSaver)
        latest = await saver.aget_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        )
        if latest is None:
            raise NotFoundError(f"unknown thread {thread_id!r}")
        return bool(next_nodes(self.graph, latest))

    async def aresume(self, thread_id: str, *, wait: float | None = None) -> TurnResult:
        """Finish a turn that stopped part way; see ``aresume_stream``."""
        return await self._collect(self.aresume_stream(thread_id, wait=wait), thread_id)

    async def aartifacts_at(self, thread_id: str, checkpoint_id: str) -> list[VersionView]:
        """The project's artifacts as they were when ``checkpoint_id`` was saved: versions
        written on this checkpoint's own branch up to it, plus other threads' versions
        written before it; versions of other branches of this thread are left out."""
        cut = await self.acheckpoint_cut(thread_id, checkpoint_id)
        thread = self.store.get_thread(thread_id)
        return self.store.visible_at(thread.project_id, cut)

    async def acheckpoint_cut(self, thread_id: str, checkpoint_id: str) -> CheckpointCut:
        """Checkpoint ``checkpoint_id`` as the artifact store sees it (its branch and its
        moment), for ``ArtifactStore.visible_at``."""
        found, by_id = await self._find(thread_id, checkpoint_id)
        return checkpoint_cut(found, by_id, thread_id)

    # ------------------------------------------------------------------ sync API

    def _sync(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop_thread is None:
            self._loop_thread = _LoopThread()
        return self._loop_thread.run(coro)

    def chat(self, message: str, **kwargs: Any) -> TurnResult:
        return self._sync(self.achat(message, **kwargs))

    def history(self, thread_id: str) -> list[CheckpointInfo]:
        return self._sync(self.ahistory(thread_id))

    def replay(
        self,
        thread_id: str,
        checkpoint_id: str,
        *,
        intent: str | None = None,
        wait: float | None = None,
    ) -> TurnResult:
        return self._sync(self.areplay(thread_id, checkpoint_id, intent=intent, wait=wait))

    def resume(self, thread_id: str, *, wait: float | None = None) -> TurnResult:
        return self._sync(self.aresume(thread_id, wait=wait))

    def artifacts_at(self, thread_id: str, checkpoint_id: str) -> list[VersionView]:
        return self._sync(self.aartifacts_at(thread_id, checkpoint_id))


def checkpoint_cut(
    found: Checkpoint, by_id: dict[str, Checkpoint], thread_id: str
) -> CheckpointCut:
    """``found``'s branch (its ancestors) and its moment. A checkpoint written by a state
    update or a fork (no step ran) stands for the moment of the step it was made from,
    so a fork sees the project as it was where it branched off."""
    lineage: set[str] = set()
    moment: str | None = None
    cur: Checkpoint | None = found
    while cur is not None:
        if moment is None and cur.source not in ("update", "fork"):
            moment = cur.created_at
        if cur.parent_id:
            lineage.add(cur.parent_id)
        cur = by_id.get(cur.parent_id) if cur.parent_id else None
    until = parse_as_of(moment or found.created_at) or datetime.now(UTC)
    return CheckpointCut(
        until=until, thread_id=thread_id, lineage=frozenset(lineage), checkpoint_id=found.id
    )


def _view_at(ctx: OhmContext, cut: CheckpointCut) -> None:
    """Make a run's agents see the project as it was at ``cut``."""
    ctx.as_of = cut.until.isoformat()
    ctx.as_of_lineage = sorted(cut.lineage)


class _LoopThread:
    """An event loop in a daemon thread, so sync callers can use the async saver."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
