"""Text from a model or an artifact, made safe to print on a terminal.

A model's reply (or a stored artifact) may hold terminal control sequences: colours, a
clear-screen, a cursor move that hides what came before, an OSC 8 hyperlink whose
target differs from its text, a title change. Before such text reaches a terminal every
escape sequence (CSI, OSC, DCS and the other string sequences, two-character ESC
sequences, their 8-bit C1 forms) and every other C0 or C1 control character except
newline and tab is removed. ``--json`` output is left exact.

:class:`TerminalFilter` does the same for text that arrives in pieces (a streamed
reply): a sequence cut between two pieces is held back until it is complete.
"""

from __future__ import annotations

import re
import sys

__all__ = ["TerminalFilter", "clean", "stdout_is_terminal"]

# String sequences (OSC, DCS, SOS, PM, APC) end at BEL or ST (ESC \ or 0x9c).
_STRING_BODY = r"[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    rf"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]){_STRING_BODY}"  # OSC/DCS/SOS/PM/APC
    r"|\x1b[ -/]*[0-OQ-WYZ\\`a-~]"  # other ESC sequences (ESC c, ESC 7, ESC ( B ...)
)
# Any control left after the sequences: C0 but tab and newline, DEL, C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A sequence that has started but not ended at the end of a piece of text.
_OPEN_TAIL = re.compile(
    r"(?:(?:\x1b\[|\x9b)[0-?]*[ -/]*"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*\x1b?"
    r"|\x1b[ -/]*)\Z"
)
_HOLD_MAX = 4096
"""An unfinished sequence longer than this is dropped, not held."""


def clean(text: str) -> str:
    """``text`` with every terminal control sequence and control character removed,
    newlines and tabs kept. Of a sequence that never ends only its control characters
    go; the rest stays visible as plain text."""
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


class TerminalFilter:
    """:func:`clean` for a stream of pieces; call :meth:`flush` at the end."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, piece: str) -> str:
        text = _SEQUENCE.sub("", self._held + piece)
        tail = _OPEN_TAIL.search(text)
        if tail is not None and len(text) - tail.start() <= _HOLD_MAX:
            self._held = text[tail.start() :]
            text = text[: tail.start()]
        else:
            self._held = ""
        return clean(text)

    def flush(self) -> str:
        """What is still held (a sequence that never ended), as plain text."""
        held, self._held = self._held, ""
        return clean(held)


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (rather than a file or a pipe)."""
    return sys.stdout.isatty()
