"""The pool of Bytez keys shared by every model in the process.

Keys are handed out in turn; a key that answers 429, 402 or 401/403 is set aside so the
next request goes to another key.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .keys import Secret


class ProviderError(Exception):
    """Base of the errors that mean no model could be reached."""


class KeysUnavailableError(ProviderError):
    """Every key is cooling down, exhausted or invalid."""


@dataclass
class KeyState:
    key: Secret
    cooldown_until: float = 0.0
    invalid: bool = False
    successes: int = 0
    rate_limited: int = 0
    exhausted: int = 0
    errors: int = 0
    in_flight: int = 0
    notes: list[str] = field(default_factory=list)

    def available(self, now: float) -> bool:
        return not self.invalid and now >= self.cooldown_until


class KeyPool:
    def __init__(self, keys: list[Secret]) -> None:
        if not keys:
            raise ValueError("a key pool needs at least one key")
        self._states = [KeyState(k) for k in keys]
        self._lock = threading.Lock()
        self._next = 0

    def __len__(self) -> int:
        return len(self._states)

    def __repr__(self) -> str:
        return f"KeyPool({', '.join(s.key.masked for s in self._states)})"

    @property
    def states(self) -> list[KeyState]:
        return list(self._states)

    def acquire(self, exclude: set[int] | None = None) -> int:
        """Index of the next usable key (round robin), skipping ``exclude``."""
        now = time.monotonic()
        with self._lock:
            n = len(self._states)
            for i in range(n):
                idx = (self._next + i) % n
                st = self._states[idx]
                if (exclude and idx in exclude) or not st.available(now):
                    continue
                self._next = (idx + 1) % n
                st.in_flight += 1
                return idx
        raise KeysUnavailableError(
            f"no Bytez key is available right now ({len(self._states)} configured); try again later"
        )

    def key(self, idx: int) -> Secret:
        return self._states[idx].key

    def release(self, idx: int, status: int | None) -> None:
        with self._lock:
            st = self._states[idx]
            st.in_flight = max(0, st.in_flight - 1)
            if status is not None and status < 400:
                st.successes += 1
            elif status == 429:
                st.rate_limited += 1
                st.cooldown_until = time.monotonic() + 1.0
            elif status == 402:
                st.exhausted += 1
                st.cooldown_until = time.monotonic() + 3600.0
            elif status in (401, 403):
                st.invalid = True
            else:
                st.errors += 1
