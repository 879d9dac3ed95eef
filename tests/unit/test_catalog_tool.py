"""The parts_catalog tool finds ids, pins and facts so models need not guess them."""

from __future__ import annotations

import json

from tools.catalog_tool import build_catalog_tool, search
from tools.checks import load_catalog


def ask(query: str) -> dict:
    return json.loads(build_catalog_tool().invoke({"query": query}))


def test_an_exact_id_returns_pins_roles_and_datasheet() -> None:
    (part,) = ask("bme280")["matches"]
    assert part["id"] == "bme280"
    assert {p["name"] for p in part["pins"]} == {"VIN", "GND", "SCL", "SDA", "CSB", "SDO"}
    assert part["i2c_addresses"] == ["0x76", "0x77"]
    assert part["supply_v"][1] <= 3.6 and part["datasheet"].startswith("http")


def test_a_part_number_finds_its_catalog_entry() -> None:
    ids = {m["id"] for m in ask("srd-05vdc-sl-c")["matches"]}
    # every part built on that relay carries its number
    assert ids == {"relay-module-5v", "relay-5v-coil", "relay-module-5v-2ch"}
    (uno,) = ask("A000066")["matches"]
    assert uno["id"] == "arduino-uno"


def test_words_rank_matching_parts_first() -> None:
    ids = [m["id"] for m in ask("ultrasonic distance sensor")["matches"]]
    assert ids and ids[0] == "hc-sr04"
    relays = [m["id"] for m in ask("relay")["matches"]]
    assert {"relay-module-5v", "relay-5v-coil"} <= set(relays)
    assert all(isinstance(p, str) for m in ask("relay")["matches"] for p in m["pins"])


def test_a_typo_still_suggests_the_closest_ids() -> None:
    assert [p.id for p in search(load_catalog(), "esp32-devkit-v2")][:1] == ["esp32-devkit-v1"]
    assert ask("")["matches"] == []
