"""Turns run as tasks: one at a time per thread, finishing even when the stream's reader
goes away, and every failure reaching the reader as one error event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import pytest

from app.web.turns import ThreadBusy, TurnRunner, public_event, sse_frame
from graph.assembly_line import AssemblyLine
from graph.events import ErrorEvent, OhmEvent, TextDelta, TurnFinished, TurnResult
from persistence.store import NotFoundError


def runner() -> TurnRunner:
    return TurnRunner(cast(AssemblyLine, None))


async def test_one_turn_at_a_time_per_thread() -> None:
    gate = asyncio.Event()

    async def slow() -> AsyncIterator[OhmEvent]:
        await gate.wait()
        yield TextDelta(agent="conversational", text="hi")

    r = runner()
    first = r.start("t1", slow)
    with pytest.raises(ThreadBusy, match="still running in thread 't1'"):
        r.start("t1", slow)
    other = r.start("t2", slow)  # other threads are not held up
    gate.set()
    assert [e.type for e in await r.collect(first)] == ["text"]
    assert [e.type for e in await r.collect(other)] == ["text"]
    await asyncio.sleep(0)
    assert not r.busy("t1")
    r.start("t1", slow)


async def test_a_turn_finishes_when_its_reader_leaves() -> None:
    finished = asyncio.Event()

    async def turn() -> AsyncIterator[OhmEvent]:
        yield TextDelta(agent="conversational", text="one")
        await asyncio.sleep(0.05)
        yield TextDelta(agent="conversational", text="two")
        finished.set()

    r = runner()
    stream = cast(AsyncGenerator[bytes, None], r.sse(r.start("t1", turn)))
    assert (await anext(stream)).startswith(b"retry:")
    assert b'"text": "one"' in await anext(stream)
    await stream.aclose()  # the browser tab closed
    await asyncio.wait_for(finished.wait(), 2)


async def test_exceptions_become_one_line_error_events() -> None:
    async def broken() -> AsyncIterator[OhmEvent]:
        raise NotFoundError("unknown checkpoint 'x' in thread 't1'")
        yield  # pragma: no cover

    async def crashing() -> AsyncIterator[OhmEvent]:
        raise RuntimeError("boom\nsecond line")
        yield  # pragma: no cover

    r = runner()
    [err] = await r.collect(r.start("a", broken))
    assert isinstance(err, ErrorEvent)
    assert (err.kind, err.message) == ("input", "unknown checkpoint 'x' in thread 't1'")
    [err2] = await r.collect(r.start("b", crashing))
    assert isinstance(err2, ErrorEvent)
    assert err2.kind == "internal" and err2.message == "RuntimeError: boom"


async def test_shutdown_cancels_turns_that_do_not_finish() -> None:
    async def forever() -> AsyncIterator[OhmEvent]:
        await asyncio.Event().wait()
        yield TextDelta(agent="x", text="never")  # pragma: no cover

    r = runner()
    queue = r.start("t1", forever)
    await r.shutdown(grace_s=0.05)
    events: list[Any] = await r.collect(queue)
    assert [e.message for e in events] == ["the server is stopping"]


def test_frames_carry_the_event_type_and_a_sanitized_reply() -> None:
    result = TurnResult(
        project="p",
        thread_id="t",
        checkpoint_id=None,
        intent=None,
        agent="conversational",
        route="classifier",
        reply="**ok** <script>x</script>",
    )
    data = public_event(TurnFinished(result=result))
    assert data["reply_html"] == "<p><strong>ok</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    frame = sse_frame(data, 7).decode()
    assert frame.startswith("id: 7\nevent: done\ndata: {")
    assert frame.endswith("\n\n") and frame.count("\n") == 4
