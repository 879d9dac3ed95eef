"""``AssemblyLine``: the app-facing way to run Ohm, with its stores opened for you.

    async with AssemblyLine() as line:
        async for event in line.astream("A soil-moisture monitor on an ESP32"):
            ...

It keeps each conversation in the checkpointer and runs one turn at a time per thread
(the thread's lease). What lives where:

- here: the class, opening and closing its stores, a turn's lease and the sync methods;
- :mod:`graph.stream_events`: the graph's stream chunks turned into Ohm's typed events;
- :mod:`graph.time_travel`: history, replay, fork, resume and artifacts at a checkpoint;
- :mod:`graph.failures`: the words for every expected failure.

The sync methods run the async ones on a private event loop thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack, aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver

from nodes.agents import resolve_agent
from nodes.attachments import ATTACHMENTS_KEY, prepare_files, save_attachments
from nodes.classifier import message_text
from nodes.deps import Deps, default_deps
from nodes.limits import check_message
from nodes.titles import TITLE_TIMEOUT_S, model_title, rule_title
from persistence.checkpoints import open_async_saver
from persistence.leases import LeaseLost, ThreadBusy, ThreadLeases
from persistence.store import (
    ArtifactStore,
    StoreError,
    VersionView,
    default_data_dir,
    validate_project_id,
    validate_thread_id,
)

from .builder import CompiledOhmGraph, compile_graph, recursion_limit
from .context import OhmContext
from .events import ErrorEvent, OhmEvent, TurnFinished, TurnResult, TurnStarted
from .failures import error_event
from .stream_events import turn_events
from .time_travel import CheckpointInfo, TimeTravel, checkpoint_cut

if TYPE_CHECKING:
    from tools.attachments import PreparedAttachment

__all__ = ["AssemblyLine", "CheckpointInfo", "ThreadBusy", "TurnError", "checkpoint_cut"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class TurnError(Exception):
    """A turn that could not finish; ``event`` says why in one line."""

    def __init__(self, event: ErrorEvent, thread_id: str) -> None:
        super().__init__(event.message)
        self.event = event
        self.thread_id = thread_id


class AssemblyLine(TimeTravel):
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
        self._run_deps: Deps | None = None
        self._titles: set[asyncio.Task[None]] = set()

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
        self._run_deps = deps
        self._stack = AsyncExitStack()
        saver = self._checkpointer
        if saver is None:
            saver = await self._stack.enter_async_context(open_async_saver(self.data_dir))
        self._graph = compile_graph(deps, checkpointer=saver)
        self._leases = ThreadLeases(store)
        return self

    async def aclose(self) -> None:
        await self._finish_titles()
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

    async def _check_thread(self, project: str, thread_id: str) -> bool:
        """Refuse a thread of another project; True when the thread has no title yet (it
        is new, or was created empty), so this turn may be its first exchange."""
        validate_project_id(project)
        validate_thread_id(thread_id)
        if self.store.thread_is_known(thread_id, project, titled=True):
            return False  # this process saw it, in this project, with a title
        owner = self.store.known_thread_project(thread_id)
        untitled = True
        if owner is None:
            found = await asyncio.to_thread(self.store.find_thread, thread_id)
            owner = found.project_id if found else None
            untitled = found is None or not found.title
        if owner is not None and owner != project:
            raise StoreError(f"thread {thread_id!r} belongs to project {owner!r}, not {project!r}")
        return untitled

    # --------------------------------------------------------------------- titles

    def _start_title(self, thread_id: str, ctx: OhmContext) -> None:
        """Ask the titler for a better title of a thread that just had its first
        exchange, in the background: the turn is already over when this runs."""
        deps = self._run_deps
        if deps is None or deps.offline():
            return  # offline the rule title stays (no simulated call)
        task = asyncio.create_task(self._title(thread_id, ctx, deps), name=f"ohm-title-{thread_id}")
        self._titles.add(task)
        task.add_done_callback(self._titles.discard)

    async def _title(self, thread_id: str, ctx: OhmContext, deps: Deps) -> None:
        try:
            state = await self.graph.aget_state({"configurable": {"thread_id": thread_id}})
            messages = list(state.values.get("messages") or [])
            users = [m for m in messages if isinstance(m, HumanMessage)]
            replies = [m for m in messages if isinstance(m, AIMessage) and not m.tool_calls]
            if len(users) != 1 or not replies:
                return  # not the first exchange (or it has no reply to go by)
            first, reply = message_text(users[0]), message_text(replies[-1])
            title = await model_title(deps, first, reply, ctx.models, ctx.temperatures)
            if title:
                rule = rule_title(first)
                await asyncio.to_thread(self.store.retitle_thread, thread_id, rule, title)
        except Exception as exc:  # a title is never worth a failure anywhere
            log.warning("the thread title was not changed: %s", type(exc).__name__)

    async def _finish_titles(self, timeout_s: float = TITLE_TIMEOUT_S) -> None:
        """Let titles being made finish (a short wait at most), then give up on them."""
        pending = [t for t in self._titles if not t.done()]
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)

    async def awaiting_titles(self) -> None:
        """Wait until the titles started so far are written (or have failed)."""
        await self._finish_titles()

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
        untitled = await self._check_thread(project, thread_id)
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
                if untitled and isinstance(ev, TurnFinished):
                    self._start_title(thread_id, ctx)
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
                final = error_event(
                    LeaseLost(
                        f"another process took thread {thread_id} over because this turn "
                        "could not renew its lease in time"
                    ),
                    thread_id,
                )
        if final is not None:
            yield final

    def _run(
        self, graph_input: Any, config: RunnableConfig, ctx: OhmContext, deltas: bool = True
    ) -> AsyncIterator[OhmEvent]:
        """The run's events (see :func:`graph.stream_events.turn_events`), iterated by the
        caller directly: no generator of its own in between."""
        return turn_events(self.graph, graph_input, config, ctx, deltas)

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
