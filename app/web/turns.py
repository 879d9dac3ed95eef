"""Running turns for the dashboard and streaming their events as server-sent events.

A turn runs in its own task and feeds a queue; the HTTP response only reads that queue.
Closing the browser tab therefore ends the stream but not the turn, which finishes and
saves its artifacts as it would from the CLI. One turn at a time per thread: a second
one would race the first on the same checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from graph.assembly_line import AssemblyLine
from graph.events import ErrorEvent, OhmEvent, TurnFinished
from graph.failures import error_event, one_line
from persistence.leases import ThreadBusy as ThreadLeased

from .render import markdown_html

log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
_END = object()
_NO_HEAD = object()


class ThreadBusy(Exception):
    """Another turn is still running in this thread."""


def public_event(ev: OhmEvent) -> dict[str, Any]:
    """The event as JSON, with the finished reply also rendered as sanitized HTML."""
    data = ev.public()
    if isinstance(ev, TurnFinished):
        data["reply_html"] = str(markdown_html(ev.result.reply, breaks=True))
    return data


def sse_frame(data: dict[str, Any], seq: int) -> bytes:
    body = json.dumps(data, ensure_ascii=False, default=str)
    return f"id: {seq}\nevent: {data.get('type', 'message')}\ndata: {body}\n\n".encode()


def _error_for(exc: BaseException, thread_id: str) -> ErrorEvent:
    event = error_event(exc, thread_id)
    return event.model_copy(update={"message": one_line(event.message)})


class TurnRunner:
    """Starts turns as tasks, one per thread, and hands out their event streams."""

    def __init__(self, line: AssemblyLine) -> None:
        self.line = line
        self._running: dict[str, asyncio.Task[None]] = {}

    def busy(self, thread_id: str) -> bool:
        task = self._running.get(thread_id)
        return task is not None and not task.done()

    def start(
        self, thread_id: str, source: Callable[[], AsyncIterator[OhmEvent]]
    ) -> asyncio.Queue[Any]:
        """Run ``source()`` in the background; its events (then an end marker) go to the
        returned queue."""
        if self.busy(thread_id):
            raise ThreadBusy(
                f"a turn is still running in thread {thread_id!r}; wait for it to finish"
            )
        queue: asyncio.Queue[Any] = asyncio.Queue()

        async def pump() -> None:
            try:
                async for ev in source():
                    queue.put_nowait(ev)
            except ThreadLeased as exc:  # another process runs a turn here: the caller's 409
                queue.put_nowait(exc)
            except asyncio.CancelledError:
                queue.put_nowait(ErrorEvent(kind="internal", message="the server is stopping"))
                raise
            except Exception as exc:  # every failure reaches the caller as one event
                log.debug("turn failed", exc_info=exc)
                queue.put_nowait(_error_for(exc, thread_id))
            finally:
                queue.put_nowait(_END)

        task = asyncio.create_task(pump(), name=f"ohm-turn-{thread_id}")
        self._running[thread_id] = task
        task.add_done_callback(lambda t: self._forget(thread_id, t))
        return queue

    def _forget(self, thread_id: str, task: asyncio.Task[None]) -> None:
        if self._running.get(thread_id) is task:
            del self._running[thread_id]

    async def first(self, queue: asyncio.Queue[Any]) -> Any:
        """The turn's first event, raising :class:`ThreadLeased` when another process holds
        the thread (before any response is sent, so the caller can answer 409)."""
        item = await queue.get()
        if isinstance(item, ThreadLeased):
            await queue.get()  # the end marker
            raise item
        return item

    async def collect(self, queue: asyncio.Queue[Any], head: Any = _NO_HEAD) -> list[OhmEvent]:
        events: list[OhmEvent] = []
        item = head if head is not _NO_HEAD else await queue.get()
        while item is not _END:
            events.append(item)
            item = await queue.get()
        return events

    async def sse(self, queue: asyncio.Queue[Any], head: Any = _NO_HEAD) -> AsyncIterator[bytes]:
        """The queue as server-sent event frames, with comments to keep proxies awake."""
        seq = 0
        yield b"retry: 86400000\n\n"
        pending = head
        while True:
            if pending is not _NO_HEAD:
                item, pending = pending, _NO_HEAD
            else:
                try:
                    item = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    yield b": still working\n\n"
                    continue
            if item is _END:
                return
            seq += 1
            yield sse_frame(public_event(item), seq)

    async def shutdown(self, grace_s: float = 10.0) -> None:
        """Let running turns finish (they save as they go), then cancel the stragglers."""
        tasks = [t for t in self._running.values() if not t.done()]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace_s)
        for t in pending:
            t.cancel()
        for t in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
