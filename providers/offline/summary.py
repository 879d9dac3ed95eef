"""The offline simulator's conversation summarizer: a summary built by fixed rules.

It is a simulator, not a model: it reads the request Ohm's summarizer sends (the previous
summary, the saved artifacts, the recent exchanges; see nodes/summary.py), keeps the old
summary's points, and adds the maker's sentences that look like constraints, decisions or
questions by keyword. The summary says that the simulator wrote it. It must never be tuned
to pass a check that a real model would fail.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .brain import Conversation, Reply

HEADINGS = ("Goal", "Constraints", "Decisions", "Parts chosen", "Files written", "Open questions")
NOTE = "_Summary made by Ohm's offline simulator from fixed rules, not by a language model._"
NONE = "- none yet"
_CAP = 12

_CONSTRAINT = re.compile(
    r"\b(must|needs? to|has to|have to|budget|under \d|at most|no more than|battery|batteries|"
    r"only|cannot|can't|without|maximum|max\b|at least|waterproof|outdoor)",
    re.IGNORECASE,
)
_DECISION = re.compile(
    r"\b(let'?s|go with|use|using|i'?ll|we'?ll|choose|chose|decided|prefer|switch to|stick with)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _sections(text: str) -> dict[str, list[str]]:
    """The request's blocks, keyed by their label line ("Previous summary:" ...)."""
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if line in ("Previous summary:", "Saved artifacts:", "Recent exchanges, oldest first:"):
            current = line[:-1]
            blocks[current] = []
        elif current:
            blocks[current].append(line)
    return blocks


def _previous(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {h: [] for h in HEADINGS}
    heading = ""
    for line in lines:
        if line.startswith("## "):
            heading = line[3:].strip()
        elif heading in found and line.strip() and line.strip() != NONE and line != NOTE:
            found[heading].append(line.strip())
    return found


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _add(items: list[str], new: str) -> None:
    bullet = new if new.startswith("- ") else f"- {new[:200]}"
    if bullet not in items and len(items) < _CAP:
        items.append(bullet)


def summarizer(conv: Conversation) -> Reply:
    from .brain import Reply

    blocks = _sections(conv.last_user)
    old = _previous(blocks.get("Previous summary", []))
    out = {h: list(old[h]) for h in HEADINGS}
    exchanges = [ln for ln in blocks.get("Recent exchanges, oldest first", []) if ln.strip()]
    said = [ln[len("User: ") :] for ln in exchanges if ln.startswith("User: ")]
    replies = [ln.split("): ", 1)[-1] for ln in exchanges if ln.startswith("Assistant (")]

    if not out["Goal"] and said:
        out["Goal"] = [said[0][:240]]
    for text in said:
        for s in _sentences(text):
            if _CONSTRAINT.search(s):
                _add(out["Constraints"], s)
            elif _DECISION.search(s) and not s.endswith("?"):
                _add(out["Decisions"], s)
    artifacts = blocks.get("Saved artifacts", [])
    parts = [ln.strip()[len("- part: ") :] for ln in artifacts if ln.strip().startswith("- part:")]
    if parts:  # the latest parts list replaces what the old summary listed
        out["Parts chosen"] = []
        for p in parts:
            _add(out["Parts chosen"], p)
    files = [ln for ln in artifacts if ln.startswith("- ")]
    if files:
        out["Files written"] = files[:_CAP]
    if replies:
        out["Open questions"] = []
        for s in _sentences(replies[-1]):
            if s.endswith("?"):
                _add(out["Open questions"], s)

    lines = [NOTE, ""]
    for h in HEADINGS:
        body = out[h]
        if h == "Goal":
            body = [b.removeprefix("- ") for b in body]
        lines += [f"## {h}", *(body or [NONE]), ""]
    return Reply(content="\n".join(lines).strip())
