"""The pool's rules on their own, with a manual clock: choice, cooldowns, probes, waiting."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from providers.classify import Outcome
from providers.keypool import (
    KeyPool,
    KeysUnavailableError,
    Lease,
    ManualClock,
    PoolConfig,
    ProviderError,
    apply_outcome,
    backoff_s,
)
from providers.keys import Secret
from providers.keystate import KeyRecord, MemoryStateStore, hold, store_from_env

RAW = ["bz-unit-key-0000aaaa", "bz-unit-key-1111bbbb", "bz-unit-key-2222cccc"]
OK = Outcome("ok", 200)


def rate_limited(after: float | None = None) -> Outcome:
    return Outcome("rate_limited", 429, retry_after_s=after)


EXHAUSTED = Outcome("exhausted", 402)
INVALID = Outcome("invalid", 401)
SERVER = Outcome("transient", 503)


def make_pool(n: int = 3, **config: Any) -> tuple[KeyPool, ManualClock]:
    clock = ManualClock()
    pool = KeyPool(
        [Secret(k) for k in RAW[:n]],
        config=PoolConfig(**config),
        clock=clock,
    )
    return pool, clock


def call(pool: KeyPool, outcome: Outcome = OK) -> int:
    lease = pool.acquire()
    pool.report(lease, outcome)
    pool.release(lease)
    return lease.index


def test_round_robin_when_nothing_is_in_flight() -> None:
    pool, _ = make_pool()
    assert [call(pool) for _ in range(6)] == [0, 1, 2, 0, 1, 2]


def test_fewest_in_flight_wins() -> None:
    pool, _ = make_pool()
    a, b = pool.acquire(), pool.acquire()
    assert (a.index, b.index) == (0, 1)
    pool.release(a)
    # Key 0 is free again and key 2 never had a request: both have 0 in flight, and the
    # round robin continues after key 1.
    c = pool.acquire()
    assert c.index == 2
    d = pool.acquire()
    assert d.index == 0
    e = pool.acquire()  # every key has one in flight now: round robin again
    assert e.index == 1
    assert [s.in_flight for s in pool.snapshot()] == [1, 2, 1]


def test_rate_limit_cools_for_the_hint_then_returns() -> None:
    pool, clock = make_pool()
    assert call(pool, rate_limited(30)) == 0
    assert pool.state_of(0) == "cooling"
    assert {call(pool) for _ in range(10)} == {1, 2}
    clock.advance(30)
    assert 0 in {call(pool) for _ in range(3)}


def test_backoff_doubles_to_the_cap_and_resets_on_success() -> None:
    cfg = PoolConfig()
    assert [backoff_s(cfg, n) for n in (1, 2, 3, 6, 7, 20)] == [1, 2, 4, 32, 60, 60]
    pool, clock = make_pool(n=1, wait_budget_s=0)
    seen = []
    for _ in range(8):
        lease = pool.acquire()
        pool.report(lease, rate_limited())
        pool.release(lease)
        seen.append(pool.snapshot()[0].cooldown_s)
        clock.advance(seen[-1])
    assert seen == [1, 2, 4, 8, 16, 32, 60, 60]
    call(pool, OK)
    call(pool, rate_limited())
    assert pool.snapshot()[0].cooldown_s == 1


def test_a_shorter_signal_never_shortens_a_live_cooldown() -> None:
    rec = KeyRecord()
    hold(rec, "cooling", 130.0, 100.0, "first")
    hold(rec, "cooling", 105.0, 101.0, "shorter")
    assert (rec.until, rec.reason) == (130.0, "first")
    hold(rec, "cooling", 160.0, 102.0, "longer")
    assert (rec.until, rec.reason) == (160.0, "longer")
    hold(rec, "exhausted", 3700.0, 103.0, "402")
    assert (rec.state, rec.until) == ("exhausted", 3700.0)
    hold(rec, "cooling", 200.0, 104.0, "429 on an exhausted key")
    assert rec.state == "exhausted"


def test_a_success_in_flight_does_not_end_someone_elses_cooldown() -> None:
    pool, _ = make_pool()
    slow = pool.acquire()  # key 0, still in flight
    fast = pool.acquire()
    assert fast.index == 1
    pool.report(fast, OK)
    pool.release(fast)
    # A second request to key 0 is answered with 429 while the slow one is still out.
    rec = KeyRecord()
    apply_outcome(rec, rate_limited(30), 0.0, False, pool.config)
    apply_outcome(rec, OK, 1.0, False, pool.config)
    assert (rec.state, rec.until, rec.successes) == ("cooling", 30.0, 1)
    pool.release(slow)


def test_exhausted_key_is_probed_by_one_request_per_period() -> None:
    pool, clock = make_pool(exhausted_s=3600)
    assert call(pool, EXHAUSTED) == 0
    clock.advance(3599)
    assert 0 not in {call(pool) for _ in range(20)}
    clock.advance(2)
    leases = [pool.acquire() for _ in range(12)]  # all at once, nothing released
    probes = [x for x in leases if x.index == 0]
    assert len(probes) == 1 and probes[0].probe
    for x in leases:
        pool.report(x, EXHAUSTED if x.index == 0 else OK)
        pool.release(x)
    clock.advance(3599)
    assert 0 not in {call(pool) for _ in range(20)}
    clock.advance(2)
    leases = [pool.acquire() for _ in range(3)]
    assert [x.probe for x in leases if x.index == 0] == [True]
    for x in leases:
        pool.report(x, OK)  # credits are back
        pool.release(x)
    assert pool.state_of(0) == "ok"
    assert 0 in {call(pool) for _ in range(3)}


def test_probe_claim_is_atomic_across_threads() -> None:
    pool, clock = make_pool(n=1, exhausted_s=60, wait_budget_s=0)
    call(pool, EXHAUSTED)
    clock.advance(61)
    got: list[int] = []
    barrier = threading.Barrier(16)

    def grab() -> None:
        barrier.wait()
        try:
            pool.acquire()
            got.append(1)
        except KeysUnavailableError:
            pass

    threads = [threading.Thread(target=grab) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 1


def test_invalid_key_stays_out_and_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    pool, clock = make_pool()
    with caplog.at_level("WARNING", logger="providers.keypool"):
        first, second = pool.acquire(), pool.acquire()
        # Two requests were in flight on key 0 when it turned out to be revoked.
        stale = Lease(0, first.key)
        for lease in (first, stale):
            pool.report(lease, INVALID)
            pool.release(lease)
        pool.report(second, OK)
        pool.release(second)
    clock.advance(10 * 24 * 3600)
    assert 0 not in {call(pool) for _ in range(10)}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "…aaaa" in warnings[0] and RAW[0] not in warnings[0]


def test_circuit_breaker_sets_a_failing_key_aside_then_probes_it() -> None:
    pool, clock = make_pool(n=2, breaker_threshold=3, breaker_s=30)
    for _ in range(3):
        lease = pool.acquire(exclude={1})
        pool.report(lease, SERVER)
        pool.release(lease)
    assert pool.state_of(0) == "tripped"
    assert {call(pool) for _ in range(5)} == {1}
    clock.advance(31)
    probe = pool.acquire(exclude={1})
    assert probe.index == 0 and probe.probe
    pool.report(probe, SERVER)  # still failing: set aside again
    pool.release(probe)
    assert pool.state_of(0) == "tripped"
    clock.advance(31)
    probe = pool.acquire(exclude={1})
    pool.report(probe, OK)
    pool.release(probe)
    assert pool.state_of(0) == "ok"
    assert pool.snapshot()[0].errors == 4


def test_all_down_without_budget_fails_at_once_with_counts() -> None:
    pool, clock = make_pool(wait_budget_s=0)
    for outcome in (rate_limited(30), EXHAUSTED, INVALID):
        call(pool, outcome)
    with pytest.raises(KeysUnavailableError) as err:
        pool.acquire()
    assert isinstance(err.value, ProviderError)
    msg = str(err.value)
    assert msg == (
        "no Bytez key is available (3 keys: 1 cooling down, 1 exhausted, 1 invalid); "
        "the next recovers in 30 s"
    )
    assert err.value.retry_in_s == 30
    assert clock.slept == []


def test_all_down_waits_for_the_earliest_recovery_within_budget() -> None:
    pool, clock = make_pool(wait_budget_s=20)
    for after in (12, 5, 8):
        call(pool, rate_limited(after))
    lease = pool.acquire()
    assert lease.index == 1
    assert clock.slept == [5]


def test_all_down_beyond_budget_raises_without_sleeping() -> None:
    pool, clock = make_pool(wait_budget_s=20)
    for _ in range(3):
        call(pool, rate_limited(30))
    with pytest.raises(KeysUnavailableError, match="3 cooling down"):
        pool.acquire()
    assert clock.slept == []


def test_only_invalid_keys_says_none_will_recover() -> None:
    pool, _ = make_pool(n=2, wait_budget_s=20)
    call(pool, INVALID)
    call(pool, INVALID)
    with pytest.raises(KeysUnavailableError, match="none will recover until the keys are replaced"):
        pool.acquire()


async def test_async_acquire_waits_with_the_clock() -> None:
    pool, clock = make_pool(n=2, wait_budget_s=20)
    call(pool, rate_limited(3))
    call(pool, rate_limited(4))
    lease = await pool.aacquire()
    assert (lease.index, clock.slept) == (0, [3])
    pool.release(lease)
    other = await asyncio.wait_for(pool.atry_acquire(), 1)
    assert other is not None


def test_snapshot_and_repr_hold_no_raw_key() -> None:
    pool, _ = make_pool()
    call(pool, rate_limited(9))
    text = repr(pool) + repr(pool.snapshot()) + repr(pool.acquire())
    for raw in RAW:
        assert raw not in text
    assert [s.key for s in pool.snapshot()] == ["…aaaa", "…bbbb", "…cccc"]
    row = pool.snapshot()[0].as_dict()
    assert row["state"] == "cooling" and row["rate_limited"] == 1 and row["cooldown_s"] == 9


def test_pool_config_from_env_reads_and_checks_values() -> None:
    cfg = PoolConfig.from_env({"OHM_KEY_WAIT_S": "0", "OHM_KEY_EXHAUSTED_S": "90"})
    assert (cfg.wait_budget_s, cfg.exhausted_s) == (0, 90)
    assert PoolConfig.from_env({}).wait_budget_s == 20
    with pytest.raises(ValueError, match="OHM_KEY_WAIT_S must be a number of seconds"):
        PoolConfig.from_env({"OHM_KEY_WAIT_S": "soon"})
    with pytest.raises(ValueError, match="zero or a positive"):
        PoolConfig.from_env({"OHM_KEY_EXHAUSTED_S": "-1"})


def test_store_from_env() -> None:
    assert isinstance(store_from_env(""), MemoryStateStore)
    assert isinstance(store_from_env("memory"), MemoryStateStore)
    with pytest.raises(ValueError, match="OHM_KEY_STORE must be"):
        store_from_env("postgres://user:secret@db/x")
