"""Size limits that hold for every way into Ohm: CLI, dashboard, API and embedding.

A message longer than ``MAX_MESSAGE_CHARS`` is refused before anything is saved. A model
reply longer than ``max_reply_chars()`` is cut, with a note in the reply and a warning
event, so one runaway answer cannot bloat a thread's checkpoints or a terminal.
"""

from __future__ import annotations

import os

MAX_MESSAGE_CHARS = 20_000
"""The longest user message (characters), the same in the CLI, the dashboard and the API."""

DEFAULT_MAX_REPLY_CHARS = 200_000
"""A model reply's default cap (characters; about 200 KB of text)."""

MAX_BODY_BYTES = 1_048_576
"""The dashboard refuses request bodies larger than this (1 MiB) with 413, unread."""


class LimitError(ValueError):
    """Input over one of the limits; the message says which and by how much."""


def _env_int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise LimitError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise LimitError(f"{name} must be between {low} and {high}")
    return value


def max_reply_chars() -> int:
    """``OHM_MAX_REPLY_CHARS`` (default 200 000): where a model reply is cut."""
    return _env_int("OHM_MAX_REPLY_CHARS", DEFAULT_MAX_REPLY_CHARS, 1_000, 10_000_000)


def max_body_bytes() -> int:
    """``OHM_MAX_BODY_BYTES`` (default 1 MiB): the dashboard's request body limit."""
    return _env_int("OHM_MAX_BODY_BYTES", MAX_BODY_BYTES, 1_024, 1_073_741_824)


def check_message(message: str) -> str:
    """The message, or a :class:`LimitError` saying why it cannot be sent."""
    if not message or not message.strip():
        raise LimitError("the message is empty")
    if len(message) > MAX_MESSAGE_CHARS:
        raise LimitError(
            f"the message is {len(message):,} characters; the limit is {MAX_MESSAGE_CHARS:,}. "
            "Send it in parts"
        )
    return message


def cut_reply(text: str, limit: int | None = None) -> tuple[str, int | None]:
    """(text cut to the limit with a note, original length) or (text, None) when short."""
    cap = limit if limit is not None else max_reply_chars()
    if len(text) <= cap:
        return text, None
    note = (
        f"\n\n[Ohm cut this reply at {cap:,} characters: the model sent {len(text):,}. "
        "Ask for a shorter answer, or for the long part to be saved as an artifact.]"
    )
    return text[:cap] + note, len(text)
