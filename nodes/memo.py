"""Derived runnables built once per model: binding tools or a structured-output schema
converts every tool to its JSON schema, which costs more than a fast model's answer when
it is repeated at every step of every turn."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

_LIMIT = 256
_cache: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()
_lock = threading.Lock()


def derived(kind: str, sources: Sequence[Any], build: Callable[[], T]) -> T:
    """``build()``, remembered for these exact source objects (by identity; the entry keeps
    them alive, so an id cannot be reused while it is remembered)."""
    key = (kind, *(id(s) for s in sources))
    with _lock:
        hit = _cache.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], sources, strict=True)):
            _cache.move_to_end(key)
            return hit[1]
    value = build()
    with _lock:
        _cache[key] = (tuple(sources), value)
        while len(_cache) > _LIMIT:
            _cache.popitem(last=False)
    return value
