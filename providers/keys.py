"""Reading Bytez keys from the environment and showing them safely.

A key is only ever shown as its last four characters; ``Secret`` keeps the raw value out
of every repr, str and format so it cannot slip into a log line or an exception.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping

MAX_NUMBERED_KEYS = 100


def mask(key: str) -> str:
    """The only form of a key that may be printed: its last four characters."""
    tail = key[-4:] if len(key) >= 8 else "?" * 4
    return f"…{tail}"


class Secret:
    """A key whose text never appears in repr/str; use ``.reveal()`` at the HTTP layer."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask(self._value)

    @property
    def fingerprint(self) -> str:
        """A stable id for shared state stores: a hash, so the key never leaves the process."""
        return hashlib.sha256(b"ohm-key-pool\0" + self._value.encode()).hexdigest()[:24]

    def __repr__(self) -> str:
        return f"Secret({self.masked})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:  # never pickle a key into a checkpoint
        raise TypeError("keys cannot be serialized")


def load_keys(environ: Mapping[str, str] | None = None) -> list[Secret]:
    """``BYTEZ_API_KEY_1..N`` (stopping at the first gap), else ``BYTEZ_API_KEYS``
    (comma-separated), else ``BYTEZ_API_KEY``; blanks and duplicates are dropped."""
    env = os.environ if environ is None else environ
    raw: list[str] = []
    for i in range(1, MAX_NUMBERED_KEYS + 1):
        value = (env.get(f"BYTEZ_API_KEY_{i}") or "").strip()
        if not value:
            break
        raw.append(value)
    if not raw:
        raw = [k.strip() for k in (env.get("BYTEZ_API_KEYS") or "").split(",")]
    if not any(raw):
        raw = [(env.get("BYTEZ_API_KEY") or "").strip()]
    seen: set[str] = set()
    keys: list[Secret] = []
    for k in raw:
        if k and k not in seen:
            seen.add(k)
            keys.append(Secret(k))
    return keys


def scrub(text: str, keys: Iterable[Secret]) -> str:
    """Replace any raw key in ``text`` by its masked form (for messages from servers)."""
    for k in keys:
        raw = k.reveal()
        if raw and raw in text:
            text = text.replace(raw, k.masked)
    return text
