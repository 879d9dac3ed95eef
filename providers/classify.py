"""Reading a provider's answer as a verdict on the key that was used.

The pool needs to know whether a failed request says something about the *key* (rate
limited, out of credit, rejected) or about the *service* (5xx, connection trouble), and
for how long. Bytez sends 429s without rate-limit headers and 402s with the reason in a
``message`` field; OpenAI-style services put "insufficient_quota" in ``error.code`` of a
429. Both shapes are read here, from any field of the body.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["ok", "rate_limited", "exhausted", "invalid", "transient", "client_error"]

MAX_HINT_S = 24 * 3600.0
"""A Retry-After beyond a day is treated as a day: long enough, and no overflow."""

_QUOTA = re.compile(
    r"quota|credit|billing|payment|insufficient[ _-]?(funds|balance)", re.IGNORECASE
)
_RATE_WORDS = re.compile(
    r"per[ _-]?(minute|second|hour)|rate[ _-]?limit|requests per|\brpm\b|\btpm\b|too many requests",
    re.IGNORECASE,
)
_BODY_STATUSES = frozenset({400, 401, 403, 429})
"""Statuses whose body may reveal an exhausted account (402 always means one)."""


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    status: int | None = None
    retry_after_s: float | None = None
    detail: str = ""

    @property
    def rotates(self) -> bool:
        """Failures that say the key is unusable: the request moves to another key."""
        return self.kind in ("rate_limited", "exhausted", "invalid")

    def reason(self) -> str:
        """A short phrase for events and logs (never contains a key)."""
        code = f" ({self.status})" if self.status else ""
        if self.kind == "rate_limited":
            wait = (
                f", retry after {format_seconds(self.retry_after_s)}" if self.retry_after_s else ""
            )
            return f"rate limited{code}{wait}"
        if self.kind == "exhausted":
            return f"out of credit{code}"
        if self.kind == "invalid":
            return f"key rejected{code}"
        if self.kind == "transient":
            return self.detail or f"server error{code}"
        if self.kind == "client_error":
            return f"request refused{code}"
        return "ok"


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 10:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    if seconds < 120:
        return f"{math.ceil(seconds)} s"
    if seconds < 7200:
        return f"{math.ceil(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds, fractions or an
    HTTP date), or None when absent or unreadable. Negative waits become zero."""
    lowered = {k.lower(): v for k, v in headers.items()}
    ms = lowered.get("retry-after-ms")
    if ms is not None:
        value = _number(ms)
        if value is not None:
            return _clamp(value / 1000.0)
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    value = _number(raw)
    if value is not None:
        return _clamp(value)
    try:
        parsed = email.utils.parsedate_tz(raw.strip())
        if parsed is None:
            return None
        return _clamp(email.utils.mktime_tz(parsed) - now)
    except (TypeError, ValueError, OverflowError):
        return None


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _clamp(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_HINT_S)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def body_text(body: bytes) -> str:
    """Every string value of a JSON body joined (or the raw text when it is not JSON)."""
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return " ".join(s for s in _strings(data) if s)


def says_out_of_credit(text: str) -> bool:
    """True when a body talks about quota, credits, billing or payment as the cause, and
    not about a per-minute quota (which is a rate limit under another name)."""
    return bool(_QUOTA.search(text)) and not _RATE_WORDS.search(text)


def classify(status: int, headers: Mapping[str, str], body: bytes, now: float) -> Outcome:
    """The verdict on the key for one HTTP answer."""
    if status < 400:
        return Outcome("ok", status)
    text = body_text(body) if (status == 402 or status in _BODY_STATUSES) else ""
    hint = parse_retry_after(headers, now)
    if status == 402:
        return Outcome("exhausted", status)
    if status == 429:
        if hint is None and says_out_of_credit(text):
            return Outcome("exhausted", status)
        return Outcome("rate_limited", status, retry_after_s=hint)
    if status in (401, 403):
        if says_out_of_credit(text):
            return Outcome("exhausted", status)
        return Outcome("invalid", status)
    if status == 408 or status >= 500:
        return Outcome("transient", status, detail=f"server error ({status})")
    if status == 400 and _QUOTA.search(text) and "insufficient" in text.lower():
        return Outcome("exhausted", status)
    return Outcome("client_error", status)


def classify_exception(exc: BaseException) -> Outcome:
    """Connection trouble and timeouts: not the key's fault."""
    name = type(exc).__name__
    detail = "timed out" if "Timeout" in name else "connection failed"
    return Outcome("transient", None, detail=f"{detail} ({name})")
