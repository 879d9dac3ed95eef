"""Three dashboard processes on one PostgreSQL database, one of them killed mid-turn.

30 turns over 10 threads, the turns of a thread sent to different processes at the same
moment; then ``kill -9`` on one process while turns run. Afterwards every accepted
message and its reply are in its thread exactly once, refused turns were told so (409),
artifact version numbers are unique and gapless, and no thread stays locked past its
lease. Needs PostgreSQL on 127.0.0.1:5432 and Redis on 6379 (skipped elsewhere, required
on CI).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage

from tests.integration.test_postgres import schema, urls  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.services, pytest.mark.integration]

LEASE_S = 3
Servers = tuple[list[subprocess.Popen[bytes]], list[str], dict[str, str]]
HEADERS = {"x-ohm-client": "test"}
# mp0..mp9 get three simultaneous turns each; mp10 runs on the process that is killed.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_or_skip() -> str:
    url = "redis://127.0.0.1:6379/0"
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            pass
    except OSError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required on CI and unreachable: {exc}")
        pytest.skip(f"Redis not reachable on 127.0.0.1:6379: {exc}")
    return url


@pytest.fixture
def servers(schema: str, tmp_path: Path) -> Iterator[Servers]:  # noqa: F811
    store_url, cp_url = urls(schema)
    env = {
        **os.environ,
        "OHM_DATABASE_URL": store_url,
        "OHM_CHECKPOINT_URL": cp_url,
        "OHM_KEY_STORE": _redis_or_skip(),
        "OHM_OFFLINE": "1",
        "OHM_OFFLINE_LATENCY_S": "0.15",
        "OHM_LEASE_S": str(LEASE_S),
        "OHM_DATA_DIR": str(tmp_path / "data"),
    }
    ohm = Path(sys.executable).with_name("ohm")
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    for i in range(3):
        port = _free_port()
        log = (tmp_path / f"serve{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [str(ohm), "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    for base, proc in zip(bases, procs, strict=True):
        while True:
            try:
                if httpx.get(f"{base}/api/projects", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                logs = "\n".join(p.read_text() for p in tmp_path.glob("serve*.log"))
                pytest.fail(f"ohm serve did not start:\n{logs[-3000:]}")
            time.sleep(0.2)
    try:
        yield procs, bases, env
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


async def _turn(client: httpx.AsyncClient, base: str, thread: str, text: str) -> tuple[str, Any]:
    try:
        r = await client.post(
            f"{base}/api/projects/mp/threads/{thread}/turns",
            json={"message": text, "stream": False},
            headers=HEADERS,
            timeout=120,
        )
    except httpx.HTTPError as exc:
        return "lost", type(exc).__name__  # the process was killed while it ran
    return ("ok" if r.status_code == 200 else str(r.status_code)), r.json()


async def _scenario(
    procs: list[subprocess.Popen[bytes]], bases: list[str], store_url: str
) -> dict[tuple[str, str], str]:
    from persistence.leases import ThreadLeases
    from persistence.store import ArtifactStore

    outcome: dict[tuple[str, str], str] = {}
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{bases[0]}/api/projects", json={"id": "mp"}, headers=HEADERS)
        assert r.status_code == 201, r.text
        jobs = []
        for t in range(10):
            for j in range(3):  # the three turns of a thread go to three processes at once
                thread, text = f"mp{t}", f"thread {t} message {j}: a plant monitor on an ESP32"
                jobs.append(((thread, text), _turn(client, bases[(t + j) % 3], thread, text)))
        victim = ("mp10", "thread 10 message 0: a weather station on an ESP32")
        jobs.append((victim, _turn(client, bases[2], *victim)))
        tasks = [asyncio.create_task(job) for _key, job in jobs]
        # Kill the third process while it holds the victim thread's lease (mid-turn).
        leases = ThreadLeases(ArtifactStore(store_url))
        deadline = time.monotonic() + 60
        while leases.holder(victim[0]) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        procs[2].send_signal(signal.SIGKILL)
        leases.store.close()
        results = await asyncio.gather(*tasks)
    for (key, _job), (status, body) in zip(jobs, results, strict=True):
        outcome[key] = status
        if status == "409":
            assert "is busy with a turn started at" in body["detail"]
        else:
            assert status in ("ok", "lost"), (status, body)
    return outcome


def test_three_processes_one_database_one_killed(
    servers: Servers,
) -> None:
    procs, bases, env = servers
    outcome = asyncio.run(_scenario(procs, bases, env["OHM_DATABASE_URL"]))
    statuses = list(outcome.values())
    assert "409" in statuses
    for t in range(10):  # one of each thread's three simultaneous turns got the thread
        assert any(s != "409" for (th, _), s in outcome.items() if th == f"mp{t}")
    assert outcome[("mp10", "thread 10 message 0: a weather station on an ESP32")] == "lost"

    # The killed holder's leases run out; a surviving process then finishes its turns.
    time.sleep(LEASE_S + 1)
    resumed: dict[str, str] = {}
    with httpx.Client(base_url=bases[0], headers=HEADERS, timeout=120) as client:
        for t in range(11):
            r = client.post(f"/api/projects/mp/threads/mp{t}/resume", json={"stream": False})
            assert r.status_code in (200, 400, 404), r.text
            resumed[f"mp{t}"] = f"{r.status_code} {r.text[:200]}"

    asyncio.run(_check_state(env, outcome, resumed))


async def _check_state(
    env: dict[str, str], outcome: dict[tuple[str, str], str], resumed: dict[str, str]
) -> None:
    from graph.assembly_line import AssemblyLine
    from persistence.leases import ThreadLeases
    from persistence.store import ArtifactStore

    old = {k: os.environ.get(k) for k in ("OHM_CHECKPOINT_URL", "OHM_DATABASE_URL")}
    os.environ["OHM_CHECKPOINT_URL"] = env["OHM_CHECKPOINT_URL"]
    os.environ["OHM_DATABASE_URL"] = env["OHM_DATABASE_URL"]
    store = ArtifactStore(env["OHM_DATABASE_URL"])
    try:
        async with AssemblyLine(store=store) as line:
            for t in range(11):
                thread = f"mp{t}"
                state = await line.graph.aget_state({"configurable": {"thread_id": thread}})
                msgs = (state.values or {}).get("messages") or []
                users = [m.content for m in msgs if isinstance(m, HumanMessage)]
                assert len(users) == len(set(users)), f"{thread}: a message is there twice"
                for (th, text), status in outcome.items():
                    if th != thread:
                        continue
                    if status == "ok":
                        assert text in users, f"{thread}: an accepted message is missing"
                    if status == "409":
                        assert text not in users, f"{thread}: a refused message was kept"
                # Every message has its final reply before the next message.
                for i, m in enumerate(msgs):
                    if isinstance(m, HumanMessage):
                        rest = msgs[i + 1 :]
                        end = next(
                            (k for k, x in enumerate(rest) if isinstance(x, HumanMessage)),
                            len(rest),
                        )
                        replies = [
                            x for x in rest[:end] if isinstance(x, AIMessage) and not x.tool_calls
                        ]
                        assert replies, f"{thread}: {m.content!r} has no reply ({resumed[thread]})"
                assert not state.next, f"{thread} still has an unfinished turn"
                assert ThreadLeases(store).holder(thread) is None
        for v in store.list_latest("mp", include_deleted=True):
            numbers = [h.version for h in store.history("mp", v.type, v.path)]
            assert numbers == list(range(1, len(numbers) + 1)), (v.type, v.path, numbers)
    finally:
        store.close()
        for k, value in old.items():
            if value is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = value
