"""Whole conversations through the real factory, over HTTP, against the offline model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from graph.assembly_line import AssemblyLine
from providers.factory import get_factory

SCRIPT = [
    (
        "I want to build a soil-moisture monitor on an ESP32 that waters my plants",
        "project_initializer",
        {"context"},
    ),
    ("What parts do I need?", "bom_generator", {"bom"}),
    ("How do I wire it all up?", "wiring_diagram", {"wiring"}),
    ("Great, now write the firmware.", "code_generator", {"code"}),
    ("The OLED stays blank and the reading is always 0. What's wrong?", "debugger", set()),
]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OHM_OFFLINE", "1")


async def test_a_maker_session_routes_and_writes_artifacts(tmp_path: Path) -> None:
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        for message, agent, types in SCRIPT:
            deltas: list[str] = []
            result = None
            async for ev in line.astream(message, project="default", thread="s1"):
                if ev.type == "text":
                    deltas.append(ev.text)
                elif ev.type == "done":
                    result = ev.result
            assert result is not None and result.agent == agent, message
            assert {a.type for a in result.artifacts} == types
            assert "".join(deltas).strip() == result.reply.strip()
        store = line.store
    assert get_factory().offline
    wiring = json.loads(store.latest("default", "wiring").content)  # type: ignore[union-attr]
    config = store.latest("default", "code", "include/config.h").content  # type: ignore[union-attr]
    # The firmware's pins are the wiring's pins.
    wired = {
        c["to_pin"] if c["from_component"] != "mcu" else c["from_pin"]
        for c in wiring["connections"]
        if "mcu" in (c["from_component"], c["to_component"])
    }
    for _name, pin in re.findall(r"#define\s+(\w+_PIN)\s+(\d+)", config):
        assert f"GPIO{pin}" in wired
    main = store.latest("default", "code", "src/main.cpp").content  # type: ignore[union-attr]
    loop_body = main[main.index("void loop()") :]
    assert "delay(" not in loop_body and "millis()" in loop_body


async def test_edited_wiring_moves_the_firmware_pins(tmp_path: Path) -> None:
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        await line.achat("A weather station with a BME280 on an ESP32", thread="w")
        await line.achat("How do I wire it?", thread="w")
        w = json.loads(line.store.latest("default", "wiring").content)  # type: ignore[union-attr]
        for c in w["connections"]:
            for end in ("from_pin", "to_pin"):
                if c[end] == "GPIO21":
                    c[end] = "GPIO16"
        line.store.write("default", "wiring", lambda _p: json.dumps(w))
        await line.achat("write the firmware", thread="w")
        config = line.store.latest("default", "code", "include/config.h")
    assert config is not None
    assert re.search(r"#define I2C_SDA_PIN\s+16\b", config.content)


def test_the_sync_api_works_without_an_event_loop(tmp_path: Path) -> None:
    line = AssemblyLine(data_dir=tmp_path / "d")
    try:
        first = line.chat("A motion-activated light for my hallway", thread="m")
        second = line.chat("what parts do I need?", thread="m")
        hist = line.history("m")
    finally:
        line.close()
    assert first.agent == "project_initializer" and second.agent == "bom_generator"
    assert second.checkpoint_id == hist[-1].checkpoint_id
