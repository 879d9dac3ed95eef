"""Time travel over a thread's checkpoints: history, replay, fork and resume.

:class:`TimeTravel` holds these methods of :class:`graph.assembly_line.AssemblyLine`,
which runs them; a replay, fork or resume is a turn like any other (the thread's lease,
then :func:`graph.stream_events.turn_events`). :func:`checkpoint_cut` says what the
artifact store shows at a checkpoint: its branch, up to its moment.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver

from nodes.agents import INTENT_TO_AGENT, resolve_intent
from nodes.attachments import attachment_note
from nodes.classifier import message_text
from persistence.store import NotFoundError, StoreError, VersionView, parse_as_of
from persistence.visibility import CheckpointCut

from .context import OhmContext
from .events import AgentSelected, OhmEvent, TurnResult
from .stream_events import clip
from .timeline import Checkpoint, checkpoint_index, next_nodes

if TYPE_CHECKING:
    from persistence.store import ArtifactStore

    from .builder import CompiledOhmGraph

__all__ = ["CheckpointInfo", "TimeTravel", "checkpoint_cut"]


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


class TimeTravel:
    """History, replay, fork and resume: the time-travel half of ``AssemblyLine``."""

    if TYPE_CHECKING:
        # Provided by AssemblyLine (graph.assembly_line), the one class that uses this.
        @property
        def store(self) -> ArtifactStore: ...

        @property
        def graph(self) -> CompiledOhmGraph: ...

        async def open(self) -> Any: ...

        def _config(self, thread_id: str, checkpoint_id: str | None = None) -> RunnableConfig: ...

        def _leased(
            self,
            thread_id: str,
            wait: float | None,
            body: Callable[[], AsyncIterator[OhmEvent]],
        ) -> AsyncIterator[OhmEvent]: ...

        def _run(
            self, graph_input: Any, config: RunnableConfig, ctx: OhmContext, deltas: bool = True
        ) -> AsyncIterator[OhmEvent]: ...

        async def _collect(
            self, stream: AsyncGenerator[OhmEvent, None], thread: str | None
        ) -> TurnResult: ...

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
                        clip(message_text(c.newest)) + attachment_note(c.newest)
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
