"""Reading a model's answer as it passes through the transport, before the SDK sees it.

The OpenAI SDK accepts a lot in silence: an event stream that just stops reads as a
finished answer, a chunk that is not JSON surfaces as a bare ``JSONDecodeError``, a plain
JSON body in answer to a streaming request becomes "no generations found". Here every
answer is checked on its way through and turned into one of two provider errors whose
message names the cause, and every raw key a service echoes back is masked first, in
successful answers as much as in errors.

An event stream is passed on whole lines at a time (server-sent events are line based),
so a key split over two network chunks is still found and masked.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from typing import Any

import httpx2
from langchain_core.messages import AIMessage

from .errors import IncompleteAnswerError, UnreadableAnswerError

Scrub = Callable[[str], str]


def _scrub_bytes(data: bytes, scrub: Scrub) -> bytes:
    text = data.decode("utf-8", errors="replace")
    clean = scrub(text)
    return data if clean == text else clean.encode("utf-8")


def wants_stream(request: httpx2.Request) -> bool:
    """True for a chat request that asked for an event stream (``"stream": true``)."""
    try:
        body = request.content
    except httpx2.RequestNotRead:
        return False
    if b'"stream"' not in body:
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("stream") is True


def _looks_like_events(raw: bytes) -> bool:
    head = raw.lstrip()[:6]
    return head.startswith((b"data:", b"event:", b":", b"id:"))


def check_plain_body(raw: bytes, *, streaming: bool, content_type: str) -> None:
    """Raise :class:`UnreadableAnswerError` for a successful plain body no client can use."""
    if streaming:
        if _looks_like_events(raw):
            return  # an event stream sent with the wrong content type still reads
        kind = "JSON body" if raw.lstrip()[:1] in (b"{", b"[") else "plain body"
        raise UnreadableAnswerError(
            f"the service sent a {kind} ({content_type or 'no content type'}) in answer to a "
            "streaming request"
        )
    if "json" in content_type:
        try:
            json.loads(raw)
        except ValueError as exc:
            raise UnreadableAnswerError(f"the body is not valid JSON ({_short(exc)})") from None


def _short(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at character {exc.pos}"
    return str(exc)[:120]


class StreamWatch:
    """Follows one event stream: masks keys, checks each event's JSON and notices whether
    the stream ended properly (``[DONE]`` or a choice with a finish reason)."""

    def __init__(self, scrub: Scrub, read_timeout: float | None = None) -> None:
        self._scrub = scrub
        self._pending = b""
        self._data: list[bytes] = []
        self.finished = False
        self.events = 0
        self.read_timeout = read_timeout

    def feed(self, chunk: bytes) -> bytes:
        """The complete lines of ``chunk`` (plus what was held back), checked and masked."""
        self._pending += chunk
        cut = self._pending.rfind(b"\n")
        if cut < 0:
            return b""
        ready, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
        for line in ready.split(b"\n")[:-1]:
            self._line(line)
        return _scrub_bytes(ready, self._scrub)

    def end(self) -> bytes:
        """What was held back; raises when the stream stopped before its end."""
        rest, self._pending = self._pending, b""
        if self.finished:
            return _scrub_bytes(rest, self._scrub) if rest else b""  # a cut [DONE] is harmless
        if rest:
            self._line(rest)
        self._dispatch()
        if not self.finished:
            seen = f"after {self.events} event(s)" if self.events else "before any event"
            raise IncompleteAnswerError(
                f"the stream closed {seen} without [DONE] or a finish reason"
            )
        return _scrub_bytes(rest, self._scrub) if rest else b""

    def broken(self, exc: BaseException) -> IncompleteAnswerError:
        """The error for a stream that failed while being read."""
        if isinstance(exc, httpx2.TimeoutException):
            wait = f"{self.read_timeout:g} s" if self.read_timeout else "too long"
            return IncompleteAnswerError(f"the service sent nothing for {wait} (OHM_TIMEOUT_S)")
        return IncompleteAnswerError(f"the connection broke ({type(exc).__name__})")

    def _line(self, line: bytes) -> None:
        line = line.rstrip(b"\r")
        if not line:
            self._dispatch()
        elif line.startswith(b"data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(b" ") else value)

    def _dispatch(self) -> None:
        if not self._data:
            return
        payload, self._data = b"\n".join(self._data), []
        self.events += 1
        if payload.strip() == b"[DONE]":
            self.finished = True
            return
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise UnreadableAnswerError(
                f"event {self.events} of the stream is not valid JSON ({_short(exc)})"
            ) from None
        if not isinstance(data, dict):
            raise UnreadableAnswerError(f"event {self.events} of the stream is not a JSON object")
        if "error" in data:
            self.finished = True  # the SDK raises the service's own error for this event
            return
        for choice in data.get("choices") or []:
            if isinstance(choice, dict) and choice.get("finish_reason"):
                self.finished = True


def unreadable_cause(exc: BaseException) -> str | None:
    """The cause, for an error a model client raises on an answer it could not use (a
    stream whose events held no message), or None for any other error."""
    if isinstance(exc, ValueError) and str(exc).startswith("No generations found in stream"):
        return "the stream held no message"
    return None


# A key can also arrive split over two events (two pieces of text or of a tool call's
# arguments), which no line of the stream shows whole: the assembled answer is masked
# again by the code that keeps it, with every pool of the process.
_pools: weakref.WeakSet[Any] = weakref.WeakSet()


def register_pool(pool: Any) -> None:
    """Let :func:`scrub_text` mask ``pool``'s keys (it needs a ``scrub(str)`` method)."""
    _pools.add(pool)


def scrub_text(text: str) -> str:
    for pool in list(_pools):
        text = pool.scrub(text)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v) for v in value]
    return value


def scrub_message(msg: AIMessage) -> AIMessage:
    """``msg`` with raw keys masked in its text and in its tool calls' arguments."""
    if not _pools:
        return msg
    if isinstance(msg.content, str):
        msg.content = scrub_text(msg.content)
    else:
        msg.content = _scrub_value(msg.content)
    for tc in msg.tool_calls:
        tc["args"] = _scrub_value(tc["args"])
    for bad in msg.invalid_tool_calls:
        if isinstance(bad.get("args"), str):
            bad["args"] = scrub_text(str(bad["args"]))
    return msg
