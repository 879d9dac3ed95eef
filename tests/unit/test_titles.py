"""The fixed rule that names a thread from its first message."""

from __future__ import annotations

from nodes.titles import MAX_TITLE, rule_title


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
