"""Cooldowns shared through Redis: several pools (and processes) honour the same state.

Needs the Redis server on 127.0.0.1:6379. Without it these tests are skipped, except when
``CI`` is set, where a missing Redis is a failure rather than a silent skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodes.agents import AGENTS
from providers.classify import Outcome
from providers.factory import ModelFactory, ProviderSettings
from providers.keypool import (
    KeyPool,
    KeyStoreError,
    KeysUnavailableError,
    ManualClock,
    PoolConfig,
    ProviderError,
)
from providers.keys import Secret, mask
from providers.keystate import RedisStateStore, describe_url
from providers.offline.server import Fault, OfflineServer

pytestmark = [pytest.mark.integration, pytest.mark.services]

REDIS_URL = os.environ.get("OHM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
OHM = Path(sys.executable).with_name("ohm")


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        reason = (
            f"Redis at {describe_url(REDIS_URL)} is unreachable ({type(exc).__name__}); "
            "start redis-server to run the shared key-state tests"
        )
        if _ci():
            pytest.fail(reason + " (CI is set, so this is required)")
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture
def keys() -> list[str]:
    """Fresh keys per test: their fingerprints keep each test's records apart in Redis."""
    tag = uuid.uuid4().hex[:8]
    return [f"bz-redis-{tag}-key-{n}{n}{n}{n}" for n in range(1, 4)]


@pytest.fixture
def server() -> Iterator[OfflineServer]:
    with OfflineServer() as srv:
        srv._httpd.socket.listen(128)  # the stdlib backlog of 5 resets concurrent connects
        yield srv


def pool_for(keys: list[str], url: str, clock: ManualClock | None = None, **cfg: Any) -> KeyPool:
    cfg.setdefault("wait_budget_s", 0.0)
    return KeyPool(
        [Secret(k) for k in keys],
        config=PoolConfig(**cfg),
        store=RedisStateStore(url),
        clock=clock,
    )


def factory_for(server: OfflineServer, pool: KeyPool, keys: list[str]) -> ModelFactory:
    settings = ProviderSettings(
        base_url=server.base_url, keys=tuple(Secret(k) for k in keys), offline=False
    )
    return ModelFactory(settings, pool=pool)


async def test_a_cooldown_seen_by_one_pool_holds_for_another(
    redis_url: str, server: OfflineServer, keys: list[str]
) -> None:
    server.faults.set(keys[0], [Fault(status=429, headers={"Retry-After": "30"})])
    first = factory_for(server, pool_for(keys, redis_url), keys)
    second = factory_for(server, pool_for(keys, redis_url), keys)
    try:
        await first.chat_model(AGENTS["conversational"]).ainvoke("hello")
        assert len(server.requests_for(keys[0])) == 1
        # The second pool has never used key 1, and its round robin starts there.
        for _ in range(4):
            await second.chat_model(AGENTS["conversational"]).ainvoke("hello")
        assert len(server.requests_for(keys[0])) == 1
        snap = second.pool.snapshot()[0]
        assert (snap.state, snap.rate_limited) == ("cooling", 1)
        assert 25 < snap.cooldown_s <= 30
    finally:
        first.pool.reset()


def test_another_process_sees_the_shared_state(
    redis_url: str, server: OfflineServer, keys: list[str], tmp_path: Path
) -> None:
    server.faults.set(keys[0], [Fault(status=429, headers={"Retry-After": "30"})])
    server.faults.set(keys[1], [Fault(status=402)])
    here = factory_for(server, pool_for(keys, redis_url), keys)
    try:
        here.chat_model(AGENTS["conversational"]).invoke("hello")
        env = {
            **os.environ,
            "OHM_DATA_DIR": str(tmp_path / "data"),
            "OHM_KEY_STORE": redis_url,
            "OHM_BASE_URL": server.base_url,
            **{f"BYTEZ_API_KEY_{i + 1}": k for i, k in enumerate(keys)},
        }
        env.pop("OHM_OFFLINE", None)
        script = (
            "from nodes.agents import AGENTS\n"
            "from providers.factory import get_factory\n"
            "m = get_factory().chat_model(AGENTS['conversational'])\n"
            "for _ in range(3): m.invoke('hello from another process')\n"
        )
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr
        assert [len(server.requests_for(k)) for k in keys] == [1, 1, 4]
        shown = subprocess.run(
            [str(OHM), "keys", "--json"], env=env, capture_output=True, text=True, timeout=120
        )
        assert shown.returncode == 0, shown.stderr
        report = json.loads(shown.stdout)
        assert report["store"] == redis_url
        states = {k["key"]: k for k in report["keys"]}
        assert states[mask(keys[0])]["state"] == "cooling"
        assert states[mask(keys[1])]["state"] == "exhausted"
        assert states[mask(keys[2])]["successes"] == 4
        for raw in keys:
            assert raw not in shown.stdout + shown.stderr + run.stdout + run.stderr
    finally:
        here.pool.reset()


def test_only_one_probe_per_period_across_pools(redis_url: str, keys: list[str]) -> None:
    clock = ManualClock()
    pools = [pool_for(keys[:1], redis_url, clock, exhausted_s=600) for _ in range(3)]
    try:
        lease = pools[0].acquire()
        pools[0].report(lease, Outcome("exhausted", 402))
        pools[0].release(lease)
        for p in pools:
            with pytest.raises(KeysUnavailableError, match="1 exhausted"):
                p.acquire()
        clock.advance(601)
        got: list[bool] = []
        barrier = threading.Barrier(12)

        def grab(p: KeyPool) -> None:
            barrier.wait()
            with contextlib.suppress(KeysUnavailableError):
                got.append(p.acquire().probe)

        threads = [threading.Thread(target=grab, args=(pools[i % 3],)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == [True]
    finally:
        pools[0].reset()


async def test_async_calls_use_the_store_from_worker_threads(
    redis_url: str, server: OfflineServer, keys: list[str]
) -> None:
    server.latency_s = 0.01
    server.faults.set(keys[2], [Fault(status=401)])
    factory = factory_for(server, pool_for(keys, redis_url), keys)
    try:
        model = factory.chat_model(AGENTS["conversational"])
        results = await asyncio.gather(*(model.ainvoke("hi") for _ in range(20)))
        assert all(r.content for r in results)
        snap = factory.pool.snapshot()
        assert snap[2].state == "invalid" and snap[2].rejected >= 1
        assert snap[0].successes + snap[1].successes == 20
        assert len(server.requests_for(keys[2])) == snap[2].rejected
    finally:
        factory.pool.reset()


def test_an_unreachable_store_is_one_clear_error(keys: list[str]) -> None:
    pool = pool_for(keys, "redis://:hunter2@127.0.0.1:1/0")
    with pytest.raises(KeyStoreError) as err:
        pool.acquire()
    assert isinstance(err.value, ProviderError)
    message = str(err.value)
    assert message.startswith("the key-state store at redis://127.0.0.1:1/0 failed")
    assert "hunter2" not in message and "\n" not in message
