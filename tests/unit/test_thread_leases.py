"""One turn at a time per thread: leases in the database, and turns that respect them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from sqlalchemy import update

from graph.assembly_line import AssemblyLine, ThreadBusy
from nodes.deps import Deps
from persistence.leases import Lease, ThreadLeases, lease_seconds
from persistence.models import ThreadLease
from persistence.store import ArtifactStore, StoreError
from tests.fakes import ModelBook, ScriptedChatModel, intent


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")


def test_a_second_holder_is_refused_until_the_first_gives_back(store: ArtifactStore) -> None:
    leases = ThreadLeases(store, lease_s=30)
    first = leases.try_acquire("t", "a")
    assert isinstance(first, Lease)
    busy = leases.try_acquire("t", "b")
    assert busy == first.started_at
    assert leases.holder("t") is not None
    leases.release_sync(first)
    assert leases.holder("t") is None
    assert isinstance(leases.try_acquire("t", "b"), Lease)


def test_a_lease_that_ran_out_is_taken_over_and_the_old_holder_cannot_renew(
    store: ArtifactStore,
) -> None:
    leases = ThreadLeases(store, lease_s=30)
    dead = leases.try_acquire("t", "dead")
    assert isinstance(dead, Lease)
    with store.transaction() as s:  # the holder stopped renewing a while ago
        s.execute(update(ThreadLease).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert leases.holder("t") is None
    taken = leases.try_acquire("t", "next")
    assert isinstance(taken, Lease) and taken.owner == "next"
    assert leases.renew(dead) is False
    assert leases.renew(taken) is True
    leases.release_sync(dead)  # giving back someone else's lease does nothing
    assert leases.holder("t") is not None


async def test_waiting_for_a_busy_thread_is_bounded(store: ArtifactStore) -> None:
    leases = ThreadLeases(store, lease_s=30)
    held = await leases.acquire("t")
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(ThreadBusy, match=r"thread t is busy with a turn started at \d\d:\d\d:\d\d"):
        await leases.acquire("t", wait=0.3)
    assert 0.25 <= loop.time() - start < 3
    waiter = asyncio.create_task(leases.acquire("t", wait=10))
    await asyncio.sleep(0.1)
    assert not waiter.done()
    await leases.release(held)
    got = await asyncio.wait_for(waiter, 2)
    assert got.owner != held.owner


def test_lease_length_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OHM_LEASE_S", "2.5")
    assert lease_seconds() == 2.5
    monkeypatch.setenv("OHM_LEASE_S", "soon")
    with pytest.raises(StoreError, match="OHM_LEASE_S must be a number"):
        lease_seconds()


# ------------------------------------------------------------------------ turns


class SlowScripted(ScriptedChatModel):
    """Answers after a pause, so concurrent turns really overlap."""

    async def _agenerate(self, messages: list[BaseMessage], *args: object, **kw: object):
        await asyncio.sleep(0.02)
        return self._generate(messages)


def chat_book() -> ModelBook:
    book = ModelBook()
    book.models["project_initializer"] = SlowScripted(
        script=[AIMessage("Welcome!")], repeat_last=True
    )
    book.models["orchestrator"] = SlowScripted(script=[intent("CHAT")], repeat_last=True)
    book.models["conversational"] = SlowScripted(
        script=[lambda msgs: AIMessage(f"re: {msgs[-1].content}")]
    )
    book.models["conversational"].repeat_last = True
    return book


def _branches(snaps: Sequence[object]) -> int:
    """How many checkpoints have more than one child (0 for a linear thread)."""
    children: dict[str, int] = {}
    for s in snaps:
        parent = (getattr(s, "parent_config", None) or {}).get("configurable", {})
        if parent.get("checkpoint_id"):
            children[parent["checkpoint_id"]] = children.get(parent["checkpoint_id"], 0) + 1
    return sum(1 for n in children.values() if n > 1)


async def _run_many(line: AssemblyLine, n: int, wait: float) -> list[str | None]:
    async def one(i: int) -> str | None:
        try:
            await line.achat(f"message {i}", thread="busy", wait=wait)
        except ThreadBusy:
            return None
        return f"message {i}"

    return list(await asyncio.gather(*(one(i) for i in range(n))))


@pytest.mark.parametrize("wait", [0.0, 30.0])
async def test_concurrent_turns_on_one_thread_never_fork_it(
    tmp_path: Path, wait: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_ROUTER", "off")  # every turn goes through the scripted classifier
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=chat_book(), store=lambda: store))
    async with line:
        await line.achat("hello", thread="busy")
        accepted = [m for m in await _run_many(line, 20, wait) if m]
        if wait:
            assert len(accepted) == 20
        else:
            assert 1 <= len(accepted) < 20
        state = await line.graph.aget_state({"configurable": {"thread_id": "busy"}})
        users = [m.content for m in state.values["messages"] if isinstance(m, HumanMessage)]
        replies = [
            m.content
            for m in state.values["messages"]
            if isinstance(m, AIMessage) and not m.tool_calls
        ]
        assert sorted(users[1:]) == sorted(accepted)
        assert sorted(replies[1:]) == sorted(f"re: {m}" for m in accepted)
        snaps = [
            s async for s in line.graph.aget_state_history({"configurable": {"thread_id": "busy"}})
        ]
        assert _branches(snaps) == 0
        assert ThreadLeases(store).holder("busy") is None
