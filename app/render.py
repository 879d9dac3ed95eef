"""What ``ohm`` prints: the two consoles, JSON lines for programs, and a turn as it streams.

Output is for people by default; ``--json`` prints one JSON object per line for programs.
Text that came from a model or an artifact goes through :func:`safe` (or a
:class:`~app.terminal.TerminalFilter` while it streams) so that no control sequence
reaches the terminal; JSON is printed exact. ``NO_COLOR`` (any value) or ``--no-color``
turns colours off. Event classes are matched by their ``type`` field rather than
imported, so this module loads without the graph.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table as _RichTable

from .terminal import TerminalFilter, clean

if TYPE_CHECKING:
    from graph.events import OhmEvent, TurnResult

__all__ = [
    "Table",
    "TurnPrinter",
    "emit_result",
    "err",
    "escape",
    "jprint",
    "out",
    "safe",
    "set_no_color",
]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Table(_RichTable):
    """A Rich table whose columns fold long cells onto more lines instead of cutting
    them with an ellipsis, so that an id or a path printed is always whole (and can be
    pasted back); a column that may be shortened says so with ``overflow="ellipsis"``."""

    def add_column(self, header: Any = "", *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(header, *args, **kwargs)


def safe(text: str) -> str:
    """Text from a model or an artifact, ready for ``out.print``: control sequences
    removed and Rich markup escaped."""
    return escape(clean(text))


def set_no_color() -> None:
    """Turn colours off on both consoles (``--no-color``)."""
    for console in (out, err):
        console.no_color = True


def jprint(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def emit_result(result: TurnResult, json_mode: bool) -> None:
    if json_mode:
        jprint(result.model_dump(mode="json"))


def offline_note() -> None:
    err.print(
        "[yellow]offline:[/] no Bytez key set (or OHM_OFFLINE=1); answers come from Ohm's "
        "built-in simulator, not a language model."
    )


class TurnPrinter:
    """Shows a turn's events as they arrive: who answers, the text, tools, artifacts."""

    def __init__(self, verbose: bool = True) -> None:
        self.verbose = verbose
        self._in_text = False
        self._text = TerminalFilter()

    def _end_text(self) -> None:
        if self._in_text:
            out.print(escape(self._text.flush()))
            self._in_text = False

    def __call__(self, ev: OhmEvent) -> None:
        if ev.type == "agent":
            self._end_text()
            why = f" - {ev.reason}" if ev.reason else ""
            label = f"{ev.intent or 'kickoff'}, {ev.route}{why}"
            out.print(f"[bold cyan]{ev.agent}[/] [dim]({safe(label)})[/]")
        elif ev.type == "text":
            self._in_text = True
            out.print(escape(self._text.feed(ev.text)), end="")
        elif ev.type == "tool_call" and self.verbose:
            self._end_text()
            args = ", ".join(f"{k}={v}" for k, v in ev.args.items() if k != "content")
            out.print(f"  [dim]→ {safe(ev.tool)}({safe(args)})[/]")
        elif ev.type == "tool_result" and self.verbose and not ev.ok:
            self._end_text()
            out.print(f"  [yellow]✗ {safe(ev.tool)}: {safe(ev.summary)}[/]")
        elif ev.type == "artifact":
            self._end_text()
            name = ev.artifact_type + (f" {ev.path}" if ev.path else "")
            what = "deleted" if ev.deleted else f"saved v{ev.version}"
            flag = f" [red]({ev.errors} check error(s))[/]" if ev.errors else ""
            out.print(f"  [green]✓ {safe(name)} {what}[/]{flag}")
        elif ev.type == "key_rotation":
            self._end_text()
            out.print(
                f"  [dim]key {ev.from_key} → {ev.to_key or 'another key'} ({safe(ev.reason)})[/]"
            )
        elif ev.type == "warning":
            self._end_text()
            err.print(f"[yellow]warning:[/] {safe(ev.message)}")
        elif ev.type == "done":
            self._end_text()
            if ev.result.limited:
                out.print("[yellow]The specialist reached its step limit this turn.[/]")
        elif ev.type == "error":
            self._end_text()
