"""Every expected failure, and what each way of using Ohm says about it, in one table.

The CLI (an ``error:`` line and an exit code), the dashboard and its JSON API (an HTTP
status, a page title and a one-line ``detail``) and the embedding API (the
:class:`~graph.events.ErrorEvent` a turn ends with) all read :data:`FAILURES` through
the functions here, so one exception always gets the same words everywhere.

An exception is recognised by its class in the module that defines it, looked up in
``sys.modules``: an exception of a class can only exist once its module is imported, so
asking never imports the database, the web or the model layers (``ohm --help`` stays
fast). Anything not in the table is a bug: the CLI keeps its traceback, the dashboard
answers 500, a turn ends with an ``internal`` error event.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import ErrorEvent

__all__ = [
    "EXIT_BUSY",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "FAILURES",
    "Failure",
    "Rule",
    "describe",
    "error_event",
    "event_status",
    "http_failure",
    "one_line",
]

log = logging.getLogger(__name__)

EXIT_FAILED = 1
"""A failure a person can act on."""
EXIT_USAGE = 2
"""Bad input on the command line."""
EXIT_BUSY = 3
"""The thread is busy with another turn."""
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Rule:
    """One class of expected failure: where it is defined and how it is reported."""

    module: str
    name: str
    status: int
    """The HTTP status the dashboard and its API answer with."""
    title: str
    """The dashboard's error page title."""
    exit_code: int = EXIT_FAILED
    kind: str = "input"
    """The ErrorEvent kind when it ends a turn."""


# Most specific first: the first rule whose class the exception is an instance of wins.
FAILURES: tuple[Rule, ...] = (
    Rule("persistence.leases", "ThreadBusy", 409, "Busy", EXIT_BUSY, "busy"),
    Rule("app.web.turns", "ThreadBusy", 409, "Busy", EXIT_BUSY, "busy"),
    Rule("persistence.store", "NotFoundError", 404, "Not found"),
    Rule("persistence.store", "InvalidIdError", 400, "Bad request"),
    Rule("persistence.store", "StoreError", 400, "Bad request"),
    Rule("nodes.agents", "ConfigError", 400, "Bad request"),
    Rule("providers.errors", "ProviderError", 502, "Model service", kind="provider"),
)


@dataclass(frozen=True)
class Failure:
    """What to tell a person about one exception."""

    message: str
    exit_code: int
    status: int
    title: str
    kind: str


def one_line(text: str) -> str:
    """The first non-empty line of ``text``."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return text.strip()


def _cls(module: str, name: str) -> type | None:
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) else None


def _is(exc: BaseException, module: str, name: str) -> bool:
    cls = _cls(module, name)
    return cls is not None and isinstance(exc, cls)


def rule_for(exc: BaseException) -> Rule | None:
    for rule in FAILURES:
        if _is(exc, rule.module, rule.name):
            return rule
    return None


def describe(exc: BaseException) -> Failure | None:
    """The report for an expected failure, or None for a bug."""
    if _is(exc, "graph.assembly_line", "TurnError"):
        event = exc.event  # type: ignore[attr-defined]
        cause = exc.__cause__
        busy = event.kind == "busy" or (
            cause is not None and _is(cause, "persistence.leases", "ThreadBusy")
        )
        return Failure(
            message=event.message,
            exit_code=EXIT_BUSY if busy else EXIT_FAILED,
            status=409 if busy else event_status(event.kind),
            title="Busy" if busy else "Error",
            kind="busy" if busy else event.kind,
        )
    rule = rule_for(exc)
    if rule is not None:
        return Failure(
            str(exc) or type(exc).__name__, rule.exit_code, rule.status, rule.title, rule.kind
        )
    if isinstance(exc, (ValueError, OSError)):
        return Failure(str(exc) or type(exc).__name__, EXIT_FAILED, 400, "Bad request", "input")
    return None


def http_failure(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, title, one-line message) for the dashboard, or None for a bug."""
    found = describe(exc)
    return None if found is None else (found.status, found.title, one_line(found.message))


def event_status(kind: str) -> int:
    """The HTTP status of a turn that ended with an ErrorEvent of ``kind``."""
    return {"input": 400, "provider": 502, "busy": 409}.get(kind, 500)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _service_detail(exc: BaseException) -> str:
    """The most useful short text of an error from the model service."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body.get("message"))
        if isinstance(err, dict):
            err = err.get("message") or err.get("type")
        if err:
            return _clip(str(err), 200)
    if isinstance(body, str) and body.strip():
        return _clip(body, 200)
    return _clip(str(exc) or type(exc).__name__, 200)


def error_event(exc: BaseException, thread_id: str) -> ErrorEvent:
    """The event a turn in ``thread_id`` ends with when ``exc`` stops it."""
    from .events import ErrorEvent

    resume = f"`ohm resume --thread {thread_id}`"
    from providers.answers import unreadable_cause

    unreadable = unreadable_cause(exc)
    if unreadable is not None:  # e.g. LangChain's "no generations found in stream"
        from providers.errors import UnreadableAnswerError

        exc = UnreadableAnswerError(unreadable)
    if _is(exc, "providers.errors", "ProviderError"):
        return ErrorEvent(
            kind="provider",
            message=f"{exc}. Your message is saved: run {resume} to finish this turn later.",
            retryable=True,
        )
    if _is(exc, "persistence.store", "StoreError") or isinstance(exc, ValueError):
        return ErrorEvent(kind="input", message=str(exc))
    name = type(exc).__name__
    if name.startswith("API") or "openai" in type(exc).__module__:
        status = getattr(exc, "status_code", None)
        detail = _service_detail(exc)
        if isinstance(status, int) and 400 <= status < 500:
            return ErrorEvent(
                kind="provider",
                message=f"the model service refused the request ({status}: {detail}); "
                "check the model ids (OHM_MODEL_<AGENT> or ohm.toml)",
            )
        return ErrorEvent(
            kind="provider",
            message=f"the model service failed ({detail}). Your message is saved: run "
            f"{resume} to try again.",
            retryable=True,
        )
    log.exception("turn failed", exc_info=exc)
    return ErrorEvent(kind="internal", message=f"{name}: {_clip(one_line(str(exc)), 300)}")
