"""Checking answers on their way through the transport (no network)."""

from __future__ import annotations

import json

import httpx2
import pytest

from providers.answers import (
    StreamWatch,
    check_plain_body,
    scrub_message,
    unreadable_cause,
    wants_stream,
)
from providers.errors import IncompleteAnswerError, UnreadableAnswerError
from providers.factory import CONNECT_TIMEOUT_S, ModelFactory, ProviderSettings, request_timeout
from providers.keys import Secret, mask

KEY = "bz-watch-key-abcd-7q7q"


def _scrub(text: str) -> str:
    return text.replace(KEY, mask(KEY))


def _event(delta: dict[str, object], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


def _run(chunks: list[bytes]) -> bytes:
    watch = StreamWatch(_scrub)
    out = b"".join(watch.feed(c) for c in chunks)
    return out + watch.end()


def test_a_whole_stream_passes_unchanged_whatever_its_chunking() -> None:
    whole = _event({"content": "hi"}) + _event({}, "stop") + b"data: [DONE]\n\n"
    for size in (1, 3, 17, len(whole)):
        pieces = [whole[i : i + size] for i in range(0, len(whole), size)]
        assert _run(pieces) == whole


def test_a_finish_reason_without_done_is_a_whole_answer() -> None:
    assert _run([_event({"content": "hi"}), _event({}, "stop")])


@pytest.mark.parametrize("cut", [1, 10, 30, 60])
def test_a_stream_cut_before_its_end_raises(cut: int) -> None:
    whole = _event({"content": "hello there"}) + _event({}, "stop") + b"data: [DONE]\n\n"
    finish_at = len(_event({"content": "hello there"})) + len(_event({}, "stop")) - 2
    assert cut < finish_at
    with pytest.raises((IncompleteAnswerError, UnreadableAnswerError)):
        _run([whole[:cut]])


def test_an_invalid_chunk_names_the_event() -> None:
    with pytest.raises(UnreadableAnswerError) as err:
        _run([_event({"content": "a"}), b"data: {index: 0}\n\n"])
    assert str(err.value).startswith("the model's answer could not be read: event 2")


def test_an_error_event_is_left_to_the_client() -> None:
    assert _run([b'data: {"error": {"message": "overloaded"}}\n\n'])


def test_a_key_split_over_network_chunks_is_masked() -> None:
    line = _event({"content": f"key {KEY} here"})
    half = line.index(KEY.encode()) + 5
    out = _run([line[:half], line[half:], _event({}, "stop")])
    assert KEY.encode() not in out and mask(KEY).encode() in out


def test_a_key_split_over_two_events_is_masked_in_the_assembled_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory = ModelFactory(
        ProviderSettings(base_url="http://127.0.0.1:9/v1", keys=(Secret(KEY),), offline=False)
    )
    try:
        from langchain_core.messages import AIMessage

        msg = AIMessage(
            f"a {KEY}",
            tool_calls=[{"name": "write", "args": {"content": [f"x{KEY}"]}, "id": "c"}],
        )
        clean = scrub_message(msg)
        assert KEY not in str(clean.content) and KEY not in json.dumps(clean.tool_calls)
    finally:
        factory.close()


def test_stalls_and_broken_connections_are_incomplete_answers() -> None:
    watch = StreamWatch(_scrub, read_timeout=7.0)
    assert "sent nothing for 7 s" in str(watch.broken(httpx2.ReadTimeout("slow")))
    assert "connection broke" in str(watch.broken(httpx2.RemoteProtocolError("x")))


def test_plain_bodies() -> None:
    with pytest.raises(UnreadableAnswerError, match=r"JSON body .* streaming request"):
        check_plain_body(b'{"choices": []}', streaming=True, content_type="application/json")
    check_plain_body(b"data: [DONE]\n\n", streaming=True, content_type="application/json")
    with pytest.raises(UnreadableAnswerError, match="not valid JSON"):
        check_plain_body(b"{oops", streaming=False, content_type="application/json")
    check_plain_body(b'{"ok": 1}', streaming=False, content_type="application/json")


def test_streaming_requests_are_recognised() -> None:
    url = "http://127.0.0.1/v1/chat/completions"
    assert wants_stream(httpx2.Request("POST", url, json={"stream": True, "messages": []}))
    assert not wants_stream(httpx2.Request("POST", url, json={"stream": False}))
    assert not wants_stream(httpx2.Request("POST", url, content=b"not json"))


def test_a_stream_with_no_message_is_an_unreadable_answer() -> None:
    assert unreadable_cause(ValueError("No generations found in stream.")) is not None
    assert unreadable_cause(ValueError("the message is empty")) is None


def test_the_timeout_is_a_read_timeout_not_a_total() -> None:
    t = request_timeout(45.0)
    assert (t.connect, t.read, t.write, t.pool) == (CONNECT_TIMEOUT_S, 45.0, 45.0, 45.0)


def test_a_realistic_stream_cut_at_every_byte_is_never_whole() -> None:
    from tests.conformance.server import Answer, events, write_call

    answer = Answer(text="Saving.", calls=[write_call("code", "src/main.cpp", "x\ny")], piece=9)
    chunks = events(answer, "m")
    whole = b"".join(chunks)
    finish_at = len(whole) - len(chunks[-1]) - 2  # the finish event's JSON line is complete
    for cut in range(len(whole) + 1):
        watch = StreamWatch(_scrub)
        try:
            out = watch.feed(whole[:cut]) + watch.end()
        except (IncompleteAnswerError, UnreadableAnswerError):
            assert cut < finish_at, cut
            continue
        assert cut >= finish_at and whole.startswith(out), cut
