"""What the pool remembers about each key, and where it keeps it.

A ``KeyRecord`` holds one key's state (ok, cooling, exhausted, invalid, tripped), when that
state lapses and its counters. Records are changed only through ``KeyStateStore.update``,
which applies a pure function atomically, so the same rules work for the in-memory store
of a single process and for a Redis store shared by several worker processes. Records are
filed under a key's fingerprint, never under the key itself.

Times are wall-clock seconds (``time.time()``) so that processes can compare them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from .errors import KeyStoreError

State = Literal["ok", "cooling", "exhausted", "invalid", "tripped"]
STATES: tuple[State, ...] = ("ok", "cooling", "exhausted", "invalid", "tripped")
R = TypeVar("R")


@dataclass
class KeyRecord:
    state: State = "ok"
    until: float = 0.0
    """When ``state`` lapses (wall-clock seconds); meaningless for ok and invalid."""
    probing: bool = False
    """A probe request holds this key (exhausted or tripped keys get one per period)."""
    streak_429: int = 0
    """429s since the last success: drives the exponential backoff."""
    streak_errors: int = 0
    """Server or connection failures in a row: drives the circuit breaker."""
    successes: int = 0
    rate_limited: int = 0
    exhausted: int = 0
    rejected: int = 0
    errors: int = 0
    reason: str = ""
    """The last signal that changed the state, for people reading ``ohm keys``."""

    def usable(self, now: float) -> bool:
        """Whether a request may go to this key now (possibly as a probe)."""
        if self.state == "ok":
            return True
        if self.state == "invalid":
            return False
        return now >= self.until

    def needs_probe(self, now: float) -> bool:
        """Exhausted and tripped keys come back through one probe request, not all at once."""
        return self.state in ("exhausted", "tripped") and now >= self.until

    def remaining(self, now: float) -> float:
        if self.state in ("ok", "invalid"):
            return 0.0
        return max(0.0, self.until - now)

    def shown_state(self, now: float) -> State:
        """The state as a person should read it: a lapsed cooldown is simply ok."""
        if self.state == "cooling" and now >= self.until:
            return "ok"
        return self.state

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes | None) -> KeyRecord:
        if not text:
            return cls()
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        rec = cls(**{k: v for k, v in data.items() if k in known})
        if rec.state not in STATES:
            rec.state = "ok"
        return rec

    def copy(self) -> KeyRecord:
        return replace(self)


def hold(rec: KeyRecord, state: State, until: float, now: float, reason: str) -> None:
    """Put ``rec`` into ``state`` until ``until`` without ever shortening a live hold.

    A later, shorter signal leaves the current state and deadline alone; a longer one
    takes over. Invalid keys stay invalid whatever comes next.
    """
    if rec.state == "invalid":
        return
    live = rec.state != "ok" and rec.until > now
    if live and until <= rec.until:
        return
    rec.state = state
    rec.until = until
    rec.reason = reason


class KeyStateStore(Protocol):
    """Where records live. ``update`` must apply ``fn`` atomically for one key."""

    name: str
    blocking: bool
    """True when calls wait on I/O, so async callers run them in a worker thread."""

    def load(self, ids: Sequence[str]) -> list[KeyRecord]: ...

    def update(self, key_id: str, fn: Callable[[KeyRecord], R]) -> tuple[KeyRecord, R]: ...

    def clear(self, ids: Sequence[str]) -> None: ...


class MemoryStateStore:
    """The default: records in this process's memory, guarded by one lock."""

    name = "memory"
    blocking = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, KeyRecord] = {}

    def load(self, ids: Sequence[str]) -> list[KeyRecord]:
        with self._lock:
            return [self._records.get(i, KeyRecord()).copy() for i in ids]

    def update(self, key_id: str, fn: Callable[[KeyRecord], R]) -> tuple[KeyRecord, R]:
        with self._lock:
            rec = self._records.get(key_id, KeyRecord()).copy()
            result = fn(rec)
            self._records[key_id] = rec
            return rec.copy(), result

    def clear(self, ids: Sequence[str]) -> None:
        with self._lock:
            for i in ids:
                self._records.pop(i, None)

    def __repr__(self) -> str:
        return "MemoryStateStore()"


def describe_url(url: str) -> str:
    """A store URL without any password, fit to print."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    path = parts.path if parts.path not in ("", "/") else ""
    return f"{parts.scheme}://{host}{port}{path}"


class RedisStateStore:
    """Records in Redis, so every worker process honours the same cooldowns.

    Each record is one JSON string; ``update`` is an optimistic transaction (WATCH, read,
    MULTI/EXEC, retried on conflict), which keeps the probe of an exhausted key to one
    request per period across all processes. Records expire a week after their last
    change so that keys nobody uses any more do not linger.
    """

    blocking = True
    RETENTION_S = 7 * 24 * 3600
    MAX_CONFLICTS = 100

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "ohm:keypool:",
        socket_timeout_s: float = 2.0,
        client: Any = None,
    ) -> None:
        self.name = describe_url(url)
        self.prefix = prefix
        if client is None:
            try:
                import redis
            except ImportError as exc:  # pragma: no cover - redis is a dependency
                raise KeyStoreError("the redis package is not installed") from exc
            client = redis.Redis.from_url(
                url, socket_timeout=socket_timeout_s, socket_connect_timeout=socket_timeout_s
            )
        self._redis = client

    def _k(self, key_id: str) -> str:
        return self.prefix + key_id

    def _fail(self, exc: Exception) -> KeyStoreError:
        return KeyStoreError(
            f"the key-state store at {self.name} failed ({type(exc).__name__}); "
            "check that Redis is running or unset OHM_KEY_STORE"
        )

    def load(self, ids: Sequence[str]) -> list[KeyRecord]:
        if not ids:
            return []
        try:
            raw = self._redis.mget([self._k(i) for i in ids])
        except Exception as exc:
            raise self._fail(exc) from None
        return [KeyRecord.from_json(r) for r in raw]

    def update(self, key_id: str, fn: Callable[[KeyRecord], R]) -> tuple[KeyRecord, R]:
        import redis

        name = self._k(key_id)
        try:
            with self._redis.pipeline() as pipe:
                for _ in range(self.MAX_CONFLICTS):
                    try:
                        pipe.watch(name)
                        rec = KeyRecord.from_json(pipe.get(name))
                        result = fn(rec)
                        pipe.multi()
                        pipe.set(name, rec.to_json(), ex=self.RETENTION_S)
                        pipe.execute()
                        return rec, result
                    except redis.WatchError:
                        continue
            raise KeyStoreError(
                f"the key-state store at {self.name} stayed too busy to update a key; try again"
            )
        except KeyStoreError:
            raise
        except Exception as exc:
            raise self._fail(exc) from None

    def clear(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        try:
            self._redis.delete(*[self._k(i) for i in ids])
        except Exception as exc:
            raise self._fail(exc) from None

    def __repr__(self) -> str:
        return f"RedisStateStore({self.name})"


def store_from_env(value: str | None) -> KeyStateStore:
    """``OHM_KEY_STORE``: empty or ``memory`` for this process only, or a ``redis://`` URL."""
    spec = (value or "").strip()
    if not spec or spec.lower() == "memory":
        return MemoryStateStore()
    scheme = urlsplit(spec).scheme.lower()
    if scheme in ("redis", "rediss", "unix"):
        return RedisStateStore(spec)
    raise ValueError("OHM_KEY_STORE must be 'memory' or a redis:// URL")
