"""Short thread titles from the first message, by a fixed rule (no model call).

The title is taken from the maker's first message: whitespace collapsed, the first
sentence or line kept, trailing punctuation dropped, cut on a word boundary at
``MAX_TITLE`` characters with an ellipsis. The same text always gives the same title, so
it works offline and costs nothing on any turn.
"""

from __future__ import annotations

import re

MAX_TITLE = 60

_SENTENCE_END = re.compile(r"(?<=[.!?])\s|\n")


def rule_title(text: str, limit: int = MAX_TITLE) -> str:
    """A short title for a thread whose first message is ``text`` ("" for blank text)."""
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0] if text.strip() else ""
    words = " ".join(first.split()).rstrip(" .!?,;:")
    if len(words) <= limit:
        return words[:1].upper() + words[1:]
    cut = words[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    cut = cut.rstrip(" .!?,;:")
    return cut[:1].upper() + cut[1:] + "…"
