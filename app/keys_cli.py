"""``ohm keys``: the Bytez key pool as a person (a table) or a program (JSON) sees it.

Every key is shown by its last four characters only; the output is scrubbed once more on
the way out so that no code path can print a raw key by mistake.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from .errors import guard
from .options import JsonOpt

if TYPE_CHECKING:
    from rich.console import Console

    from providers.factory import ModelFactory
    from providers.keypool import KeyStatus

STATE_STYLE = {
    "ok": "green",
    "cooling": "yellow",
    "tripped": "yellow",
    "exhausted": "red",
    "invalid": "bold red",
}
STATE_LABEL = {
    "ok": "ok",
    "cooling": "cooling",
    "tripped": "tripped",
    "exhausted": "exhausted",
    "invalid": "invalid",
}
"""The table says what ``--json`` says (``state``); the legend under it explains them."""
STATE_MEANING = {
    "ok": "ready to use",
    "cooling": "rate-limited, waiting out its cooldown",
    "tripped": "set aside after repeated errors",
    "exhausted": "out of credit for the period",
    "invalid": "refused by the service",
}


def keys_report(factory: ModelFactory | None = None) -> dict[str, Any]:
    """What ``ohm keys --json`` prints; also handy for dashboards."""
    from providers.factory import get_factory

    factory = factory or get_factory()
    pool = factory.pool
    return {
        "offline": factory.offline,
        "store": pool.store.name,
        "wait_budget_s": pool.config.wait_budget_s,
        "exhausted_period_s": pool.config.exhausted_s,
        "keys": [s.as_dict() for s in pool.snapshot()],
    }


def _cooldown(status: KeyStatus) -> str:
    from providers.classify import format_seconds

    if status.state == "invalid":
        return "until restart"
    return format_seconds(status.cooldown_s) if status.cooldown_s > 0 else "-"


def show_keys(json_mode: bool, console: Console | None = None) -> None:
    """Print the pool: a table for people, one JSON object for programs."""
    from providers.factory import get_factory

    from .render import Table, escape
    from .render import out as default_out

    factory = get_factory()
    report = keys_report(factory)
    if json_mode:
        text = json.dumps(report, ensure_ascii=False)
        sys.stdout.write(factory.pool.scrub(text) + "\n")
        sys.stdout.flush()
        return
    out = console or default_out
    if factory.offline:
        out.print("No Bytez key is set: Ohm runs on its offline simulator.")
        return
    table = Table("key", "state", "cooldown", "ok", "429", "402", "errors", "last signal")
    for s in factory.pool.snapshot():
        style = STATE_STYLE.get(s.state, "")
        table.add_row(
            s.key,
            f"[{style}]{STATE_LABEL.get(s.state, s.state)}[/]",
            _cooldown(s),
            str(s.successes),
            str(s.rate_limited),
            str(s.exhausted),
            str(s.errors + s.rejected),
            escape(factory.pool.scrub(s.reason)),
        )
    out.print(table)
    seen = dict.fromkeys(s.state for s in factory.pool.snapshot())
    legend = "; ".join(f"{st}: {STATE_MEANING[st]}" for st in seen if st in STATE_MEANING)
    if legend:
        out.print(f"[dim]{escape(legend)}[/]")
    if factory.pool.store.name == "memory":
        out.print(
            "[dim]Counters cover this process only; set OHM_KEY_STORE=redis://127.0.0.1:6379/0 "
            "to share cooldowns and counters between Ohm processes.[/]"
        )
    else:
        out.print(f"[dim]State shared through {escape(factory.pool.store.name)}.[/]")


def keys(json_mode: JsonOpt = False) -> None:
    """Show the Bytez key pool: each key masked, its state, cooldown and counters."""
    guard(lambda: show_keys(json_mode))
