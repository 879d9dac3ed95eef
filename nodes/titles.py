"""Short thread titles: a rule at once, then a cheap model's title after the first exchange.

The rule title is taken from the maker's first message when the thread is created:
whitespace collapsed, the first sentence or line kept, trailing punctuation dropped, cut
on a word boundary at ``MAX_TITLE`` characters with an ellipsis. The same text always gives
the same title, and it costs nothing.

Once the first reply is delivered, one call to the ``titler`` agent (a cheap model by
default, ``OHM_MODEL_TITLER`` to change it) is sent the first message and the first reply
and answers with a better title (``model_title``). It runs off the turn's critical path
(``graph.assembly_line`` starts it after the turn ends) and replaces the title only while
it is still the rule title, so a name the user gave the thread always wins. Any failure,
a timeout, or an answer that is not a usable title keeps the rule title. Offline (the
built-in simulator) no call is made and the rule title stays.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from providers.answers import scrub_text

from .agents import agent_spec
from .classifier import message_text
from .deps import Deps

log = logging.getLogger(__name__)

MAX_TITLE = 60
TITLER = "titler"
TITLE_TIMEOUT_S = 20.0
"""How long the title call may take before the rule title is kept."""
MAX_ANSWER = 160
"""A first line longer than this is a reply, not a title, and is not used."""
REQUEST_CHARS = 1500
"""Characters of the first message and of the first reply the titler is sent."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s|\n")
_LABEL = re.compile(r"^(?:\*\*)?(?:title|thread title|conversation title)\s*[:：-]\s*", re.I)
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_WRAPPERS = "\"'`*_#“”‘’«»„「」 "


def _shorten(words: str, limit: int) -> str:
    """``words`` capitalised and, when too long, cut between words with an ellipsis."""
    if len(words) <= limit:
        return words[:1].upper() + words[1:]
    cut = words[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    cut = cut.rstrip(" .!?,;:")
    return cut[:1].upper() + cut[1:] + "…"


def rule_title(text: str, limit: int = MAX_TITLE) -> str:
    """A short title for a thread whose first message is ``text`` ("" for blank text)."""
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0] if text.strip() else ""
    return _shorten(" ".join(first.split()).rstrip(" .!?,;:"), limit)


def clean_title(answer: str, limit: int = MAX_TITLE) -> str | None:
    """The model's answer as a title, or None when it is not one: the first non-blank
    line, without a "Title:" label, quotes, Markdown marks, terminal escapes or control
    characters, cut to ``limit``. Blank answers, answers with no letter or digit, code or
    JSON, and a first line long enough to be a reply are refused."""
    lines = [ln for ln in _ESCAPES.sub("", answer).splitlines() if ln.strip()]
    if not lines:
        return None
    line = "".join(
        " " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in lines[0]
    )
    line = " ".join(line.split())
    if len(line) > MAX_ANSWER or line.startswith(("```", "{", "[", "<")):
        return None
    line = _LABEL.sub("", line.strip(_WRAPPERS)).strip(_WRAPPERS).rstrip(" .!?,;:")
    line = " ".join(line.split())
    if not any(ch.isalnum() for ch in line):
        return None
    return _shorten(line, limit)


def title_request(first_message: str, first_reply: str) -> str:
    """What the titler is sent: the first message and the first reply, each shortened."""
    return (
        "The maker's first message:\n"
        f"{first_message.strip()[:REQUEST_CHARS]}\n\n"
        "Ohm's first reply:\n"
        f"{first_reply.strip()[:REQUEST_CHARS]}"
    )


async def model_title(
    deps: Deps,
    first_message: str,
    first_reply: str,
    models: dict[str, str] | None = None,
    temperatures: dict[str, float] | None = None,
    timeout_s: float = TITLE_TIMEOUT_S,
) -> str | None:
    """The titler's title for this first exchange, or None (with a warning in the log)
    when the call fails, times out or answers with something that is not a title."""
    try:

        def prepare() -> tuple[BaseChatModel, str]:
            spec = agent_spec(TITLER, models, temperatures)
            return deps.models(spec), spec.prompt

        model, prompt = await asyncio.to_thread(prepare)
        request = [SystemMessage(prompt), HumanMessage(title_request(first_message, first_reply))]
        answer = await asyncio.wait_for(model.ainvoke(request), timeout_s)
        title = clean_title(scrub_text(message_text(answer)))
        if title is None:
            log.warning("the thread title was not changed: the titler's answer is not a title")
        return title
    except Exception as exc:  # the turn is over; only the better title is lost
        text = scrub_text(str(exc).splitlines()[0])[:200] if str(exc).strip() else ""
        why = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        log.warning("the thread title was not changed: %s", why)
        return None
