"""A fake OpenAI-compatible chat server that answers the way real models do.

It has no model behind it: each agent (the ``X-Ohm-Agent`` header Ohm sends) gets the
next scripted :class:`Answer`, or, once its script is used up, a short final text. The
answers reproduce what real providers send: parallel tool calls, arguments that are not
clean JSON, reasoning text before the call, answers cut at the token limit, streams that
stop anywhere, bodies in the wrong format, very long replies, slow or stalled streams.

How a scenario writes an artifact (tool name and argument shape) lives in one table,
:data:`WRITES`, so the scenarios follow a change of the write tools in one place.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest

# --------------------------------------------------------------------- write table

WriteArgs = Callable[..., dict[str, Any]]

WRITES: dict[str, tuple[str, WriteArgs]] = {
    # kind: (tool name, arguments builder)
    "context": ("write_document", lambda text: {"kind": "context", "markdown": text}),
    "code": (
        "write_code",
        lambda path, text: {"path": path, "language": "cpp", "text": text},
    ),
}
"""The tools and argument shapes the scenarios write with."""

WRONG_FIELDS: dict[str, tuple[dict[str, Any], str]] = {
    # kind: (arguments with the field names a model might guess, a required field they lack)
    "context": ({"type": "context", "body": "Soil monitor on an ESP32."}, "markdown"),
}


def write_call(kind: str, *args: Any) -> ToolCall:
    name, build = WRITES[kind]
    return ToolCall(name, json.dumps(build(*args)))


def wrong_field_call(kind: str) -> ToolCall:
    return ToolCall(WRITES[kind][0], json.dumps(WRONG_FIELDS[kind][0]))


def cut_call(kind: str, *args: Any, marker: str) -> ToolCall:
    """The call's arguments cut right after ``marker``, as a token limit leaves them."""
    whole = write_call(kind, *args).arguments
    return ToolCall(WRITES[kind][0], whole[: whole.index(marker) + len(marker)])


# --------------------------------------------------------------------- answers


@dataclass
class ToolCall:
    name: str
    arguments: str
    """Exactly the string the server sends as ``function.arguments``."""


Shape = Literal["normal", "json_for_stream", "bad_chunk", "no_end"]


@dataclass
class Answer:
    text: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    reasoning: str = ""
    """Sent before anything else as ``reasoning_content`` deltas."""
    finish: str | None = None
    """Default: ``tool_calls`` when there are calls, else ``stop``."""
    shape: Shape = "normal"
    cut_at: int | None = None
    """Close the connection after this many bytes of the event stream."""
    declare_length: bool = False
    """With ``cut_at``: announce the full length, so the early close is a broken body."""
    piece: int = 40
    """Characters of text or arguments per event."""
    delay_s: float = 0.0
    """Pause between events."""
    stall_after: int | None = None
    """Stop sending (without closing) after this many events, for ``stall_s``."""
    stall_s: float = 0.0
    status: int = 200
    """Anything else: answer with this HTTP status and an error body instead."""
    wait_s: float = 0.0
    """Pause before answering at all (streamed or not)."""

    def finish_reason(self) -> str:
        return self.finish or ("tool_calls" if self.calls else "stop")


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def completion(answer: Answer, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text or None}
    if answer.calls:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:8]}",
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for c in answer.calls
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:10]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason()}],
    }


def events(answer: Answer, model: str) -> list[bytes]:
    """The answer as server-sent events, one ``data:`` line each, ``[DONE]`` last."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:10]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return b"data: " + json.dumps({**base, "choices": [choice]}).encode() + b"\n\n"

    out = [event({"role": "assistant", "content": ""})]
    out += [event({"reasoning_content": p}) for p in _pieces(answer.reasoning, answer.piece)]
    if answer.text:
        out += [event({"content": p}) for p in _pieces(answer.text, answer.piece)]
    for i, c in enumerate(answer.calls):
        head = {"index": i, "id": f"call_{uuid.uuid4().hex[:8]}", "type": "function"}
        parts = _pieces(c.arguments, answer.piece)
        out.append(event({"tool_calls": [{**head, "function": {"name": c.name, "arguments": ""}}]}))
        out += [event({"tool_calls": [{"index": i, "function": {"arguments": p}}]}) for p in parts]
    out.append(event({}, answer.finish_reason()))
    out.append(b"data: [DONE]\n\n")
    return out


# --------------------------------------------------------------------- server


@dataclass
class Request:
    agent: str
    body: dict[str, Any]
    authorization: str


class ModelServer:
    """The fake server on loopback; ``script(agent, *answers)`` queues answers."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Answer]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.fallback = "Done. Everything is saved."
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def script(self, agent: str, *answers: Answer) -> None:
        with self.lock:
            self.scripts.setdefault(agent, []).extend(answers)

    def next_answer(self, agent: str) -> Answer:
        with self.lock:
            queue = self.scripts.get(agent) or []
            return queue.pop(0) if queue else Answer(text=self.fallback)

    def sent_to(self, agent: str) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.agent == agent]


def _handler(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            agent = self.headers.get("X-Ohm-Agent") or ""
            with server.lock:
                server.requests.append(
                    Request(agent, body, self.headers.get("Authorization") or "")
                )
            answer = server.next_answer(agent)
            model = str(body.get("model") or "fake")
            if answer.wait_s:
                time.sleep(answer.wait_s)
            if answer.status != 200:
                error = {"error": answer.text or "Internal Server Error", "output": None}
                self._json(json.dumps(error).encode(), answer.status)
                return
            if not body.get("stream") or answer.shape == "json_for_stream":
                self._json(json.dumps(completion(answer, model)).encode())
                return
            self._stream(answer, events(answer, model))

        def _json(self, data: bytes, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, answer: Answer, chunks: list[bytes]) -> None:
            if answer.shape == "bad_chunk":
                chunks.insert(2, b'data: {"id": "x", "choices": [{index: 0}]}\n\n')
            if answer.shape == "no_end":
                chunks = chunks[:-2]  # neither the finish reason nor [DONE]
            whole = b"".join(chunks)
            cut = answer.cut_at
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            if cut is not None and answer.declare_length:
                self.send_header("Content-Length", str(len(whole)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if cut is not None:
                self.wfile.write(whole[:cut])
                self.wfile.flush()
                return
            for i, chunk in enumerate(chunks):
                if answer.stall_after is not None and i == answer.stall_after:
                    time.sleep(answer.stall_s)
                elif i and answer.delay_s:
                    time.sleep(answer.delay_s)
                try:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                except OSError:
                    return

    return Handler


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, key: str, **env: str) -> Iterator[ModelServer]:
    """A scripted server with Ohm pointed at it: one key, no key waits, no local router
    (every message reaches the model) and the offline simulator off; ``env`` sets more."""
    from providers.factory import reset_factory

    with ModelServer() as srv:
        monkeypatch.setenv("BYTEZ_API_KEY_1", key)
        monkeypatch.setenv("OHM_BASE_URL", srv.base_url)
        monkeypatch.setenv("OHM_KEY_WAIT_S", "0")
        monkeypatch.setenv("OHM_ROUTER", "off")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("OHM_OFFLINE", raising=False)
        reset_factory()
        yield srv
        reset_factory()


def role_text(body: dict[str, object], role: str) -> str:
    """The text of every message with ``role`` in a recorded request body, one per line."""
    msgs = body.get("messages")
    assert isinstance(msgs, list)
    return "\n".join(str(m.get("content")) for m in msgs if m.get("role") == role)
