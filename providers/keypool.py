"""The pool of Bytez keys shared by every model in the process.

A request takes the usable key with the fewest requests in flight (round robin among
ties), and the answer is reported back as an ``Outcome``. Rate-limited keys cool down for
as long as the service asked (or an exponential backoff), exhausted keys stay out for a
long period and are then re-probed by a single request, rejected keys stay out until
restart, and keys that keep failing with server or connection errors are set aside
briefly. When no key can take a request, the pool waits for the earliest recovery if it
falls within the wait budget and otherwise raises ``KeysUnavailableError`` straight away.

The pool's state lives in a ``KeyStateStore`` (memory by default, Redis to share it
between processes); only requests in flight are counted per process. Time comes from an
injectable ``Clock`` so tests can move it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from .classify import Outcome, format_seconds
from .errors import KeyStoreError, ProviderError
from .keys import Secret, scrub
from .keystate import STATES, KeyRecord, KeyStateStore, MemoryStateStore, State, hold

log = logging.getLogger(__name__)

__all__ = [
    "KeyPool",
    "KeyStatus",
    "KeyStoreError",
    "KeysUnavailableError",
    "Lease",
    "ManualClock",
    "PoolConfig",
    "ProviderError",
    "SystemClock",
]


class KeysUnavailableError(ProviderError):
    """Every key is cooling down, exhausted or invalid (or failed on this request)."""

    def __init__(
        self,
        total: int,
        counts: Mapping[str, int],
        retry_in_s: float | None,
        failed_here: int = 0,
    ) -> None:
        self.total = total
        self.counts = dict(counts)
        self.retry_in_s = retry_in_s
        self.failed_here = failed_here
        parts = [
            f"{self.counts.get('cooling', 0)} cooling down",
            f"{self.counts.get('exhausted', 0)} exhausted",
            f"{self.counts.get('invalid', 0)} invalid",
        ]
        if self.counts.get("tripped"):
            parts.append(f"{self.counts['tripped']} set aside after errors")
        if failed_here:
            parts.append(f"{failed_here} failed on this request")
        when = (
            f"the next recovers in {format_seconds(retry_in_s)}"
            if retry_in_s is not None
            else "none will recover until the keys are replaced"
        )
        noun = "key" if total == 1 else "keys"
        super().__init__(f"no Bytez key is available ({total} {noun}: {', '.join(parts)}); {when}")


def _env_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be zero or a positive number of seconds, not {raw!r}")
    return value


@dataclass(frozen=True)
class PoolConfig:
    wait_budget_s: float = 20.0
    """How long a request may wait for a key to recover when none is usable (0: never)."""
    exhausted_s: float = 3600.0
    """How long a key out of credit stays out before one request probes it again."""
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    """A 429 without a Retry-After cools the key for base, 2×base, … up to the cap."""
    breaker_threshold: int = 3
    """Server or connection failures in a row that set a key aside…"""
    breaker_s: float = 30.0
    """…for this long, after which one request probes it."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PoolConfig:
        env = os.environ if environ is None else environ
        return cls(
            wait_budget_s=_env_seconds(env, "OHM_KEY_WAIT_S", cls.wait_budget_s),
            exhausted_s=_env_seconds(env, "OHM_KEY_EXHAUSTED_S", cls.exhausted_s),
        )


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    async def asleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time, so deadlines mean the same thing in every worker process."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told (tests, simulations); sleeping advances it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)


@dataclass
class Lease:
    """One request's hold on a key, from choice until its response is done."""

    index: int
    key: Secret
    probe: bool = False
    released: bool = False

    @property
    def masked(self) -> str:
        return self.key.masked

    def __repr__(self) -> str:
        return f"Lease({self.index}, {self.key.masked}{', probe' if self.probe else ''})"


@dataclass(frozen=True)
class KeyStatus:
    """One key as shown to people and embedding apps: masked, never the key itself."""

    key: str
    state: str
    cooldown_s: float
    in_flight: int
    successes: int
    rate_limited: int
    exhausted: int
    rejected: int
    errors: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def backoff_s(config: PoolConfig, streak: int) -> float:
    """Cooldown for the ``streak``-th 429 in a row that came without a Retry-After."""
    return min(config.backoff_cap_s, config.backoff_base_s * 2.0 ** max(0, streak - 1))


def apply_outcome(
    rec: KeyRecord, outcome: Outcome, now: float, probe: bool, config: PoolConfig
) -> None:
    """Change ``rec`` for one answer; pure apart from ``rec`` so a store may repeat it."""
    was_probe = probe and rec.probing
    if was_probe:
        rec.probing = False
    held_state = rec.state
    kind = outcome.kind
    if was_probe and kind in ("ok", "rate_limited", "exhausted", "invalid"):
        # The probe's own hold is not a signal from the service: drop it first.
        rec.state, rec.until = "ok", 0.0
    if kind == "ok":
        rec.successes += 1
        rec.streak_429 = 0
        rec.streak_errors = 0
        if rec.state != "invalid" and rec.until <= now:
            rec.state, rec.until, rec.reason = "ok", 0.0, ""
    elif kind == "rate_limited":
        rec.rate_limited += 1
        rec.streak_429 += 1
        wait = (
            outcome.retry_after_s
            if outcome.retry_after_s is not None
            else backoff_s(config, rec.streak_429)
        )
        hold(rec, "cooling", now + wait, now, outcome.reason())
    elif kind == "exhausted":
        rec.exhausted += 1
        hold(rec, "exhausted", now + config.exhausted_s, now, outcome.reason())
    elif kind == "invalid":
        rec.rejected += 1
        rec.state, rec.until, rec.reason = "invalid", 0.0, outcome.reason()
    elif kind == "transient":
        rec.errors += 1
        rec.streak_errors += 1
        if was_probe and held_state == "tripped":
            rec.state, rec.until = "ok", 0.0
        if rec.streak_errors >= config.breaker_threshold:
            hold(rec, "tripped", now + config.breaker_s, now, outcome.reason())
    elif kind == "client_error":
        rec.streak_errors = 0
        if was_probe and held_state == "tripped":
            rec.state, rec.until, rec.reason = "ok", 0.0, ""


def claim_probe(rec: KeyRecord, now: float, config: PoolConfig) -> bool:
    """Reserve a lapsed exhausted/tripped key for one probe; False if someone else has."""
    if not rec.needs_probe(now):
        return False
    period = config.exhausted_s if rec.state == "exhausted" else config.breaker_s
    rec.until = now + period
    rec.probing = True
    return True


class KeyPool:
    """Chooses a key per request and learns from every answer. Thread- and asyncio-safe."""

    def __init__(
        self,
        keys: Sequence[Secret],
        *,
        config: PoolConfig | None = None,
        store: KeyStateStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not keys:
            raise ValueError("a key pool needs at least one key")
        self._keys = list(keys)
        self._ids = [k.fingerprint for k in self._keys]
        self.config = config or PoolConfig()
        self.store: KeyStateStore = store if store is not None else MemoryStateStore()
        self.clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._in_flight = [0] * len(self._keys)
        self._next = 0
        self._reported: set[int] = set()

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyPool({', '.join(k.masked for k in self._keys)}; store={self.store.name})"

    @property
    def masked_keys(self) -> list[str]:
        return [k.masked for k in self._keys]

    def scrub(self, text: str) -> str:
        """``text`` with any of the pool's keys replaced by its masked form."""
        return scrub(text, self._keys)

    # ---------------------------------------------------------------- choosing

    def _choose(self, exclude: Collection[int]) -> tuple[Lease | None, list[KeyRecord], float]:
        with self._lock:
            now = self.clock.now()
            records = self.store.load(self._ids)
            n = len(self._keys)
            order = [(self._next + i) % n for i in range(n)]
            candidates = [i for i in order if i not in exclude and records[i].usable(now)]
            candidates.sort(key=lambda i: self._in_flight[i])  # stable: round robin on ties
            for i in candidates:
                probe = False
                if records[i].needs_probe(now):
                    _, probe = self.store.update(
                        self._ids[i], lambda r: claim_probe(r, now, self.config)
                    )
                    if not probe:
                        continue
                self._in_flight[i] += 1
                self._next = (i + 1) % n
                return Lease(i, self._keys[i], probe=probe), records, now
            return None, records, now

    def _unavailable(
        self, records: list[KeyRecord], now: float, exclude: Collection[int]
    ) -> KeysUnavailableError:
        counts: dict[str, int] = dict.fromkeys(STATES, 0)
        failed_here = 0
        for i, rec in enumerate(records):
            state = rec.shown_state(now)
            if state == "ok" and i in exclude:
                failed_here += 1
            else:
                counts[state] += 1
        return KeysUnavailableError(
            len(records), counts, self._next_recovery(records, now), failed_here
        )

    @staticmethod
    def _next_recovery(records: list[KeyRecord], now: float) -> float | None:
        waits = [rec.until - now for rec in records if rec.state not in ("ok", "invalid")]
        return max(0.0, min(waits)) if waits else None

    def _plan_wait(self, records: list[KeyRecord], now: float, deadline: float) -> float | None:
        """Seconds to sleep before trying again, or None when waiting cannot help."""
        wait = self._next_recovery(records, now)
        if wait is None or now + wait > deadline or self.config.wait_budget_s <= 0:
            return None
        return max(wait, 0.001)

    def try_acquire(self, exclude: Collection[int] = ()) -> Lease | None:
        """A usable key now, or None; never waits."""
        return self._choose(exclude)[0]

    def acquire(self, exclude: Collection[int] = ()) -> Lease:
        """A usable key, waiting within the budget for one to recover; else raises."""
        deadline: float | None = None
        while True:
            lease, records, now = self._choose(exclude)
            if lease is not None:
                return lease
            deadline = now + self.config.wait_budget_s if deadline is None else deadline
            wait = self._plan_wait(records, now, deadline)
            if wait is None:
                raise self._unavailable(records, now, exclude)
            log.info("no key is usable; waiting %s for the next to recover", format_seconds(wait))
            self.clock.sleep(wait)

    async def atry_acquire(self, exclude: Collection[int] = ()) -> Lease | None:
        if self.store.blocking:
            return (await asyncio.to_thread(self._choose, exclude))[0]
        return self._choose(exclude)[0]

    async def aacquire(self, exclude: Collection[int] = ()) -> Lease:
        deadline: float | None = None
        while True:
            if self.store.blocking:
                lease, records, now = await asyncio.to_thread(self._choose, exclude)
            else:
                lease, records, now = self._choose(exclude)
            if lease is not None:
                return lease
            deadline = now + self.config.wait_budget_s if deadline is None else deadline
            wait = self._plan_wait(records, now, deadline)
            if wait is None:
                raise self._unavailable(records, now, exclude)
            log.info("no key is usable; waiting %s for the next to recover", format_seconds(wait))
            await self.clock.asleep(wait)

    # ---------------------------------------------------------------- learning

    def report(self, lease: Lease, outcome: Outcome) -> KeyRecord:
        """Record what the service said about ``lease``'s key."""
        now = self.clock.now()
        rec, _ = self.store.update(
            self._ids[lease.index],
            lambda r: apply_outcome(r, outcome, now, lease.probe, self.config),
        )
        self._after_report(lease, outcome, rec, now)
        return rec

    async def areport(self, lease: Lease, outcome: Outcome) -> KeyRecord:
        if self.store.blocking:
            return await asyncio.to_thread(self.report, lease, outcome)
        return self.report(lease, outcome)

    def _after_report(self, lease: Lease, outcome: Outcome, rec: KeyRecord, now: float) -> None:
        if outcome.kind == "invalid":
            with self._lock:
                first = lease.index not in self._reported
                self._reported.add(lease.index)
            if first:
                log.warning(
                    "Bytez key %s (number %d in the pool) was rejected (%s); it stays out of "
                    "rotation until Ohm restarts",
                    lease.masked,
                    lease.index + 1,
                    outcome.status,
                )
        elif outcome.rotates or rec.state == "tripped":
            log.info(
                "key %s: %s; %s for %s",
                lease.masked,
                outcome.reason(),
                rec.state,
                format_seconds(rec.remaining(now)),
            )

    def release(self, lease: Lease) -> None:
        """The request on ``lease`` is over (its response closed); safe to call twice."""
        with self._lock:
            if lease.released:
                return
            lease.released = True
            self._in_flight[lease.index] = max(0, self._in_flight[lease.index] - 1)

    # ---------------------------------------------------------------- showing

    def snapshot(self) -> list[KeyStatus]:
        """Each key's state and counters, masked; for ``ohm keys`` and embedding apps."""
        now = self.clock.now()
        records = self.store.load(self._ids)
        with self._lock:
            in_flight = list(self._in_flight)
        return [
            KeyStatus(
                key=key.masked,
                state=rec.shown_state(now),
                cooldown_s=round(rec.remaining(now), 3),
                in_flight=in_flight[i],
                successes=rec.successes,
                rate_limited=rec.rate_limited,
                exhausted=rec.exhausted,
                rejected=rec.rejected,
                errors=rec.errors,
                reason=rec.reason if rec.shown_state(now) != "ok" else "",
            )
            for i, (key, rec) in enumerate(zip(self._keys, records, strict=True))
        ]

    def state_of(self, index: int) -> State:
        return self.store.load([self._ids[index]])[0].shown_state(self.clock.now())

    def reset(self) -> None:
        """Forget every key's state and counters (tests, or after keys were replaced)."""
        self.store.clear(self._ids)
        with self._lock:
            self._reported.clear()
