"""Ids people can type (app.ids), semantic diffs (tools.diffs), text made safe for a
terminal (app.terminal) and the one table of expected failures (graph.failures)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from app.ids import (
    AmbiguousIdError,
    CheckpointRef,
    parse_checkpoint_ref,
    parse_version,
    pick_checkpoint,
    pick_step,
    resolve_path,
    resolve_prefix,
    short_ids,
)
from app.terminal import TerminalFilter, clean
from graph import failures
from persistence.leases import ThreadBusy
from persistence.store import NotFoundError, StoreError
from providers.errors import ProviderError
from tools.diffs import diff_bom, diff_code, diff_document, diff_wiring, semantic_diff

# ------------------------------------------------------------------------- ids

IDS = [
    "1f1ef1bf-2da7-6116-bfff-2a3bf40e33f3",
    "1f1ef1bf-2daa-6626-8000-673bfcb4b6b3",
    "1f1ef1bf-2dd3-6cce-8001-c671874e920e",
    "1f1ef1bf-557b-6410-8008-d3b1871077bb",
]


def test_short_ids_are_unique_prefixes_that_resolve_back() -> None:
    short = short_ids(IDS)
    assert short[IDS[3]] == "1f1ef1bf-5"  # the trailing dash is never the last character
    assert short[IDS[0]] == "1f1ef1bf-2da7" and short[IDS[1]] == "1f1ef1bf-2daa"
    assert len(set(short.values())) == len(IDS)
    for full, s in short.items():
        assert resolve_prefix(s, IDS, "checkpoint") == full


def test_short_ids_keep_at_least_eight_characters() -> None:
    assert short_ids(["abcdef123456", "zzzz00001111"]) == {
        "abcdef123456": "abcdef12",
        "zzzz00001111": "zzzz0000",
    }


def test_an_ambiguous_prefix_lists_the_candidates_on_one_line() -> None:
    with pytest.raises(AmbiguousIdError) as info:
        resolve_prefix("1f1ef1bf-2d", IDS, "checkpoint", "in thread 't'")
    text = str(info.value)
    assert "\n" not in text and "3 ids start with it" in text
    assert "(1f1ef1bf-2da7, 1f1ef1bf-2daa, 1f1ef1bf-2dd)" in text


def test_a_prefix_shorter_than_six_or_unknown_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="at least 6 characters"):
        resolve_prefix("1f1e", IDS, "checkpoint")
    with pytest.raises(NotFoundError, match="unknown checkpoint 'ffffffff'"):
        resolve_prefix("ffffffff", IDS, "checkpoint")
    assert resolve_prefix("h1", ["h1", "h12"], "thread") == "h1"  # an exact id always wins


@pytest.mark.parametrize(
    ("text", "step", "expected"),
    [
        ("t1@17", None, CheckpointRef("t1", None, 17)),
        ("@3", None, CheckpointRef(None, None, 3)),
        ("12", None, CheckpointRef(None, None, 12)),
        (None, 4, CheckpointRef(None, None, 4)),
        ("1f1ef1bf-2da7", None, CheckpointRef(None, "1f1ef1bf-2da7", None)),
    ],
)
def test_checkpoint_refs(text: str | None, step: int | None, expected: CheckpointRef) -> None:
    assert parse_checkpoint_ref(text, step) == expected


def test_a_checkpoint_and_a_step_together_are_refused() -> None:
    with pytest.raises(StoreError, match="not both"):
        parse_checkpoint_ref("abc", 3)
    with pytest.raises(StoreError, match="name a checkpoint"):
        parse_checkpoint_ref(None, None)


@dataclass
class Cp:
    checkpoint_id: str
    parent_id: str | None
    step: int


def test_a_step_on_several_branches_is_read_on_the_newest() -> None:
    # a -> b(1) -> c(2); a fork from b: d(2) -> e(3), written last.
    timeline = [
        Cp("aaaaaaaa", None, 0),
        Cp("bbbbbbbb", "aaaaaaaa", 1),
        Cp("cccccccc", "bbbbbbbb", 2),
        Cp("dddddddd", "bbbbbbbb", 2),
        Cp("eeeeeeee", "dddddddd", 3),
    ]
    assert pick_step(timeline, 2, "t").checkpoint_id == "dddddddd"
    assert pick_step(timeline, 1, "t").checkpoint_id == "bbbbbbbb"
    assert pick_checkpoint(timeline, CheckpointRef(None, "cccccc", None), "t").checkpoint_id == (
        "cccccccc"
    )
    with pytest.raises(NotFoundError, match=r"no step 9 \(steps 0 to 3\)"):
        pick_step(timeline, 9, "t")
    # Both branches off the newest lineage: ambiguous, candidates listed.
    side = [*timeline, Cp("ffffffff", "cccccccc", 3), Cp("gggggggg", "aaaaaaaa", 1)]
    with pytest.raises(AmbiguousIdError, match="on 2 branches"):
        pick_step(side, 3, "t")


def test_versions_and_code_paths() -> None:
    assert (parse_version("v3"), parse_version("3"), parse_version("latest")) == (3, 3, None)
    with pytest.raises(StoreError, match="invalid version"):
        parse_version("three")
    paths = ["src/main.cpp", "include/config.h", "include/pins.h"]
    assert resolve_path("main.cpp", paths) == "src/main.cpp"
    assert resolve_path("include/conf", paths) == "include/config.h"
    with pytest.raises(AmbiguousIdError, match=r"include/config\.h, include/pins\.h"):
        resolve_path("include/", paths)
    with pytest.raises(NotFoundError, match="no code file"):
        resolve_path("other.cpp", paths)


# ----------------------------------------------------------------------- diffs

BOM_A = {
    "project_name": "rover",
    "summary": "a small rover",
    "components": [
        {"name": "ESP32 dev board", "part_number": "ESP32-DEVKITC", "manufacturer": "Espressif",
         "quantity": 1, "unit_cost": 8.0},
        {"name": "SG90 servo", "part_number": "SG90", "manufacturer": "TowerPro",
         "quantity": 4, "unit_cost": 2.0},
        {"name": "OLED 0.96in", "part_number": "SSD1306", "manufacturer": "Generic",
         "quantity": 1, "unit_cost": 4.0},
    ],
    "power_analysis": {"supply_voltage": 5.0},
}  # fmt: skip


def _bom_b() -> dict:
    b = json.loads(json.dumps(BOM_A))
    b["components"] = [
        b["components"][0],
        {**b["components"][1], "quantity": 8},
        {"name": "HC-SR04 ultrasonic sensor", "part_number": "HC-SR04",
         "manufacturer": "Generic", "quantity": 1, "unit_cost": 1.5},
    ]  # fmt: skip
    b["power_analysis"] = {"supply_voltage": 6.0}
    return b


def test_bom_diff_says_added_removed_changed_and_the_cost() -> None:
    d = diff_bom(BOM_A, _bom_b())
    assert [p["part_number"] for p in d.added] == ["HC-SR04"]
    assert [p["part_number"] for p in d.removed] == ["SSD1306"]
    [changed] = d.changed
    assert changed.name == "SG90 servo"
    assert [(c.field, c.old, c.new) for c in changed.changes] == [("quantity", 4, 8)]
    assert [(c.field, c.old, c.new) for c in d.fields] == [
        ("power_analysis.supply_voltage", 5.0, 6.0)
    ]
    assert (d.cost_old, d.cost_new, d.cost_delta) == (20.0, 25.5, 5.5)
    assert d.summary() == "1 part added, 1 removed, 1 changed, cost +$5.50"
    text = "\n".join(d.lines())
    assert "added HC-SR04 ultrasonic sensor (HC-SR04) ×1" in text
    assert "removed OLED 0.96in (SSD1306)" in text
    assert "SG90 servo: quantity 4 → 8" in text
    shape = d.as_dict()
    assert shape["kind"] == "bom" and shape["parts"]["added"][0]["name"].startswith("HC-SR04")
    assert shape["cost"] == {"old": 20.0, "new": 25.5, "delta": 5.5}


def test_equal_versions_have_no_changes() -> None:
    for kind, content in (("bom", json.dumps(BOM_A)), ("prd", "# A\ntext\n")):
        d = semantic_diff(kind, content, content)
        assert d.same and d.as_dict()["summary"] == "no changes"


WIRING_A = {
    "components": [
        {"id": "mcu", "part": "esp32-devkit-v1"},
        {"id": "led", "part": "led-5mm-red"},
        {"id": "r1", "part": "resistor-220"},
    ],
    "connections": [
        {"from_component": "mcu", "from_pin": "GPIO4", "to_component": "r1", "to_pin": "1"},
        {"from_component": "r1", "from_pin": "2", "to_component": "led", "to_pin": "A"},
        {"from_component": "led", "from_pin": "K", "to_component": "mcu", "to_pin": "GND",
         "wire_color": "black"},
    ],
}  # fmt: skip


def test_wiring_diff_finds_added_removed_and_rerouted_connections() -> None:
    b = json.loads(json.dumps(WIRING_A))
    b["components"].append({"id": "buz", "part": "buzzer-active"})
    b["connections"][0]["from_pin"] = "GPIO5"  # mcu.GPIO4 -> r1.1 becomes mcu.GPIO5 -> r1.1
    b["connections"][2]["wire_color"] = "blue"
    # written the other way round: still the same connection
    b["connections"][1] = {"from_component": "led", "from_pin": "A", "to_component": "r1",
                           "to_pin": "2"}  # fmt: skip
    b["connections"].append(
        {"from_component": "buz", "from_pin": "+", "to_component": "mcu", "to_pin": "GPIO18"}
    )
    d = diff_wiring(WIRING_A, b)
    assert [c["id"] for c in d.components_added] == ["buz"]
    assert [(r.kept, r.old, r.new) for r in d.rerouted] == [("r1.1", "mcu.GPIO4", "mcu.GPIO5")]
    assert d.connections_added == [{"from": "buz.+", "to": "mcu.GPIO18"}]
    assert d.connections_removed == []
    [recoloured] = d.connections_changed
    assert recoloured["changes"] == [{"field": "wire_color", "old": "black", "new": "blue"}]
    assert d.summary() == (
        "1 component(s) added, 1 connection(s) added, 1 re-routed, 1 connection(s) changed"
    )
    assert "  ↷ r1.1: mcu.GPIO4 → mcu.GPIO5" in d.lines()


def test_code_diff_is_unified_per_file_and_documents_go_by_section() -> None:
    d = diff_code({"src/main.cpp": "int a;\n", "old.h": "x"}, {"src/main.cpp": "int b;\n"})
    assert [(f.path, f.status) for f in d.files] == [
        ("old.h", "removed"),
        ("src/main.cpp", "changed"),
    ]
    assert "-int a;" in d.files[1].diff and "+int b;" in d.files[1].diff
    doc = diff_document(
        "intro\n# Goals\nwater plants\n# Risks\nleaks\n",
        "intro\n# Goals\nwater plants daily\n# Budget\n$40\n",
    )
    assert [(s.heading, s.status) for s in doc.sections] == [
        ("# Goals", "changed"),
        ("# Budget", "added"),
        ("# Risks", "removed"),
    ]
    assert "+water plants daily" in doc.sections[0].diff


def test_structured_content_that_does_not_parse_falls_back_to_text() -> None:
    d = semantic_diff("bom", "not json", '{"components": []}')
    assert d.as_dict()["kind"] == "document" and not d.same


# -------------------------------------------------------------------- terminal


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[2J\x1b[Hb", "ab"),  # clear screen, cursor home
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"),  # OSC 8 link
        ("\x1b]0;title\x07x", "x"),  # window title
        ("\x9b2Jy\x9d0;t\x9cz", "yz"),  # 8-bit CSI and OSC
        ("bell\x07 back\x08 cr\r", "bell back cr"),
        ("keep\ttabs\nand lines — ünïcode", "keep\ttabs\nand lines — ünïcode"),
    ],
)
def test_clean_removes_control_sequences(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_a_sequence_cut_between_stream_pieces_is_still_removed() -> None:
    f = TerminalFilter()
    pieces = ["one \x1b", "[3", "1mtwo \x1b]8;;http://e", "vil\x07three", "\x1b"]
    shown = "".join(f.feed(p) for p in pieces) + f.flush()
    assert shown == "one two three"


# -------------------------------------------------------------------- failures


def test_one_table_maps_failures_for_cli_web_and_turns() -> None:
    busy = ThreadBusy("t1", datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    assert failures.http_failure(busy)[:2] == (409, "Busy")  # type: ignore[index]
    assert failures.describe(busy).exit_code == failures.EXIT_BUSY  # type: ignore[union-attr]
    missing = NotFoundError("unknown thread 'x'")
    assert failures.http_failure(missing) == (404, "Not found", "unknown thread 'x'")
    assert failures.http_failure(StoreError("bad\nsecond")) == (400, "Bad request", "bad")
    assert failures.http_failure(ProviderError("down"))[0] == 502  # type: ignore[index]
    assert failures.describe(RuntimeError("bug")) is None
    event = failures.error_event(ProviderError("no key"), "t9")
    assert event.kind == "provider" and "ohm resume --thread t9" in event.message
    assert failures.error_event(missing, "t9").kind == "input"
    assert failures.event_status("provider") == 502 and failures.event_status("input") == 400
