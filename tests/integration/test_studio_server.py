"""LangGraph's dev server on Ohm, as Studio uses it: ``langgraph dev`` driven by langgraph-sdk.

One server is started for the module, offline (no key, ``OHM_OFFLINE=1``, no analytics,
no version check) on a free loopback port, from a copy of the repository's server files
so that nothing is written into the working tree. A ``sitecustomize`` in the server's
path refuses and records every connection that is not to loopback, so the test also
shows the server needs no network. The server's process group is killed at the end and
the test checks that nothing is left running.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from nodes.agents import SPECIALISTS
from persistence.store import ArtifactStore

REPO = Path(__file__).resolve().parents[2]
ON_CI = os.environ.get("CI", "").lower() == "true"
# The packages the graph imports; copied with langgraph.json so the server runs on a copy.
SOURCES = ("graph", "nodes", "tools", "persistence", "providers")
START_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 60.0
KICKOFF = "I want to build a soil-moisture monitor on an ESP32 that waters my plants"

NET_GUARD = '''
"""Refuse and record connections that leave loopback (installed by the studio server test)."""
import ipaddress
import os
import socket
import sys

_LOG = os.environ["OHM_TEST_NET_LOG"]
_LOCAL = {"localhost", "127.0.0.1", "::1", "", None}


def _loopback(host):
    if host in _LOCAL:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(what):
    with open(_LOG, "a") as f:
        f.write(what + "\\n")
    raise OSError("outbound connection refused by the test: " + what)


def _hook(event, args):
    if event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
        if not _loopback(host):
            _refuse(f"getaddrinfo {host}")
    elif event == "socket.connect":
        sock, addr = args
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(addr[0]):
            _refuse(f"connect {addr[0]}")


sys.addaudithook(_hook)
'''


@dataclass
class DevServer:
    url: str
    data_dir: Path
    log: Path
    net_log: Path
    proc: subprocess.Popen[bytes]

    def output(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return re.sub(r"\x1b\[[0-9;]*m", "", text)[-6000:]


def _langgraph_cli() -> str | None:
    here = Path(sys.executable).parent / "langgraph"
    return str(here) if here.exists() else shutil.which("langgraph")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_ready(server: DevServer) -> str:
    """The server's URL once it answers; the port can differ from the one asked for."""
    deadline = time.monotonic() + START_TIMEOUT_S
    url = server.url
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        found = re.search(r"API: (http://127\.0\.0\.1:\d+)", server.output())
        url = found.group(1) if found else url
        try:
            if httpx.get(f"{url}/ok", timeout=1.0).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"`langgraph dev` did not start (exit code {server.proc.poll()}); its output:\n"
        + server.output()
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group and make sure nothing in it survives."""
    pgid = proc.pid  # started in a new session, so the group id is the server's pid
    try:
        os.killpg(pgid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    while True:
        try:
            os.killpg(pgid, signal.SIGKILL)  # anything the server started goes too
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"processes in the dev server's group {pgid} outlived SIGKILL")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    cli = _langgraph_cli()
    if cli is None:
        message = "the langgraph CLI is not installed (pip install -e '.[dev]')"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("studio")
    work = root / "repo"
    work.mkdir()
    shutil.copy2(REPO / "langgraph.json", work / "langgraph.json")
    for name in SOURCES:
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    guard = root / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NET_GUARD)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BYTEZ_API_KEY", "OHM_", "LANGSMITH_", "LANGCHAIN_"))
    }
    env.update(
        OHM_OFFLINE="1",
        OHM_DATA_DIR=str(root / "data"),
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGGRAPH_NO_VERSION_CHECK="true",
        OHM_TEST_NET_LOG=str(root / "outbound.log"),
        PYTHONPATH=os.pathsep.join([str(guard), str(work)]),
        PYTHONUNBUFFERED="1",
    )
    port = _free_port()
    listen = ["--host", "127.0.0.1", "--port", str(port)]
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            # --no-reload: one process, no file watcher. No --allow-blocking: the graph must
            # pass the server's blocking-call guard (see tests/unit/test_studio_graph.py).
            [cli, "dev", "--no-browser", "--no-reload", *listen],
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = DevServer(f"http://127.0.0.1:{port}", root / "data", log, root / "outbound.log", proc)
    try:
        srv.url = _wait_until_ready(srv)
        yield srv
    finally:
        _stop(proc)


def _client(server: DevServer) -> Any:
    from langgraph_sdk import get_client

    return get_client(url=server.url, timeout=RUN_TIMEOUT_S)


async def _stream_turn(client: Any, thread_id: str, message: str) -> list[str]:
    """Run one turn with only a message, streaming updates; the nodes that reported."""
    nodes: list[str] = []
    async for part in client.runs.stream(
        thread_id,
        "ohm",
        input={"messages": [{"role": "user", "content": message}]},
        stream_mode="updates",
    ):
        if part.event == "error":
            pytest.fail(f"the run failed: {part.data}")
        if part.event == "updates":
            nodes.extend(part.data)
    return nodes


def _ohm(data_dir: Path, *args: str) -> Any:
    """Run the ``ohm`` command on the server's data directory and parse its JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYTEZ_API_KEY")}
    env.update(OHM_DATA_DIR=str(data_dir), OHM_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


async def test_studio_draws_every_route_and_offers_the_context_with_defaults(
    server: DevServer,
) -> None:
    client = _client(server)
    [assistant] = await client.assistants.search(graph_id="ohm")
    drawing = await client.assistants.get_graph(assistant["assistant_id"])
    edges = {(e["source"], e["target"], bool(e.get("conditional"))) for e in drawing["edges"]}
    for agent in SPECIALISTS:
        tools = f"{agent}_tools"
        assert (agent, tools, True) in edges and (tools, agent, False) in edges
        assert (agent, "__end__", True) in edges
        assert ("classify", agent, True) in edges
    assert ("__start__", "classify", False) in edges

    schemas = await client.assistants.get_schemas(assistant["assistant_id"])
    context = schemas["context_schema"]
    assert {"project", "agent", "models", "temperatures"} <= set(context["properties"])
    assert context["properties"]["project"]["default"] == "default"
    assert not context.get("required")
    assert set(schemas["input_schema"]["properties"]) == {"messages"}


async def test_a_studio_thread_routes_writes_artifacts_and_replays_in_ohms_data_dir(
    server: DevServer,
) -> None:
    client = _client(server)
    thread_id = (await client.threads.create())["thread_id"]

    kickoff = await _stream_turn(client, thread_id, KICKOFF)
    assert kickoff[:2] == ["classify", "project_initializer"]
    assert "project_initializer_tools" in kickoff
    parts = await _stream_turn(client, thread_id, "What parts do I need?")
    assert parts[:2] == ["classify", "bom_generator"]
    state = await client.threads.get_state(thread_id)
    assert (state["values"]["agent"], state["values"]["intent"]) == ("bom_generator", "BOM")

    # The thread and its artifacts are in Ohm's data directory, in the default project.
    store = ArtifactStore.open(server.data_dir)
    try:
        thread = store.get_thread(thread_id)
        assert (thread.project_id, thread.current_agent) == ("default", "bom_generator")
        listed = _ohm(server.data_dir, "artifacts", "list", "--project", "default")
        assert {(a["type"], a["version"], a["thread_id"]) for a in listed} == {
            ("context", 1, thread_id),
            ("bom", 1, thread_id),
        }

        # The server's history and `ohm history` read the same checkpoints.
        server_history = await client.threads.get_history(thread_id, limit=200)
        ohm_history = _ohm(server.data_dir, "history", "--thread", thread_id)
        assert {s["checkpoint"]["checkpoint_id"] for s in server_history} == {
            h["checkpoint_id"] for h in ohm_history
        }
        wrote = {h["node"]: h["artifacts"] for h in ohm_history if h["artifacts"]}
        assert [a["type"] for a in wrote["bom_generator_tools"]] == ["bom"]

        # Replay the parts turn from its routing checkpoint through the server: a new
        # branch with a new BOM version, the recorded one untouched.
        routed = next(
            h for h in ohm_history if h["node"] == "classify" and h["next"] == ["bom_generator"]
        )
        first_bom = store.history("default", "bom")
        replayed = await client.runs.wait(
            thread_id, "ohm", input=None, checkpoint_id=routed["checkpoint_id"]
        )
        assert replayed["agent"] == "bom_generator"
        boms = store.history("default", "bom")
        assert [v.version for v in boms] == [1, 2]
        assert boms[0] == first_bom[0] and boms[1].content == boms[0].content

        # Fork the same turn as Studio's state editor does: the classifier's output is
        # replaced and the run continues to the wiring specialist.
        opening = [h for h in ohm_history if h["next"] == ["classify"]][-1]
        forked = await client.threads.update_state(
            thread_id,
            {"intent": "WIRING", "agent": "wiring_diagram", "route": "forced"},
            as_node="classify",
            checkpoint_id=opening["checkpoint_id"],
        )
        result = await client.runs.wait(
            thread_id, "ohm", input=None, checkpoint_id=forked["checkpoint"]["checkpoint_id"]
        )
        assert (result["agent"], result["route"]) == ("wiring_diagram", "forced")
        assert [v.version for v in store.history("default", "wiring")] == [1]
        assert [v.version for v in store.history("default", "bom")] == [1, 2]
    finally:
        store.close()


def test_the_server_made_no_outbound_connection(server: DevServer) -> None:
    # The guard is live in the server's interpreter: a lookup from the same environment
    # is refused and recorded.
    probe_log = server.net_log.with_name("probe.log")
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.getaddrinfo('pypi.org', 443)"],
        env={
            "PYTHONPATH": str(server.net_log.parent / "guard"),
            "OHM_TEST_NET_LOG": str(probe_log),
            "PATH": os.environ.get("PATH", ""),
        },
        capture_output=True,
        timeout=30,
    )
    assert probe.returncode != 0 and "getaddrinfo pypi.org" in probe_log.read_text()
    attempts = server.net_log.read_text() if server.net_log.exists() else ""
    assert attempts == "", f"the dev server tried to reach the network:\n{attempts}"
