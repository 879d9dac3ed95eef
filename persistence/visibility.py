"""Which artifact versions were visible at a checkpoint: the one rule every view follows.

A version records the thread, run and checkpoint of the step that wrote it (the
checkpoint that step started from). Seen from checkpoint C of thread T:

- a version of T written at a checkpoint counts only when that checkpoint is on C's branch
  before C (one of C's ancestors): writes of other branches of T, and of steps after C,
  are left out whatever their time;
- every other version (other threads, the user's own edits) counts when it was saved at
  or before C's moment;
- a run that starts from C (a replay or a fork) also sees what it writes itself.

Of what counts, the newest version of each artifact is the one visible, and an artifact
whose newest counted version is a deletion is not there. Replays, forks, the agents' tools
and snapshots, ``ohm history --checkpoint``, the dashboard and the embedding API all ask
``ArtifactStore.visible_at`` with a :class:`CheckpointCut`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import VersionView


@dataclass(frozen=True)
class CheckpointCut:
    """A point in a thread's history, as the artifact store needs to know it."""

    until: datetime
    """The checkpoint's moment; versions from outside the thread count up to it."""
    thread_id: str | None = None
    """The thread the checkpoint belongs to; None for a plain point in time."""
    lineage: frozenset[str] = frozenset()
    """The checkpoint's ancestors: the steps of its own branch that came before it."""
    checkpoint_id: str | None = None


def counts(v: VersionView, cut: CheckpointCut, run_id: str | None = None) -> bool:
    if run_id is not None and v.run_id == run_id:
        return True
    if cut.thread_id is not None and v.thread_id == cut.thread_id and v.checkpoint_id:
        return v.checkpoint_id in cut.lineage
    return v.created_at <= cut.until


def newest_visible(
    versions: Iterable[VersionView], cut: CheckpointCut, run_id: str | None = None
) -> list[VersionView]:
    """The visible version of each artifact, by type then path, deletions left out."""
    newest: dict[tuple[str, str], VersionView] = {}
    for v in versions:
        if counts(v, cut, run_id):
            cur = newest.get((v.type, v.path))
            if cur is None or v.version > cur.version:
                newest[(v.type, v.path)] = v
    return [v for _, v in sorted(newest.items()) if not v.deleted]


def context_cut(
    until: datetime | None, thread_id: str | None, lineage: Sequence[str] | None
) -> CheckpointCut | None:
    """The cut a run's context describes (``as_of`` plus ``as_of_lineage``), or None for a
    run that sees the latest versions."""
    if until is None:
        return None
    if lineage is None or thread_id is None:
        return CheckpointCut(until=until)
    return CheckpointCut(until=until, thread_id=thread_id, lineage=frozenset(lineage))
