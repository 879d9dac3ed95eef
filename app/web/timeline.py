"""A thread's checkpoints as the maker thinks of them: turns, grouped into branches.

LangGraph saves a checkpoint after every step, about nine per turn. The timeline shows
one row per turn instead (what was asked, who answered, what was saved, what the checks
said), with the steps behind it folded away. Forking or replaying a turn leaves the
checkpoint tree with more than one leaf; each leaf is a branch. The first branch
(following the oldest child at every split) is the main line, the others are named in
the order they were made. A branch's turns are numbered along its own path, so a fork
of turn 2 has a turn 2 of its own rather than a list that starts again at step 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.assembly_line import CheckpointInfo
from persistence.store import ArtifactStore

from .templating import DOC_TITLES

FORK_NODES = ("fork:", "update:")


@dataclass
class TurnRow:
    """One turn on one branch: the message, who answered, what was saved."""

    number: int
    steps: list[CheckpointInfo] = field(default_factory=list)
    message: str = ""
    forked: bool = False
    """This branch answered the turn again (a fork or a replay) instead of sharing it."""
    saved: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    checked: bool = False
    """Something saved in this turn went through the checks."""

    @property
    def last(self) -> CheckpointInfo:
        return self.steps[-1]

    @property
    def agent(self) -> str | None:
        return next((cp.agent for cp in reversed(self.steps) if cp.agent), None)

    @property
    def answered(self) -> bool:
        return not self.last.next

    @property
    def ids(self) -> set[str]:
        return {cp.checkpoint_id for cp in self.steps}


@dataclass
class Branch:
    index: int
    """0 for the main line, then 1, 2, ... in the order the branches were made."""
    path: list[CheckpointInfo]
    """Every checkpoint from the thread's first to this branch's last."""
    start: int
    """Index in ``path`` of this branch's first own checkpoint (0 for the main line)."""
    turns: list[TurnRow] = field(default_factory=list)
    latest: bool = False
    """The thread's newest checkpoint is on this branch: new messages continue it."""
    changes: list[str] = field(default_factory=list)
    """What the branch did to the project's latest artifacts, in plain words."""

    @property
    def name(self) -> str:
        return "Main line" if self.index == 0 else f"Branch {self.index + 1}"

    @property
    def leaf(self) -> CheckpointInfo:
        return self.path[-1]

    @property
    def fork_turn(self) -> int | None:
        if self.index == 0:
            return None
        own = self.path[self.start].checkpoint_id
        return next((t.number for t in self.turns if own in t.ids), None)

    @property
    def own_turns(self) -> list[TurnRow]:
        first = self.fork_turn
        return self.turns if first is None else [t for t in self.turns if t.number >= first]

    @property
    def later_turns(self) -> int:
        return len(self.own_turns)

    @property
    def description(self) -> str:
        """How this branch came about, e.g. 'turn 2 answered again by Wiring'."""
        if self.index == 0:
            return f"{len(self.turns)} turn{'s' if len(self.turns) != 1 else ''}"
        turn = self.fork_turn
        first = self.own_turns[0] if self.own_turns else None
        how = "forked" if first is not None and _is_fork(first.steps) else "replayed"
        return f"turn {turn} {how}" if turn else how

    @property
    def ids(self) -> set[str]:
        return {cp.checkpoint_id for cp in self.path}

    def turn_at(self, checkpoint_id: str) -> TurnRow | None:
        """The turn on this branch that holds the checkpoint."""
        return next((t for t in self.turns if checkpoint_id in t.ids), None)


@dataclass
class Timeline:
    branches: list[Branch]
    current: Branch | None
    """The branch being looked at: the one holding the chosen checkpoint, else the latest."""

    @property
    def others(self) -> list[Branch]:
        return [b for b in self.branches if b is not self.current]

    @property
    def latest(self) -> Branch | None:
        return next((b for b in self.branches if b.latest), None)

    @property
    def forked(self) -> bool:
        return len(self.branches) > 1


def _is_fork(steps: list[CheckpointInfo]) -> bool:
    return any(cp.node.startswith(FORK_NODES) for cp in steps)


def split_branches(timeline: list[CheckpointInfo]) -> list[Branch]:
    """The checkpoint tree cut into branches, the main line first."""
    if not timeline:
        return []
    order = {cp.checkpoint_id: i for i, cp in enumerate(timeline)}
    children: dict[str | None, list[CheckpointInfo]] = {}
    for cp in timeline:
        parent = cp.parent_id if cp.parent_id in order else None
        children.setdefault(parent, []).append(cp)
    for kids in children.values():
        kids.sort(key=lambda c: order[c.checkpoint_id])

    branches: list[Branch] = []
    # (path so far, first own checkpoint): each branch runs down the oldest children.
    pending: list[tuple[list[CheckpointInfo], CheckpointInfo]] = [
        ([], root) for root in children.get(None, [])
    ]
    while pending:
        prefix, cp = pending.pop(0)
        path = list(prefix)
        start = len(path)
        cur: CheckpointInfo | None = cp
        while cur is not None:
            path.append(cur)
            kids = children.get(cur.checkpoint_id, [])
            pending.extend((list(path), k) for k in kids[1:])
            cur = kids[0] if kids else None
        branches.append(Branch(index=len(branches), path=path, start=start))
    # Later forks come from later checkpoints: number them in the order they were made.
    main, rest = branches[:1], branches[1:]
    rest.sort(key=lambda b: order[b.path[b.start].checkpoint_id])
    branches = main + rest
    for i, b in enumerate(branches):
        b.index = i
    newest = max(timeline, key=lambda c: order[c.checkpoint_id]).checkpoint_id
    for b in branches:
        b.latest = b.leaf.checkpoint_id == newest
    return branches


def group_turns(
    path: list[CheckpointInfo], findings: Mapping[tuple[str, str, int], list[dict[str, Any]]]
) -> list[TurnRow]:
    """One row per turn along a branch's path. A turn starts at the checkpoint that
    received a message; the checkpoint after it holds the message itself."""
    turns: list[TurnRow] = []
    for cp in path:
        if cp.node == "input" or not turns:
            turns.append(TurnRow(number=len(turns) + 1))
        turn = turns[-1]
        turn.steps.append(cp)
        if not turn.message and cp.node == "__start__":
            turn.message = cp.message
        if cp.node.startswith(FORK_NODES):
            turn.forked = True
        for a in cp.artifacts:
            turn.saved.append(a)
            if a.get("deleted"):
                continue
            key = (str(a.get("type")), str(a.get("path") or ""), int(a.get("version") or 0))
            if key in findings:
                turn.checked = True
                for f in findings[key]:
                    if f.get("severity") == "error":
                        turn.errors += 1
                    elif f.get("severity") == "warning":
                        turn.warnings += 1
    return turns


def describe_changes(
    branch: Branch,
    latest: Mapping[tuple[str, str], int],
    others_exist: bool,
    writers: Mapping[tuple[str, str, int], str] | None = None,
) -> list[str]:
    """What this branch's own turns wrote, set against the project's latest versions.
    The main line only mentions what is no longer the latest; ``writers`` names the
    branch that wrote a version, to say where the latest one came from."""
    if not others_exist:
        return []
    written: dict[tuple[str, str], dict[str, Any]] = {}
    for turn in branch.own_turns:
        for a in turn.saved:
            written[(str(a.get("type")), str(a.get("path") or ""))] = a
    out: list[str] = []
    for (kind, path), a in written.items():
        title = DOC_TITLES.get(kind, kind)
        what = f"{title}{' ' + path if path else ''}"
        newest = latest.get((kind, path))
        mine = int(a.get("version") or 0)
        if branch.index == 0 and (newest == mine or newest is None):
            continue
        if a.get("deleted"):
            out.append(f"This branch deleted {what}.")
        elif newest == mine:
            out.append(
                f"This branch wrote {what} v{mine}, which is now the project's latest "
                f"{title if title.isupper() else title.lower()}."
            )
        elif newest is not None:
            source = (writers or {}).get((kind, path, newest))
            where = f" (written on {source})" if source and source != branch.name else ""
            out.append(
                f"This branch wrote {what} v{mine}; the project's latest is v{newest}{where}."
            )
    return out


def build_timeline(
    timeline: list[CheckpointInfo],
    *,
    viewing: str | None = None,
    findings: Mapping[tuple[str, str, int], list[dict[str, Any]]] | None = None,
    latest: Mapping[tuple[str, str], int] | None = None,
) -> Timeline:
    """Branches with their turns; ``viewing`` is the checkpoint on show (None: the latest).

    ``findings`` maps (type, path, version) to the checks' findings for that version and
    ``latest`` maps (type, path) to the project's newest version number.
    """
    branches = split_branches(timeline)
    for b in branches:
        b.turns = group_turns(b.path, findings or {})
        for t in b.turns:
            if b.index and b.path[b.start].checkpoint_id in t.ids:
                t.forked = True
    writers: dict[tuple[str, str, int], str] = {}
    for b in branches:
        for t in b.own_turns:
            for a in t.saved:
                key = (str(a.get("type")), str(a.get("path") or ""), int(a.get("version") or 0))
                writers.setdefault(key, b.name)
    for b in branches:
        b.changes = describe_changes(b, latest or {}, len(branches) > 1, writers)
    current = None
    if viewing:
        # The branch that owns the checkpoint (its own part of the path), else any.
        owning = [b for b in branches if viewing in {c.checkpoint_id for c in b.path[b.start :]}]
        holding = [b for b in branches if viewing in b.ids]
        found = owning or holding
        current = found[0] if found else None
    if current is None:
        current = next((b for b in branches if b.latest), branches[0] if branches else None)
    return Timeline(branches=branches, current=current)


CHECKED_TYPES = ("bom", "wiring", "code")


def thread_timeline(
    store: ArtifactStore,
    project_id: str,
    thread_id: str,
    timeline: list[CheckpointInfo],
    viewing: str | None = None,
) -> Timeline:
    """``build_timeline`` with the thread's findings and the project's latest versions."""
    findings = {
        (v.type, v.path, v.version): v.findings
        for v in store.versions_by_thread(thread_id)
        if v.type in CHECKED_TYPES
    }
    latest = {(v.type, v.path): v.version for v in store.list_latest(project_id)}
    return build_timeline(timeline, viewing=viewing, findings=findings, latest=latest)
