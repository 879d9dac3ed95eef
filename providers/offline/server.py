"""The offline model: an OpenAI-compatible chat-completions server on loopback.

This is a simulator for offline use and tests, not a language model. It answers with
deterministic rules (see ``brain.py``) over the same HTTP protocol Bytez speaks, so
``ChatOpenAI``, streaming, tool calls and the key pool take exactly the path they take in
production. Per key, it can be told to answer with given status codes, bodies, headers and
delays, which is how the key-pool tests produce 429s, 402s and outages.

Endpoints: ``POST /v1/chat/completions`` (JSON or SSE stream), ``GET /v1/models``,
``GET /health``, and the test controls ``POST/DELETE /_ohm/faults`` and
``GET/DELETE /_ohm/requests``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..keys import mask
from .brain import Reply, respond

log = logging.getLogger(__name__)

MODELS = (
    "anthropic/claude-sonnet-4-5",
    "anthropic/claude-opus-4-1",
    "google/gemini-2.5-flash",
    "openai/gpt-4o-mini",
)


@dataclass
class Fault:
    """One scripted answer for requests made with a given key."""

    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    times: int | None = None  # None: every request from now on
    cut_after_chunks: int | None = None  # streams only: drop the connection mid-stream

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fault:
        allowed = {"status", "body", "headers", "delay_s", "times", "cut_after_chunks"}
        unknown = set(d) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**d)


@dataclass
class RequestRecord:
    key: str  # masked
    path: str
    status: int
    agent: str | None
    stream: bool
    at: float
    model: str | None = None
    images: int = 0
    """``image_url`` parts in the request's messages (attached photos reaching the model)."""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class FaultTable:
    """Faults by exact key ("*" for any key), consumed in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, list[Fault]] = {}

    def set(self, key: str, faults: list[Fault]) -> None:
        with self._lock:
            self._rules[key] = list(faults)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, key: str) -> Fault | None:
        with self._lock:
            for k in (key, "*"):
                rules = self._rules.get(k)
                while rules:
                    f = rules[0]
                    if f.times is None:
                        return f
                    if f.times > 0:
                        f.times -= 1
                        if f.times == 0:
                            rules.pop(0)
                        return f
                    rules.pop(0)
        return None


class _Server(ThreadingHTTPServer):
    # Bursts of concurrent requests (50 at once in the key-pool tests) must queue, not be
    # reset by the kernel's default backlog of 5.
    request_queue_size = 128


class OfflineServer:
    """A loopback chat-completions server in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, chunk_delay_s: float = 0.0):
        self.faults = FaultTable()
        self.records: list[RequestRecord] = []
        self._records_lock = threading.Lock()
        self.chunk_delay_s = chunk_delay_s
        self.latency_s = 0.0
        handler = _make_handler(self)
        self._httpd = _Server((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OfflineServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="ohm-offline-model", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> OfflineServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, rec: RequestRecord) -> None:
        with self._records_lock:
            self.records.append(rec)

    def requests_for(self, key: str) -> list[RequestRecord]:
        m = mask(key)
        with self._records_lock:
            return [r for r in self.records if r.key == m]

    def clear_records(self) -> None:
        with self._records_lock:
            self.records.clear()


_shared: OfflineServer | None = None
_shared_lock = threading.Lock()


def shared_server() -> OfflineServer:
    """The process's offline server, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = OfflineServer()
            # A test knob: slow every answer down, so that a test can catch a turn in
            # flight (to kill its process, or to overlap two turns). Not for normal use.
            _shared.latency_s = float(os.environ.get("OHM_OFFLINE_LATENCY_S") or 0)
            _shared.start()
        return _shared


# ---------------------------------------------------------------------- protocol


def _image_parts(body: dict[str, Any]) -> int:
    return sum(
        1
        for m in body.get("messages") or []
        if isinstance(m, dict) and isinstance(m.get("content"), list)
        for p in m["content"]
        if isinstance(p, dict) and p.get("type") == "image_url"
    )


def completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def _message_dict(reply: Reply) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.tool_calls:
        msg["tool_calls"] = [
            {
                "id": tc.id,
                "type": "function",
                "function": {"name": tc.name, "arguments": json.dumps(tc.arguments)},
            }
            for tc in reply.tool_calls
        ]
    return msg


def _usage(body: dict[str, Any], reply: Reply) -> dict[str, int]:
    prompt = sum(len(json.dumps(m)) for m in body.get("messages", [])) // 4
    completion = (
        len(reply.content) + sum(len(json.dumps(t.arguments)) for t in reply.tool_calls)
    ) // 4
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion_body(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "offline"),
        "choices": [
            {
                "index": 0,
                "message": _message_dict(reply),
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(body, reply),
    }


def _pieces(text: str, size: int) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i : i + size]


def stream_chunks(body: dict[str, Any], reply: Reply) -> Iterator[dict[str, Any]]:
    cid, created, model = completion_id(), int(time.time()), body.get("model", "offline")

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    for piece in _pieces(reply.content, 24):
        yield chunk({"content": piece})
    for n, tc in enumerate(reply.tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": n,
                        "id": tc.id,
                        "type": "function",
                        "function": {"name": tc.name, "arguments": ""},
                    }
                ]
            }
        )
        for piece in _pieces(json.dumps(tc.arguments), 200):
            yield chunk({"tool_calls": [{"index": n, "function": {"arguments": piece}}]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": _usage(body, reply),
        }


def _make_handler(server: OfflineServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without this, a reused connection
        # waits for a delayed ACK (about 40 ms) on every answer.
        disable_nagle_algorithm = True
        server_version = "OhmOffline/1"

        def log_message(self, fmt: str, *args: Any) -> None:  # keep stderr clean
            log.debug("offline model: " + fmt, *args)

        # -- helpers
        def _key(self) -> str:
            auth = self.headers.get("Authorization", "")
            return auth[7:].strip() if auth.lower().startswith("bearer ") else ""

        def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b"{}"
            data = json.loads(raw or b"{}")
            if not isinstance(data, dict):
                raise ValueError("request body must be a JSON object")
            return data

        # -- routes
        def do_GET(self) -> None:
            if self.path.rstrip("/") in ("/health", ""):
                self._send_json(200, {"ok": True, "simulator": True})
            elif self.path.rstrip("/").endswith("/models"):
                self._send_json(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {"id": m, "object": "model", "owned_by": "ohm-offline"} for m in MODELS
                        ],
                    },
                )
            elif self.path.startswith("/_ohm/requests"):
                with server._records_lock:
                    self._send_json(200, [r.as_dict() for r in server.records])
            else:
                self._send_json(404, {"error": f"no route {self.path}"})

        def do_DELETE(self) -> None:
            if self.path.startswith("/_ohm/faults"):
                server.faults.clear()
                self._send_json(200, {"ok": True})
            elif self.path.startswith("/_ohm/requests"):
                server.clear_records()
                self._send_json(200, {"ok": True})
            else:
                self._send_json(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:
            try:
                body = self._body()
            except (ValueError, json.JSONDecodeError) as exc:
                self._send_json(
                    400,
                    {
                        "error": {
                            "message": f"bad JSON body: {exc}",
                            "type": "invalid_request_error",
                        }
                    },
                )
                return
            if self.path.startswith("/_ohm/faults"):
                try:
                    for key, rules in body.items():
                        server.faults.set(key, [Fault.from_dict(r) for r in rules])
                except (TypeError, ValueError) as exc:
                    self._send_json(400, {"error": str(exc)})
                    return
                self._send_json(200, {"ok": True})
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": f"no route {self.path}"})
                return
            self._chat(body)

        def _chat(self, body: dict[str, Any]) -> None:
            key = self._key()
            agent = self.headers.get("X-Ohm-Agent")
            stream = bool(body.get("stream"))
            fault = server.faults.take(key) if key else None
            if server.latency_s:
                time.sleep(server.latency_s)
            if fault is not None and fault.delay_s:
                time.sleep(fault.delay_s)
            if not key:
                status = 401
                self._record(key, status, agent, stream, body)
                self._send_json(401, {"error": "Unauthorized: missing API key", "output": None})
                return
            if fault is not None and fault.status != 200:
                self._record(key, fault.status, agent, stream, body)
                payload = (
                    fault.body
                    if fault.body is not None
                    else {"error": HTTPStatus(fault.status).phrase, "output": None}
                )
                if isinstance(payload, str):
                    data = payload.encode()
                    self.send_response(fault.status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in fault.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    self._send_json(fault.status, payload, fault.headers)
                return
            try:
                reply = respond(body, agent)
            except Exception as exc:  # a simulator bug must look like a server error
                log.exception("offline model failed")
                self._record(key, 500, agent, stream, body)
                self._send_json(500, {"error": f"offline model failed: {exc}", "output": None})
                return
            self._record(key, 200, agent, stream, body)
            if not stream:
                self._send_json(200, completion_body(body, reply))
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            cut = fault.cut_after_chunks if fault is not None else None
            try:
                for n, ch in enumerate(stream_chunks(body, reply)):
                    if cut is not None and n >= cut:
                        self.close_connection = True
                        return
                    self.wfile.write(f"data: {json.dumps(ch)}\n\n".encode())
                    self.wfile.flush()
                    if server.chunk_delay_s:
                        time.sleep(server.chunk_delay_s)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def _record(
            self, key: str, status: int, agent: str | None, stream: bool, body: dict[str, Any]
        ) -> None:
            server.record(
                RequestRecord(
                    key=mask(key) if key else "",
                    path=self.path,
                    status=status,
                    agent=agent,
                    stream=stream,
                    at=time.monotonic(),
                    model=body.get("model"),
                    images=_image_parts(body),
                )
            )

    return Handler
