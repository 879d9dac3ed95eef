"""The timeline in the maker's words: one row per turn, and forks as named branches."""

from __future__ import annotations

from typing import Any

from app.web.timeline import build_timeline, split_branches
from graph.assembly_line import CheckpointInfo


def cp(
    cid: str,
    parent: str | None,
    node: str,
    *,
    message: str = "",
    agent: str | None = None,
    wrote: tuple[tuple[str, int], ...] = (),
    nxt: tuple[str, ...] = ("x",),
) -> CheckpointInfo:
    return CheckpointInfo(
        checkpoint_id=cid,
        parent_id=parent,
        step=0,
        node=node,
        next=nxt,
        intent=None,
        agent=agent,
        route=None,
        created_at=None,
        message=message,
        artifacts=[{"type": t, "path": None, "version": v, "deleted": False} for t, v in wrote],
    )


def turn(
    prefix: str, parent: str | None, message: str, agent: str, wrote: tuple[tuple[str, int], ...]
) -> list[CheckpointInfo]:
    """The checkpoints of one turn, as the graph saves them."""
    return [
        cp(f"{prefix}0", parent, "input"),
        cp(f"{prefix}1", f"{prefix}0", "__start__", message=message),
        cp(f"{prefix}2", f"{prefix}1", "entry", message=message),
        cp(f"{prefix}3", f"{prefix}2", "classify", agent=agent),
        cp(f"{prefix}4", f"{prefix}3", agent, agent=agent),
        cp(f"{prefix}5", f"{prefix}4", f"{agent}_tools", agent=agent, wrote=wrote),
        cp(f"{prefix}6", f"{prefix}5", agent, agent=agent, nxt=()),
    ]


MAIN = [
    *turn("a", None, "A plant monitor", "project_initializer", (("context", 1),)),
    *turn("b", "a6", "What parts do I need?", "bom_generator", (("bom", 1),)),
    *turn("c", "b6", "How do I wire it?", "wiring_diagram", (("wiring", 1),)),
]
# Turn 2 forked from its routed checkpoint (b2) as the wiring specialist.
FORK = [
    cp("f3", "b2", "update:classify", agent="wiring_diagram"),
    cp("f4", "f3", "wiring_diagram", agent="wiring_diagram"),
    cp("f5", "f4", "wiring_diagram_tools", agent="wiring_diagram", wrote=(("wiring", 2),)),
    cp("f6", "f5", "wiring_diagram", agent="wiring_diagram", nxt=()),
]
# Turn 3 replayed as it was, from its entry checkpoint (no fork node).
REPLAY = [
    cp("r3", "c2", "classify", agent="wiring_diagram"),
    cp("r6", "r3", "wiring_diagram", agent="wiring_diagram", nxt=()),
]
FINDINGS: dict[tuple[str, str, int], list[dict[str, Any]]] = {
    ("bom", "", 1): [],
    ("wiring", "", 1): [{"severity": "error"}, {"severity": "warning"}],
    ("wiring", "", 2): [],
}
LATEST = {("context", ""): 1, ("bom", ""): 1, ("wiring", ""): 2}


def test_one_row_per_turn_with_who_answered_what_was_saved_and_the_checks() -> None:
    tl = build_timeline(MAIN, findings=FINDINGS, latest={("wiring", ""): 1})
    assert len(tl.branches) == 1 and not tl.forked
    rows = tl.branches[0].turns
    assert [t.number for t in rows] == [1, 2, 3]
    assert [t.message for t in rows] == [
        "A plant monitor",
        "What parts do I need?",
        "How do I wire it?",
    ]
    assert [t.agent for t in rows] == ["project_initializer", "bom_generator", "wiring_diagram"]
    assert [len(t.steps) for t in rows] == [7, 7, 7], "every step is kept, folded in its turn"
    assert rows[1].saved[0]["type"] == "bom" and rows[1].checked and rows[1].errors == 0
    assert (rows[2].errors, rows[2].warnings) == (1, 1)
    assert not rows[0].checked, "a project brief goes through no checks"
    assert tl.branches[0].changes == [], "nothing to compare with a single branch"


def test_a_fork_is_its_own_branch_numbered_along_its_path() -> None:
    tl = build_timeline(MAIN + FORK, findings=FINDINGS, latest=LATEST)
    main, fork = tl.branches
    assert (main.name, fork.name) == ("Main line", "Branch 2")
    assert [t.number for t in main.turns] == [1, 2, 3]
    assert [t.number for t in fork.turns] == [1, 2], "turn 2 again, not a list starting over"
    assert fork.fork_turn == 2 and fork.description == "turn 2 forked"
    assert [t.number for t in fork.own_turns] == [2]
    forked = fork.turns[1]
    assert forked.forked and forked.agent == "wiring_diagram"
    assert forked.message == "What parts do I need?"
    assert fork.latest and not main.latest
    assert tl.current is fork, "with no checkpoint chosen the latest branch is shown"


def test_what_a_fork_changes_is_said_plainly() -> None:
    tl = build_timeline(MAIN + FORK, findings=FINDINGS, latest=LATEST)
    main, fork = tl.branches
    assert fork.changes == [
        "This branch wrote Wiring v2, which is now the project's latest wiring."
    ]
    assert main.changes == [
        "This branch wrote Wiring v1; the project's latest is v2 (written on Branch 2)."
    ], "the main line only mentions what is no longer the latest"


def test_viewing_a_checkpoint_picks_the_branch_that_owns_it() -> None:
    for viewing, name in (("c6", "Main line"), ("f4", "Branch 2")):
        current = build_timeline(MAIN + FORK, viewing=viewing).current
        assert current is not None and current.name == name
    shared = build_timeline(MAIN + FORK, viewing="a3").current
    assert shared is not None and shared.name == "Main line"


def test_replays_and_forks_are_listed_in_the_order_they_were_made() -> None:
    branches = split_branches(MAIN + FORK + REPLAY)
    assert [b.name for b in branches] == ["Main line", "Branch 2", "Branch 3"]
    assert branches[1].leaf.checkpoint_id == "f6" and branches[2].leaf.checkpoint_id == "r6"
    tl = build_timeline(MAIN + FORK + REPLAY)
    replay = tl.branches[2]
    assert replay.description == "turn 3 replayed" and replay.latest
    assert [t.number for t in replay.turns] == [1, 2, 3]
    assert replay.turns[2].forked, "the replayed turn is marked as answered again"
    assert not replay.turns[1].forked


def test_an_empty_thread_has_no_branches() -> None:
    tl = build_timeline([])
    assert tl.branches == [] and tl.current is None


def test_a_checkpoint_belongs_to_one_turn_of_its_branch() -> None:
    main = build_timeline(MAIN).branches[0]
    found = main.turn_at("b4")
    assert found is not None and found.number == 2
    assert main.turn_at("nope") is None
