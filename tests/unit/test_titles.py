"""Thread titles: the rule for the first message, the cleaning of a model's answer, a
failing or hanging title model, and a name the user gave winning over both."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage

from nodes.deps import Deps
from nodes.titles import MAX_TITLE, clean_title, model_title, rule_title
from persistence.store import ArtifactStore, StoreError
from tests.fakes import ModelBook


def test_first_sentence_only_and_capitalised() -> None:
    assert rule_title("  build me a plant waterer.  It must run on batteries.") == (
        "Build me a plant waterer"
    )
    assert rule_title("weather station\nwith a BME280 and an ESP32") == "Weather station"


def test_long_text_is_cut_on_a_word_boundary() -> None:
    text = "a " + "verylongword " * 20
    title = rule_title(text)
    assert len(title) <= MAX_TITLE and title.endswith("…")
    assert not title[:-1].endswith(" ") and "verylongwor…" not in title


def test_blank_text_gives_no_title() -> None:
    assert rule_title("   \n ") == ""


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ('"Soil logger on AA cells"', "Soil logger on AA cells"),
        ("Title: **Weather station.**\nIt measures wind.", "Weather station"),
        ("  «servo\tjitter\x1b[31m fix»  ", "Servo jitter fix"),
        ("\x1b]0;pwned\x07Relay board\r\n", "Relay board"),
        ("# Plant waterer", "Plant waterer"),
    ],
)
def test_a_model_answer_is_cleaned_into_one_short_line(answer: str, title: str) -> None:
    assert clean_title(answer) == title


def test_a_long_title_is_cut_between_words() -> None:
    title = clean_title("ESP32 plant waterer with a capacitive soil probe and a small pump")
    assert title is not None and len(title) <= MAX_TITLE and title.endswith("…")
    assert title.startswith("ESP32 plant waterer") and " " not in title[-2:]


@pytest.mark.parametrize(
    "answer",
    ["", "  \n\n ", '""', "...", '{"title": "x"}', "```\nSoil\n```", "word " * 40],
)
def test_answers_that_are_not_titles_are_refused(answer: str) -> None:
    assert clean_title(answer) is None


async def test_a_model_that_fails_or_hangs_gives_no_title(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def hangs(_messages: list[BaseMessage]) -> AIMessage:
        time.sleep(1.0)
        return AIMessage("Too late")

    def fails(_messages: list[BaseMessage]) -> AIMessage:
        raise RuntimeError("the title model is down")

    book = ModelBook(titler=[fails, hangs, AIMessage("Plant waterer")])
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    deps = Deps(models=book, store=lambda: store)
    with caplog.at_level(logging.WARNING, logger="nodes.titles"):
        assert await model_title(deps, "a plant waterer", "Sure.") is None
        assert await model_title(deps, "a plant waterer", "Sure.", timeout_s=0.2) is None
    assert "the title model is down" in caplog.text and "TimeoutError" in caplog.text
    assert await model_title(deps, "a plant waterer", "Sure.") == "Plant waterer"
    sent = book.models["titler"].prompts[-1]
    assert "a plant waterer" in str(sent[-1].content) and "Sure." in str(sent[-1].content)


def test_an_automatic_title_never_replaces_a_name_the_user_gave(tmp_path: Path) -> None:
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    store.ensure_thread("a", "p", title="Build a plant waterer")
    store.ensure_thread("b", "p", title="Build a plant waterer")
    store.rename_thread("b", "  My   waterer ")
    assert store.retitle_thread("a", "Build a plant waterer", "Plant waterer") is True
    assert store.retitle_thread("b", "Build a plant waterer", "Plant waterer") is False
    assert [store.get_thread(t).title for t in "ab"] == ["Plant waterer", "My waterer"]
    with pytest.raises(StoreError, match="1-200 characters"):
        store.rename_thread("a", "   ")
