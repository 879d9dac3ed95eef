"""Ids people can type: short prefixes of checkpoints and threads, step numbers, versions.

Checkpoint and thread ids are long; everywhere Ohm takes one (the CLI, the dashboard and
its JSON API) it also takes any prefix of at least :data:`MIN_PREFIX` characters that
names exactly one id, the way git takes short commit hashes. An ambiguous prefix is an
error that lists the candidates on one line. A checkpoint can also be named by its step
number (``17``, ``@17``, ``T@17`` with its thread); in a thread with forks a step
number is read on the newest branch first.

What Ohm prints for people uses :func:`short_ids`, the shortest prefixes (at least
:data:`SHORT_LEN` characters) that stay unique in their list, so a printed id can always
be pasted back.

The pure functions (:func:`resolve_prefix`, :func:`short_ids`, :func:`parse_checkpoint_ref`,
:func:`pick_step`, :func:`parse_version`, :func:`resolve_path`) need no store; the
``resolve_*`` functions at the end read the store or the checkpointer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from persistence.store import NotFoundError, StoreError

if TYPE_CHECKING:
    from graph.assembly_line import AssemblyLine, CheckpointInfo
    from persistence.store import ArtifactStore, ThreadView, VersionView

__all__ = [
    "MIN_PREFIX",
    "SHORT_LEN",
    "AmbiguousIdError",
    "CheckpointRef",
    "parse_checkpoint_ref",
    "parse_version",
    "pick_step",
    "resolve_checkpoint",
    "resolve_path",
    "resolve_prefix",
    "resolve_thread",
    "resolve_version",
    "short_id",
    "short_ids",
    "thread_or_new",
]

MIN_PREFIX = 6
"""The fewest characters of an id that are taken as a prefix."""
SHORT_LEN = 8
"""The fewest characters Ohm prints of an id."""
_MAX_LISTED = 6


class AmbiguousIdError(StoreError):
    """A prefix or step number that names more than one id."""


def _candidates(ids: Sequence[str]) -> str:
    short = list(short_ids(ids).values())
    more = f" and {len(ids) - _MAX_LISTED} more" if len(ids) > _MAX_LISTED else ""
    return ", ".join(short[:_MAX_LISTED]) + more


def resolve_prefix(ref: str, ids: Iterable[str], what: str, where: str = "") -> str:
    """The one id in ``ids`` equal to ``ref`` or starting with it.

    Raises NotFoundError when none matches (or ``ref`` is shorter than MIN_PREFIX and no
    id equals it) and AmbiguousIdError, listing the candidates, when several do.
    """
    known = list(dict.fromkeys(ids))
    if ref in known:
        return ref
    where = f" {where}" if where else ""
    if len(ref) < MIN_PREFIX:
        if any(i.startswith(ref) for i in known) and ref:
            raise NotFoundError(
                f"unknown {what} {ref!r}{where}; give at least {MIN_PREFIX} characters of its id"
            )
        raise NotFoundError(f"unknown {what} {ref!r}{where}")
    found = [i for i in known if i.startswith(ref)]
    if not found:
        raise NotFoundError(f"unknown {what} {ref!r}{where}")
    if len(found) > 1:
        raise AmbiguousIdError(
            f"{what} {ref!r}{where} is ambiguous: {len(found)} ids start with it "
            f"({_candidates(found)})"
        )
    return found[0]


def short_ids(ids: Iterable[str], minimum: int = SHORT_LEN) -> dict[str, str]:
    """Each id mapped to its shortest prefix (at least ``minimum`` characters) that no
    other id in ``ids`` starts with; an id that is a prefix of another stays whole."""
    known = list(dict.fromkeys(ids))
    out: dict[str, str] = {}
    ordered = sorted(known)
    for pos, i in enumerate(ordered):
        need = minimum
        for j in (
            ordered[pos - 1] if pos else None,
            ordered[pos + 1] if pos + 1 < len(ordered) else None,
        ):
            if j is None:
                continue
            common = 0
            for a, b in zip(i, j, strict=False):
                if a != b:
                    break
                common += 1
            need = max(need, common + 1)
        short = i[:need]
        # A trailing separator reads as a cut; take the next character too.
        while short.endswith("-") and len(short) < len(i):
            short = i[: len(short) + 1]
        out[i] = short
    return {i: out[i] for i in known}


def short_id(full: str, ids: Iterable[str], minimum: int = SHORT_LEN) -> str:
    return short_ids([full, *ids], minimum)[full]


# ------------------------------------------------------------------ checkpoints


@dataclass(frozen=True)
class CheckpointRef:
    """What a person typed for a checkpoint: a thread (from ``T@17``) and an id prefix
    or a step number."""

    thread: str | None
    prefix: str | None
    step: int | None


_STEP = re.compile(r"^(?P<thread>[^@\s]*)@(?P<step>-?\d+)$")


def parse_checkpoint_ref(text: str | None, step: int | None = None) -> CheckpointRef:
    """``T@17`` / ``@17`` / ``17`` (a step) or an id prefix; ``step`` is ``--step``."""
    if text is None or not text.strip():
        if step is None:
            raise StoreError("name a checkpoint: --checkpoint ID (or a prefix), or --step N")
        return CheckpointRef(None, None, step)
    text = text.strip()
    if step is not None:
        raise StoreError("give either --checkpoint or --step, not both")
    m = _STEP.match(text)
    if m:
        return CheckpointRef(m["thread"] or None, None, int(m["step"]))
    if text.isdigit() and len(text) < MIN_PREFIX:
        return CheckpointRef(None, None, int(text))
    return CheckpointRef(None, text, None)


class _Checkpoint(Protocol):
    @property
    def checkpoint_id(self) -> str: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def step(self) -> int: ...


C = TypeVar("C", bound=_Checkpoint)


def pick_step(timeline: Sequence[C], step: int, thread: str) -> C:
    """The checkpoint at ``step``; with forks, the one on the newest branch (the lineage
    of the thread's last checkpoint), else the only one, else an error listing them."""
    at = [c for c in timeline if c.step == step]
    if not at:
        steps = sorted({c.step for c in timeline})
        span = f"steps {steps[0]} to {steps[-1]}" if steps else "no steps"
        raise NotFoundError(f"thread {thread!r} has no step {step} ({span})")
    if len(at) == 1:
        return at[0]
    by_id = {c.checkpoint_id: c for c in timeline}
    lineage: set[str] = set()
    cur: C | None = timeline[-1]  # oldest first: the last is the newest
    while cur is not None and cur.checkpoint_id not in lineage:
        lineage.add(cur.checkpoint_id)
        cur = by_id.get(cur.parent_id) if cur.parent_id else None
    on_head = [c for c in at if c.checkpoint_id in lineage]
    if len(on_head) == 1:
        return on_head[0]
    ids = [c.checkpoint_id for c in at]
    raise AmbiguousIdError(
        f"step {step} of thread {thread!r} is on {len(at)} branches; "
        f"choose one with --checkpoint ({_candidates(ids)})"
    )


def pick_checkpoint(timeline: Sequence[C], ref: CheckpointRef, thread: str) -> C:
    """The checkpoint ``ref`` names in ``timeline`` (oldest first)."""
    if ref.step is not None:
        return pick_step(timeline, ref.step, thread)
    assert ref.prefix is not None
    full = resolve_prefix(
        ref.prefix, [c.checkpoint_id for c in timeline], "checkpoint", f"in thread {thread!r}"
    )
    return next(c for c in timeline if c.checkpoint_id == full)


# --------------------------------------------------------------------- versions


def parse_version(text: str | int | None) -> int | None:
    """``3`` or ``v3`` as 3; None stays None (the latest)."""
    if text is None or isinstance(text, int):
        return text
    t = text.strip().lower()
    if t in ("", "latest"):
        return None
    if t.startswith("v"):
        t = t[1:]
    if not t.isdigit() or int(t) < 1:
        raise StoreError(f"invalid version {text!r}: use a number such as 3 or v3")
    return int(t)


def resolve_path(ref: str, paths: Iterable[str]) -> str:
    """A code path given whole, by a unique prefix, or by its unique file name or tail
    (``main.cpp`` for ``src/main.cpp``)."""
    known = [p for p in dict.fromkeys(paths) if p]
    if ref in known:
        return ref
    for found in (
        [p for p in known if p.startswith(ref)] if len(ref) >= 2 else [],
        [p for p in known if p.endswith("/" + ref.lstrip("/"))],
    ):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise AmbiguousIdError(f"path {ref!r} is ambiguous: {', '.join(sorted(found))}")
    listed = f" (files: {', '.join(known)})" if known else ""
    raise NotFoundError(f"no code file {ref!r}{listed}")


# ------------------------------------------------------- reading store and graph


def resolve_thread(store: ArtifactStore, ref: str, project: str | None = None) -> ThreadView:
    """An existing thread by its id or a unique prefix (within ``project`` when given)."""
    found = store.find_thread(ref)
    if found is not None and (project is None or found.project_id == project):
        return found
    threads = store.list_threads(project)
    where = f"in project {project!r}" if project else ""
    full = resolve_prefix(ref, [t.id for t in threads], "thread", where)
    return next(t for t in threads if t.id == full)


def thread_or_new(store: ArtifactStore, ref: str, project: str | None = None) -> str:
    """The existing thread ``ref`` names (id or unique prefix, in ``project`` when given),
    else ``ref`` itself: a new thread's id for a turn, or a thread only the checkpointer
    knows (one started from LangGraph Studio) for history and replay."""
    try:
        return resolve_thread(store, ref, project).id
    except AmbiguousIdError:
        raise
    except NotFoundError:
        return ref


async def resolve_checkpoint(
    line: AssemblyLine, thread: str | None, ref: CheckpointRef
) -> tuple[str, CheckpointInfo]:
    """(thread id, checkpoint) for what a person typed; the thread may come from ``T@17``."""
    name = ref.thread or thread
    if not name:
        raise StoreError("name the thread: --thread T (or --checkpoint T@STEP)")
    if (
        ref.thread
        and thread
        and thread_or_new(line.store, ref.thread) != (thread_or_new(line.store, thread))
    ):
        raise StoreError(f"--checkpoint {ref.thread}@{ref.step} names another thread than --thread")
    thread_id = thread_or_new(line.store, name)
    timeline = await line.ahistory(thread_id)
    return thread_id, pick_checkpoint(timeline, ref, thread_id)


def resolve_version(rows: Sequence[VersionView], text: str | int | None, what: str) -> VersionView:
    """One version of an artifact's history: a number, ``v3`` or ``latest``."""
    if not rows:
        raise NotFoundError(f"there is no {what}")
    number = parse_version(text)
    if number is None:
        return rows[-1]
    for v in rows:
        if v.version == number:
            return v
    raise NotFoundError(
        f"{what} has no version {number} (versions {rows[0].version} to {rows[-1].version})"
    )
