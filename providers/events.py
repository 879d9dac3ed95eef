"""A per-task sink for provider events (key rotations) raised below the chat model.

The HTTP layer cannot see the graph, so the graph sets a sink in a context variable for
the duration of a node; the transport reports into whatever sink is current.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ProviderEventSink = Callable[[dict[str, Any]], None]

_sink: contextvars.ContextVar[ProviderEventSink | None] = contextvars.ContextVar(
    "ohm_provider_event_sink", default=None
)
_listeners: list[ProviderEventSink] = []


def emit(event: dict[str, Any]) -> None:
    """Report ``event`` (for example ``{"event": "key_rotation", "from_key": "…1a2b",
    "to_key": "…3c4d", "reason": "rate limited (429)"}``) to the current sink and to every
    listener. Callers pass masked keys only; nothing here ever sees a raw key."""
    sink = _sink.get()
    for fn in [sink, *_listeners]:
        if fn is None:
            continue
        with contextlib.suppress(Exception):  # reporting must never break a request
            fn(event)


@contextmanager
def event_sink(fn: ProviderEventSink | None) -> Iterator[None]:
    token = _sink.set(fn)
    try:
        yield
    finally:
        _sink.reset(token)


def add_listener(fn: ProviderEventSink) -> Callable[[], None]:
    """Process-wide listener (dashboards, metrics); returns a function that removes it."""
    _listeners.append(fn)

    def remove() -> None:
        if fn in _listeners:
            _listeners.remove(fn)

    return remove
