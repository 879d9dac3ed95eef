"""The pool under ``ChatOpenAI``, against real loopback HTTP servers.

Every failure class is produced by the offline model's per-key fault injection (or, for
dropped connections, by a small server that hangs up on one key) and driven through the
four ways a node calls a model: invoke, stream, ainvoke and astream. Time is a manual
clock, so cooldowns are checked by moving it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from nodes.agents import AGENTS
from nodes.classifier import IntentDecision
from providers.errors import IncompleteAnswerError
from providers.events import add_listener, event_sink
from providers.factory import ModelFactory, ProviderSettings
from providers.keypool import KeyPool, KeysUnavailableError, ManualClock, PoolConfig
from providers.keys import Secret, mask
from providers.offline.brain import Reply
from providers.offline.server import Fault, OfflineServer, completion_body, stream_chunks

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

KEYS = ["bz-http-key-alpha-0001", "bz-http-key-bravo-0002", "bz-http-key-charlie-0003"]
MODES = ("invoke", "stream", "ainvoke", "astream")
STREAMING = ("stream", "astream")
PROMPT = "Hello! Can you help me with my weather station?"

BYTEZ_429 = {"error": "Rate limit exceeded", "output": None}
BYTEZ_402 = {"status": 402, "error": "Payment Required", "message": "Insufficient credits..."}


@dataclass
class Rig:
    """A model factory over a given server, with a manual clock and an event log."""

    base_url: str
    keys: list[str]
    clock: ManualClock
    factory: ModelFactory
    events: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        base_url: str,
        keys: list[str] | None = None,
        *,
        timeout_s: float = 10.0,
        **config: Any,
    ) -> Rig:
        keys = list(keys or KEYS)
        secrets = tuple(Secret(k) for k in keys)
        settings = ProviderSettings(
            base_url=base_url, keys=secrets, offline=False, timeout_s=timeout_s
        )
        clock = ManualClock()
        config.setdefault("wait_budget_s", 0.0)
        pool = KeyPool(secrets, config=PoolConfig(**config), clock=clock)
        return cls(base_url, keys, clock, ModelFactory(settings, pool=pool))

    @property
    def pool(self) -> KeyPool:
        return self.factory.pool

    def model(self, agent: str = "conversational") -> ChatOpenAI:
        return self.factory.chat_model(AGENTS[agent])

    async def ask(self, mode: str, text: str = PROMPT, agent: str = "conversational") -> str:
        model = self.model(agent)
        if mode == "invoke":
            return str((await asyncio.to_thread(model.invoke, text)).content)
        if mode == "stream":
            return await asyncio.to_thread(
                lambda: "".join(str(c.content) for c in model.stream(text))
            )
        if mode == "ainvoke":
            return str((await model.ainvoke(text)).content)
        return "".join([str(c.content) async for c in model.astream(text)])

    def state(self, i: int) -> str:
        return self.pool.state_of(i)

    def cooldown(self, i: int) -> float:
        return self.pool.snapshot()[i].cooldown_s


def roomy(srv: OfflineServer) -> OfflineServer:
    """The stdlib server listens with a backlog of 5, so 50 simultaneous connections get
    reset by the kernel before the server sees them; give the queue room for the test."""
    srv._httpd.socket.listen(128)
    return srv


@pytest.fixture(scope="module")
def shared_server() -> Iterator[OfflineServer]:
    with OfflineServer() as srv:
        yield roomy(srv)


@pytest.fixture
def server(shared_server: OfflineServer) -> OfflineServer:
    """One server per module (stopping one takes half a second), reset for every test."""
    shared_server.faults.clear()
    shared_server.clear_records()
    shared_server.latency_s = 0.0
    return shared_server


@pytest.fixture
def own_server() -> Iterator[OfflineServer]:
    """A server for a test whose late answers must not reach the next test's records."""
    with OfflineServer() as srv:
        yield roomy(srv)


@pytest.fixture
def rig(server: OfflineServer) -> Iterator[Rig]:
    r = Rig.build(server.base_url)
    remove = add_listener(r.events.append)
    yield r
    remove()
    r.factory.close()


@pytest.fixture
async def expected(server: OfflineServer) -> str:
    """The healthy answer to PROMPT, from a separate pool so the tested one is untouched."""
    other = Rig.build(server.base_url, ["bz-http-baseline-key-9999"])
    text = await other.ask("ainvoke")
    server.clear_records()
    return text


def hits(server: OfflineServer, i: int) -> int:
    return len(server.requests_for(KEYS[i]))


def fault(server: OfflineServer, i: int, *faults: Fault) -> None:
    server.faults.set(KEYS[i], list(faults))


# ------------------------------------------------------------------ each class


@pytest.mark.parametrize("mode", MODES)
async def test_rate_limited_key_moves_the_request_at_once(
    server: OfflineServer, rig: Rig, expected: str, mode: str
) -> None:
    fault(server, 0, Fault(status=429, body=BYTEZ_429, headers={"Retry-After": "30"}))
    assert await rig.ask(mode) == expected
    assert (hits(server, 0), hits(server, 1), hits(server, 2)) == (1, 1, 0)
    assert server.requests_for(KEYS[1])[0].stream == (mode in STREAMING)
    assert rig.state(0) == "cooling" and rig.cooldown(0) == 30
    assert rig.clock.slept == []
    assert rig.events == [
        {
            "event": "key_rotation",
            "from_key": mask(KEYS[0]),
            "to_key": mask(KEYS[1]),
            "reason": "rate limited (429), retry after 30 s",
        }
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_out_of_credit_key_is_exhausted_for_the_long_period(
    server: OfflineServer, rig: Rig, expected: str, mode: str
) -> None:
    fault(server, 0, Fault(status=402, body=BYTEZ_402))
    assert await rig.ask(mode) == expected
    assert (hits(server, 0), hits(server, 1)) == (1, 1)
    assert rig.state(0) == "exhausted" and rig.cooldown(0) == 3600
    assert rig.events[0]["reason"] == "out of credit (402)"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            429,
            {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}},
        ),
        (403, {"detail": "Your billing account is suspended"}),
        (401, {"errors": [{"message": "no credits left on this key"}]}),
    ],
)
async def test_quota_bodies_in_any_field_mean_exhausted(
    server: OfflineServer, rig: Rig, status: int, body: dict[str, Any]
) -> None:
    fault(server, 0, Fault(status=status, body=body))
    await rig.ask("ainvoke")
    assert rig.state(0) == "exhausted"


@pytest.mark.parametrize("mode", MODES)
async def test_rejected_key_is_out_until_restart_and_reported_once(
    server: OfflineServer, rig: Rig, expected: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    fault(server, 0, Fault(status=401, body={"error": "Unauthorized", "output": None}))
    with caplog.at_level("WARNING", logger="providers.keypool"):
        assert await rig.ask(mode) == expected
        rig.clock.advance(7 * 24 * 3600)
        for _ in range(4):
            assert await rig.ask(mode) == expected
    assert hits(server, 0) == 1
    assert rig.state(0) == "invalid"
    warnings = [r.getMessage() for r in caplog.records if r.name == "providers.keypool"]
    assert len(warnings) == 1 and mask(KEYS[0]) in warnings[0]
    assert KEYS[0] not in caplog.text


@pytest.mark.parametrize("mode", MODES)
async def test_server_error_is_retried_once_on_another_key(
    server: OfflineServer, rig: Rig, expected: str, mode: str
) -> None:
    fault(server, 0, Fault(status=503, body={"error": "upstream overloaded"}, times=1))
    assert await rig.ask(mode) == expected
    assert (hits(server, 0), hits(server, 1)) == (1, 1)
    snap = rig.pool.snapshot()[0]
    assert (snap.state, snap.errors) == ("ok", 1)
    assert rig.events[0]["reason"] == "server error (503)"


@pytest.mark.parametrize("mode", MODES)
async def test_second_server_error_reaches_the_caller(
    server: OfflineServer, rig: Rig, mode: str
) -> None:
    server.faults.set("*", [Fault(status=500, body={"error": "down"})])
    with pytest.raises(openai.InternalServerError):
        await rig.ask(mode)
    assert (hits(server, 0), hits(server, 1), hits(server, 2)) == (1, 1, 0)


async def test_keys_failing_in_a_row_are_set_aside_then_probed(
    server: OfflineServer, rig: Rig
) -> None:
    fault(server, 0, Fault(status=502))
    for _ in range(9):  # key 0 gets every third request
        await rig.ask("ainvoke")
    assert hits(server, 0) == 3 and rig.state(0) == "tripped"
    for _ in range(6):
        await rig.ask("ainvoke")
    assert hits(server, 0) == 3
    server.faults.clear()
    rig.clock.advance(31)
    await asyncio.gather(*(rig.ask("ainvoke") for _ in range(8)))
    assert hits(server, 0) == 4  # one probe, which succeeded
    assert rig.state(0) == "ok"


@pytest.mark.parametrize("mode", MODES)
async def test_timeout_is_retried_on_another_key(own_server: OfflineServer, mode: str) -> None:
    server = own_server
    rig = Rig.build(server.base_url, timeout_s=0.3)
    fault(server, 0, Fault(status=200, delay_s=1.5, times=1))
    events: list[dict[str, Any]] = []
    with event_sink(events.append):
        assert await rig.ask(mode)
    # Key 1's request is recorded only when its delayed answer is written; key 2 answered.
    assert (hits(server, 1), hits(server, 2)) == (1, 0)
    assert [e["from_key"] for e in events] == [mask(KEYS[0])]
    assert events[0]["reason"] == "timed out (ReadTimeout)"
    assert rig.pool.snapshot()[0].errors == 1


@pytest.mark.parametrize("mode", MODES)
async def test_other_client_errors_reach_the_caller_unchanged(
    server: OfflineServer, rig: Rig, mode: str
) -> None:
    body = {"error": {"message": "model 'x' does not exist", "type": "invalid_request_error"}}
    fault(server, 0, Fault(status=400, body=body))
    with pytest.raises(openai.BadRequestError) as err:
        await rig.ask(mode)
    assert err.value.status_code == 400
    assert err.value.body == body["error"]
    assert (hits(server, 0), hits(server, 1)) == (1, 0)
    assert rig.state(0) == "ok" and rig.events == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_key_echoed_by_the_service_is_masked_in_the_error(
    server: OfflineServer, rig: Rig, mode: str
) -> None:
    fault(server, 0, Fault(status=400, body={"error": f"key {KEYS[0]} may not use this model"}))
    with pytest.raises(openai.BadRequestError) as err:
        await rig.ask(mode)
    text = str(err.value) + repr(err.value.body) + err.value.response.text
    assert KEYS[0] not in text and mask(KEYS[0]) in text
    # The request object lives on in the error: it holds no key, only the placeholder
    # (or, with SDKs that keep authentication out of the request, no header at all).
    sent = dict(err.value.response.request.headers)
    assert all(key not in str(sent) for key in KEYS)
    assert sent.get("authorization") in (None, "Bearer set-by-ohm-key-pool")


async def test_structured_output_rotates_like_plain_calls(server: OfflineServer, rig: Rig) -> None:
    fault(server, 0, Fault(status=429, headers={"Retry-After": "5"}))
    model = rig.model("orchestrator").with_structured_output(
        IntentDecision, method="function_calling"
    )
    prompt = [HumanMessage("What parts do I need for the soil sensor?")]
    sync = await asyncio.to_thread(model.invoke, prompt)  # key 1 → 429 → key 2
    fault(server, 2, Fault(status=402))
    asynchronous = await model.ainvoke(prompt)  # key 3 → 402 → key 2 (key 1 cools)
    assert isinstance(sync, IntentDecision) and isinstance(asynchronous, IntentDecision)
    assert sync.intent == asynchronous.intent == "BOM"
    assert [(e["from_key"], e["to_key"], e["reason"]) for e in rig.events] == [
        (mask(KEYS[0]), mask(KEYS[1]), "rate limited (429), retry after 5 s"),
        (mask(KEYS[2]), mask(KEYS[1]), "out of credit (402)"),
    ]
    assert [hits(server, i) for i in range(3)] == [1, 2, 1]


# ----------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("headers", "cooldown"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ("date+40", 40.0),
        ({}, 1.0),
    ],
)
async def test_retry_after_forms_set_the_cooldown(
    server: OfflineServer, rig: Rig, headers: dict[str, str] | str, cooldown: float
) -> None:
    if headers == "date+40":
        headers = {"Retry-After": email.utils.formatdate(rig.clock.now() + 40, usegmt=True)}
    assert isinstance(headers, dict)
    fault(server, 0, Fault(status=429, headers=headers))
    await rig.ask("astream")
    assert rig.cooldown(0) == pytest.approx(cooldown, abs=1e-3)
    rig.clock.advance(cooldown - 0.01)
    await rig.ask("astream")
    await rig.ask("astream")
    assert hits(server, 0) == 1
    rig.clock.advance(0.02)
    server.faults.clear()
    for _ in range(3):  # round robin reaches key 1 within three calls
        await rig.ask("astream")
    assert hits(server, 0) == 2


async def test_backoff_without_hint_doubles_and_resets_after_success(
    server: OfflineServer,
) -> None:
    rig = Rig.build(server.base_url, KEYS[:1])
    fault(server, 0, Fault(status=429, body=BYTEZ_429))
    cooldowns = []
    for _ in range(4):
        with pytest.raises(KeysUnavailableError):
            await rig.ask("ainvoke")
        cooldowns.append(rig.cooldown(0))
        rig.clock.advance(cooldowns[-1])
    assert cooldowns == [1, 2, 4, 8]
    server.faults.clear()
    await rig.ask("ainvoke")
    fault(server, 0, Fault(status=429, body=BYTEZ_429))
    with pytest.raises(KeysUnavailableError):
        await rig.ask("ainvoke")
    assert rig.cooldown(0) == 1


@pytest.mark.parametrize("order", [("30", "5"), ("5", "30")])
async def test_a_shorter_signal_never_shortens_a_live_cooldown(
    server: OfflineServer, order: tuple[str, str]
) -> None:
    """Two requests in flight on one key both get a 429; the later, shorter one must not
    cut the cooldown, and a later, longer one extends it."""
    rig = Rig.build(server.base_url, KEYS[:1])
    first, later = order
    fault(
        server,
        0,
        Fault(status=429, headers={"Retry-After": first}, times=1),
        Fault(status=429, headers={"Retry-After": later}, delay_s=0.3, times=1),
    )
    results = await asyncio.gather(rig.ask("ainvoke"), rig.ask("astream"), return_exceptions=True)
    assert all(isinstance(r, KeysUnavailableError) for r in results)
    assert hits(server, 0) == 2
    assert rig.cooldown(0) == 30


# ------------------------------------------------------------------ exhausted


async def test_exhausted_key_is_reprobed_at_most_once_per_period(
    server: OfflineServer, rig: Rig
) -> None:
    fault(server, 0, Fault(status=402, body=BYTEZ_402))
    await rig.ask("ainvoke")
    assert hits(server, 0) == 1
    for step in (600, 1800, 1199):  # just short of the hour
        rig.clock.advance(step)
        await asyncio.gather(*(rig.ask("ainvoke") for _ in range(10)))
    assert hits(server, 0) == 1
    for period in range(2, 5):
        rig.clock.advance(2 if period == 2 else 3600)
        await asyncio.gather(*(rig.ask(m) for m in MODES * 5))
        assert hits(server, 0) == period  # one probe per period, still out of credit
        assert rig.state(0) == "exhausted"
    server.faults.clear()  # credits refreshed
    rig.clock.advance(3600)
    await asyncio.gather(*(rig.ask("ainvoke") for _ in range(9)))
    assert hits(server, 0) == 5  # the others were sent while the probe was out
    assert rig.state(0) == "ok"
    for _ in range(6):
        await rig.ask("ainvoke")
    assert hits(server, 0) == 7  # back in the rotation


# ------------------------------------------------------------------ streams


@pytest.mark.parametrize("mode", STREAMING)
async def test_stream_that_breaks_before_its_first_byte_moves_to_another_key(
    server: OfflineServer, rig: Rig, expected: str, mode: str
) -> None:
    fault(server, 0, Fault(status=200, cut_after_chunks=0, times=1))
    assert await rig.ask(mode) == expected
    assert (hits(server, 0), hits(server, 1)) == (1, 1)


@pytest.mark.parametrize("mode", STREAMING)
async def test_stream_that_breaks_after_text_is_never_repeated(
    server: OfflineServer, rig: Rig, expected: str, mode: str
) -> None:
    fault(server, 0, Fault(status=200, cut_after_chunks=2, times=1))
    # Not retried (the text already reached the caller) and not taken as a whole answer.
    with pytest.raises(IncompleteAnswerError) as err:
        await rig.ask(mode)
    assert "without [DONE] or a finish reason" in str(err.value)
    assert (hits(server, 0), hits(server, 1), hits(server, 2)) == (1, 0, 0)
    assert rig.pool.snapshot()[0].in_flight == 0


# --------------------------------------------------------- concurrency and load


async def test_fifty_concurrent_calls_never_touch_the_cooling_key(
    server: OfflineServer, rig: Rig
) -> None:
    server.latency_s = 0.02
    fault(server, 0, Fault(status=429, body=BYTEZ_429, headers={"Retry-After": "30"}))
    results = await asyncio.gather(*(rig.ask(MODES[2 + i % 2]) for i in range(50)))
    assert all(results)
    # Requests already on their way when the first 429 came back are answered 429 too;
    # once key 1 is cooling it receives nothing more.
    first_wave = hits(server, 0)
    assert 1 <= first_wave <= 17
    assert rig.state(0) == "cooling"
    before = (hits(server, 1), hits(server, 2))
    results = await asyncio.gather(*(rig.ask(MODES[2 + i % 2]) for i in range(50)))
    assert all(results)
    assert hits(server, 0) == first_wave
    spread = (hits(server, 1) - before[0], hits(server, 2) - before[1])
    assert sum(spread) == 50 and min(spread) >= 15
    assert all(s.in_flight == 0 for s in rig.pool.snapshot())
    rig.clock.advance(30)
    server.faults.clear()
    await asyncio.gather(*(rig.ask("ainvoke") for _ in range(6)))
    assert hits(server, 0) > first_wave


def test_fifty_calls_from_threads_spread_over_healthy_keys(server: OfflineServer, rig: Rig) -> None:
    server.latency_s = 0.02
    fault(server, 0, Fault(status=429, headers={"Retry-After": "30"}, times=1))
    model = rig.model()
    model.invoke("prime the pool")  # key 1 answers 429 and starts cooling
    assert hits(server, 0) == 1

    def one(i: int) -> str:
        if i % 2:
            return "".join(str(c.content) for c in model.stream(PROMPT))
        return str(model.invoke(PROMPT).content)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, range(50)))
    assert all(results)
    assert hits(server, 0) == 1
    assert min(hits(server, 1), hits(server, 2)) >= 15


# ------------------------------------------------------------------ all down


@pytest.mark.parametrize("mode", MODES)
async def test_all_keys_down_without_budget_fails_at_once(
    server: OfflineServer, rig: Rig, mode: str
) -> None:
    server.faults.set("*", [Fault(status=429, headers={"Retry-After": "30"})])
    with pytest.raises(KeysUnavailableError) as err:
        await rig.ask(mode)
    assert "3 keys: 3 cooling down, 0 exhausted, 0 invalid" in str(err.value)
    assert "the next recovers in 30 s" in str(err.value)
    assert [hits(server, i) for i in range(3)] == [1, 1, 1]
    with pytest.raises(KeysUnavailableError):
        await rig.ask(mode)
    assert len(server.records) == 3  # the second call never left the process
    assert rig.clock.slept == []


@pytest.mark.parametrize("mode", MODES)
async def test_all_keys_down_with_budget_waits_for_the_first_to_recover(
    server: OfflineServer, mode: str
) -> None:
    rig = Rig.build(server.base_url, wait_budget_s=20)
    for i, after in enumerate(("12", "4", "9")):
        fault(server, i, Fault(status=429, headers={"Retry-After": after}, times=1))
    assert await rig.ask(mode)
    assert rig.clock.slept == [4]
    assert [hits(server, i) for i in range(3)] == [1, 2, 1]


async def test_all_keys_down_beyond_budget_fails_without_waiting(server: OfflineServer) -> None:
    rig = Rig.build(server.base_url, wait_budget_s=20)
    server.faults.set("*", [Fault(status=429, headers={"Retry-After": "45"})])
    fault(server, 2, Fault(status=402))
    with pytest.raises(KeysUnavailableError, match=r"2 cooling down, 1 exhausted.*45 s"):
        await rig.ask("astream")
    assert rig.clock.slept == []


# ------------------------------------------------------------- connection drops


class _HangUpServer:
    """Answers chat completions, except that it hangs up on one key without a reply."""

    def __init__(self, drop_key: str) -> None:
        self.drop_key = drop_key
        self.seen: list[str] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Authorization", "")[7:]
                with outer._lock:
                    outer.seen.append(mask(key))
                if key == outer.drop_key:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                reply = Reply(content="answer from a key that works")
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for chunk in stream_chunks(body, reply):
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.close_connection = True
                    return
                data = json.dumps(completion_body(body, reply)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("mode", MODES)
async def test_dropped_connection_is_retried_on_another_key(mode: str) -> None:
    hangup = _HangUpServer(KEYS[0])
    try:
        rig = Rig.build(hangup.base_url)
        events: list[dict[str, Any]] = []
        with event_sink(events.append):
            assert await rig.ask(mode) == "answer from a key that works"
        assert hangup.seen == [mask(KEYS[0]), mask(KEYS[1])]
        assert events[0]["from_key"] == mask(KEYS[0])
        assert "connection failed" in events[0]["reason"]
        assert rig.pool.snapshot()[0].errors == 1
    finally:
        hangup.close()


async def test_dropped_connections_on_every_key_reach_the_caller() -> None:
    hangup = _HangUpServer(KEYS[0])
    try:
        rig = Rig.build(hangup.base_url, KEYS[:1])
        with pytest.raises(openai.APIConnectionError):
            await rig.ask("ainvoke")
        assert hangup.seen == [mask(KEYS[0])]
    finally:
        hangup.close()


@pytest.mark.parametrize("mode", ("ainvoke", "astream"))
async def test_a_cancelled_call_frees_its_key(own_server: OfflineServer, mode: str) -> None:
    rig = Rig.build(own_server.base_url)
    own_server.faults.set("*", [Fault(status=200, delay_s=1.0)])
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(rig.ask(mode), 0.2)
    assert [s.in_flight for s in rig.pool.snapshot()] == [0, 0, 0]
    assert rig.events == []
