"""The three merge strategies on every kind of artifact."""

from __future__ import annotations

import json

import pytest

from tools.merge import combine_structured, combine_text, merge_markdown
from tools.schemas import ArtifactContentError


def comp(name: str, pn: str, qty: int = 1, cost: float = 1.0, **extra: object) -> dict:
    return {
        "name": name,
        "part_number": pn,
        "manufacturer": "M",
        "quantity": qty,
        "unit_cost": cost,
        **extra,
    }


BASE_BOM = {
    "project_name": "P",
    "components": [
        comp("ESP32", "ESP32-DEVKITC-32E", cost=10.0),
        comp("LED", "WP7113ID", qty=2, cost=0.3),
    ],
    "warnings": ["keep 5 V off GPIOs"],
}


def test_bom_merge_updates_by_part_number_and_adds_new_parts() -> None:
    old = json.dumps(BASE_BOM)
    new = {
        "components": [
            {"name": "Red LED", "part_number": "wp7113id", "quantity": 4},
            comp("BME280", "BME280", cost=8.0),
        ],
        "warnings": ["BME280 is 3.3 V only"],
    }
    out = json.loads(combine_structured("bom", old, new, "merge"))
    by_pn = {c["part_number"].lower(): c for c in out["components"]}
    assert len(out["components"]) == 3
    assert by_pn["wp7113id"]["quantity"] == 4 and by_pn["wp7113id"]["unit_cost"] == 0.3
    assert out["warnings"] == ["keep 5 V off GPIOs", "BME280 is 3.3 V only"]
    assert out["total_cost"] == pytest.approx(10.0 + 4 * 0.3 + 8.0)
    assert out["project_name"] == "P"


def test_bom_merge_falls_back_to_name_when_no_part_number_matches() -> None:
    old = json.dumps(BASE_BOM)
    out = json.loads(
        combine_structured(
            "bom",
            old,
            {"components": [{"name": "esp32", "part_number": "ESP32-WROOM-32E", "quantity": 2}]},
            "merge",
        )
    )
    assert len(out["components"]) == 2
    esp = out["components"][0]
    assert esp["part_number"] == "ESP32-WROOM-32E" and esp["quantity"] == 2


def test_bom_append_adds_components_and_replace_replaces() -> None:
    old = json.dumps(BASE_BOM)
    appended = json.loads(
        combine_structured("bom", old, {"components": [comp("X", "X1")]}, "append")
    )
    assert [c["name"] for c in appended["components"]] == ["ESP32", "LED", "X"]
    replaced = json.loads(
        combine_structured(
            "bom", old, {"project_name": "Q", "components": [comp("Y", "Y1")]}, "replace"
        )
    )
    assert [c["name"] for c in replaced["components"]] == ["Y"]
    assert replaced["warnings"] == []


def test_merged_result_is_validated_as_a_whole() -> None:
    with pytest.raises(ArtifactContentError, match=r"components\.2\.quantity"):
        combine_structured(
            "bom", json.dumps(BASE_BOM), {"components": [comp("Bad", "B1", qty=0)]}, "merge"
        )


WIRING = {
    "components": [{"id": "mcu", "part": "esp32-devkit-v1"}, {"id": "env", "part": "bme280"}],
    "connections": [
        {
            "from_component": "mcu",
            "from_pin": "GPIO21",
            "to_component": "env",
            "to_pin": "SDA",
            "wire_color": "blue",
        },
    ],
    "instructions": ["step 1"],
}


def test_wiring_merge_by_component_id_and_connection_ends() -> None:
    new = {
        "components": [
            {"id": "env", "part": "bme280", "props": {"i2c_address": "0x77"}},
            {"id": "oled", "part": "ssd1306-i2c"},
        ],
        "connections": [
            # same two ends written the other way round: an update, not a new wire
            {
                "from_component": "env",
                "from_pin": "sda",
                "to_component": "mcu",
                "to_pin": "GPIO21",
                "wire_color": "white",
            },
            {
                "from_component": "mcu",
                "from_pin": "GPIO21",
                "to_component": "oled",
                "to_pin": "SDA",
            },
        ],
    }
    out = json.loads(combine_structured("wiring", json.dumps(WIRING), new, "merge"))
    assert [c["id"] for c in out["components"]] == ["mcu", "env", "oled"]
    assert out["components"][1]["props"] == {"i2c_address": "0x77"}
    assert len(out["connections"]) == 2
    assert out["connections"][0]["wire_color"] == "white"
    assert out["instructions"] == ["step 1"]


def test_wiring_append_rejects_duplicate_ids() -> None:
    with pytest.raises(ArtifactContentError, match="repeated: env"):
        combine_structured(
            "wiring",
            json.dumps(WIRING),
            {"components": [{"id": "env", "part": "bme280"}]},
            "append",
        )


def test_wiring_connection_to_unknown_component_is_an_error() -> None:
    bad = {
        "components": [{"id": "mcu", "part": "esp32-devkit-v1"}],
        "connections": [
            {"from_component": "mcu", "from_pin": "GPIO4", "to_component": "ghost", "to_pin": "IN"}
        ],
    }
    with pytest.raises(ArtifactContentError, match="'ghost'"):
        combine_structured("wiring", None, bad, "replace")


def test_text_strategies() -> None:
    assert combine_text("a", "b", "replace") == "b"
    assert combine_text("a\n", "b", "append") == "a\n\nb"
    assert combine_text(None, "b", "append") == "b"


def test_markdown_merge_replaces_sections_by_heading_and_adds_new_ones() -> None:
    old = "# Plan\nintro\n\n## Power\nUSB\n\n## Parts\nESP32\n"
    new = "## power\nBattery 18650\n\n## Enclosure\nIP65 box\n"
    out = merge_markdown(old, new)
    assert "Battery 18650" in out and "USB" not in out
    assert out.index("## Parts") < out.index("## Enclosure")
    assert "intro" in out and "ESP32" in out


def test_markdown_merge_ignores_headings_inside_code_fences() -> None:
    old = "## Code\n```\n# not a heading\n```\n"
    out = merge_markdown(old, "## Notes\nx\n")
    assert "# not a heading" in out and out.count("## Code") == 1
