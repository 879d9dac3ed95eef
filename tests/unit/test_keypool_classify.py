"""Reading an answer as a verdict on the key: statuses, Retry-After forms, quota bodies."""

from __future__ import annotations

import email.utils
import json

import pytest

from providers.classify import (
    Outcome,
    classify,
    classify_exception,
    format_seconds,
    parse_retry_after,
)
from providers.keys import Secret, mask, scrub

NOW = 1_800_000_000.0


def _json(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"Retry-After": " 2.25 "}, 2.25),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": email.utils.formatdate(NOW + 45, usegmt=True)}, 45.0),
        ({"Retry-After": email.utils.formatdate(NOW - 10, usegmt=True)}, 0.0),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_after(headers, NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-6)


def test_retry_after_of_years_is_capped_to_a_day() -> None:
    assert parse_retry_after({"Retry-After": "99999999999"}, NOW) == 24 * 3600


BYTEZ_402 = {"status": 402, "error": "Payment Required", "message": "Insufficient credits..."}
OPENAI_QUOTA = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "code": "insufficient_quota",
    }
}


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (200, b"{}", {}, "ok"),
        (429, _json({"error": "Rate limit exceeded", "output": None}), {}, "rate_limited"),
        (402, _json(BYTEZ_402), {}, "exhausted"),
        (402, b"", {}, "exhausted"),
        (429, _json(OPENAI_QUOTA), {}, "exhausted"),
        (403, _json({"detail": {"reason": "billing hard limit reached"}}), {}, "exhausted"),
        (400, _json({"errors": [{"msg": "insufficient_quota for this key"}]}), {}, "exhausted"),
        (401, _json({"error": "Unauthorized"}), {}, "invalid"),
        (403, b"Forbidden", {}, "invalid"),
        (500, b"boom", {}, "transient"),
        (503, b"", {}, "transient"),
        (408, b"", {}, "transient"),
        (400, _json({"error": {"message": "unknown model"}}), {}, "client_error"),
        (404, b"", {}, "client_error"),
        (422, _json({"message": "credit card field missing"}), {}, "client_error"),
    ],
)
def test_status_and_body_classes(
    status: int, body: bytes, headers: dict[str, str], kind: str
) -> None:
    assert classify(status, headers, body, NOW).kind == kind


def test_per_minute_quota_is_a_rate_limit_not_exhaustion() -> None:
    body = _json({"error": {"message": "Quota exceeded for requests per minute"}})
    assert classify(429, {}, body, NOW).kind == "rate_limited"


def test_quota_words_with_retry_after_are_a_rate_limit() -> None:
    out = classify(429, {"Retry-After": "12"}, _json(OPENAI_QUOTA), NOW)
    assert out.kind == "rate_limited"
    assert out.retry_after_s == 12


def test_rate_limit_carries_its_hint_and_rotates() -> None:
    out = classify(429, {"retry-after-ms": "800"}, b"", NOW)
    assert out == Outcome("rate_limited", 429, retry_after_s=0.8)
    assert out.rotates
    assert "rate limited (429)" in out.reason()


def test_transient_and_client_errors_do_not_rotate() -> None:
    assert not classify(502, {}, b"", NOW).rotates
    assert not classify(400, {}, b"", NOW).rotates


def test_exceptions_are_transient_with_a_readable_reason() -> None:
    class ReadTimeout(Exception):
        pass

    out = classify_exception(ReadTimeout())
    assert out.kind == "transient"
    assert out.reason() == "timed out (ReadTimeout)"
    assert "connection failed" in classify_exception(ConnectionError()).reason()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "0.5 s"), (1.0, "1 s"), (29.2, "30 s"), (3599.0, "60 min"), (7200.0, "2.0 h")],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_secret_never_shows_itself() -> None:
    raw = "bz-live-0123456789abcdef"
    s = Secret(raw)
    for shown in (repr(s), str(s), f"{s}", f"{s!r}", s.masked, s.fingerprint, mask(raw)):
        assert raw not in shown
    assert s.masked == "…cdef"
    assert len(s.fingerprint) == 24 and s.fingerprint == Secret(raw).fingerprint
    assert scrub(f"bad key {raw}!", [s]) == "bad key …cdef!"
