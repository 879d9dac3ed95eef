"""The tool definitions a specialist really sends over HTTP carry the artifact schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.assembly_line import AssemblyLine
from providers.factory import reset_factory
from providers.offline import server as offline_server
from providers.offline.brain import Reply
from providers.offline.server import OfflineServer


@pytest.fixture
def bodies(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every chat request body as the offline server received it."""
    seen: list[dict[str, Any]] = []
    real = offline_server.respond

    def recording(body: dict[str, Any], agent: str | None = None) -> Reply:
        seen.append(json.loads(json.dumps(body)))
        return real(body, agent)

    monkeypatch.setattr(offline_server, "respond", recording)
    with OfflineServer() as srv:
        monkeypatch.setenv("BYTEZ_API_KEY_1", "sk-schema-test-0001")
        monkeypatch.setenv("OHM_BASE_URL", srv.base_url)
        monkeypatch.delenv("OHM_OFFLINE", raising=False)
        monkeypatch.delenv("OHM_KEY_STORE", raising=False)
        reset_factory()
        yield seen
        reset_factory()


def _tools(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["function"]["name"]: t["function"] for t in body.get("tools") or []}


def _props(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    """Properties at ``path`` (through arrays), refs resolved against the schema's $defs."""
    defs = schema.get("$defs", {})

    def resolve(s: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in s or ("anyOf" in s and len(s["anyOf"]) <= 2):
            if "$ref" in s:
                s = defs[s["$ref"].rsplit("/", 1)[-1]]
            else:
                s = next(x for x in s["anyOf"] if x.get("type") != "null")
        return s

    node = resolve(schema)
    for key in path:
        node = resolve(node["properties"][key])
        if node.get("type") == "array":
            node = resolve(node["items"])
    return dict(node["properties"])


async def test_specialists_send_the_bom_and_wiring_schemas(
    bodies: list[dict[str, Any]], tmp_path: Path
) -> None:
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        await line.achat("A weather station on an ESP32 with a BME280", thread="t")
        bom_turn = await line.achat("What parts do I need?", thread="t", agent="bom")
        wiring_turn = await line.achat("How do I wire it?", thread="t", agent="wiring")
    assert {a.type for a in bom_turn.artifacts} == {"bom"}
    assert {a.type for a in wiring_turn.artifacts} == {"wiring"}

    bom_tools = next(_tools(b) for b in bodies if "write_bom" in _tools(b))
    assert "write" not in bom_tools  # the untyped tool is bound to no agent
    bom_schema = bom_tools["write_bom"]["parameters"]
    component = _props(bom_schema, "bom", "components")
    assert {"part_number", "quantity", "manufacturer", "unit_cost"} <= set(component)
    assert "US dollars" in component["unit_cost"]["description"]
    power = _props(bom_schema, "bom", "power_analysis")
    assert "volts" in power["supply_voltage"]["description"]
    merge = _props(bom_schema)["merge"]
    assert merge["enum"] == ["replace", "merge", "append"]
    # Ohm fills in the project name and the total: the model is not shown them.
    bom_fields = _props(bom_schema, "bom")
    assert {"components", "power_analysis", "summary"} <= set(bom_fields)
    assert "project_name" not in bom_fields and "total_cost" not in bom_fields
    assert "runtime" not in bom_schema["properties"]
    # Compact: optional fields are plain types, nothing is defined twice.
    sent = json.dumps(bom_schema)
    assert '"null"' not in sent and "$ref" not in sent and "additionalProperties" not in sent
    assert component["unit_cost"]["type"] == "number"

    wiring_tools = next(_tools(b) for b in bodies if "write_wiring" in _tools(b))
    wiring_schema = wiring_tools["write_wiring"]["parameters"]
    connection = _props(wiring_schema, "wiring", "connections")
    assert {"from_component", "from_pin", "to_component", "to_pin"} <= set(connection)
    assert "printed on the board" in connection["from_pin"]["description"]

    # Each agent is offered the write tools of what it writes.
    assert "write_code" not in bom_tools and "write_bom" not in wiring_tools


async def test_the_budget_optimizer_sends_the_budget_schema_without_the_totals(
    bodies: list[dict[str, Any]], tmp_path: Path
) -> None:
    async with AssemblyLine(data_dir=tmp_path / "d") as line:
        await line.achat("A weather station on an ESP32 with a BME280", thread="t")
        await line.achat("What parts do I need?", thread="t", agent="bom")
        turn = await line.achat("how can I make this cheaper?", thread="t", agent="budget")
    assert {a.type for a in turn.artifacts} == {"budget"}
    tools = next(_tools(b) for b in bodies if "write_budget" in _tools(b))
    assert set(tools) == {"read", "parts_catalog", "write_budget", "apply_budget"}
    schema = tools["write_budget"]["parameters"]
    rec = _props(schema, "budget", "recommendations")
    assert {"line", "substitute", "reason", "tradeoff"} <= set(rec)
    sub = _props(schema, "budget", "recommendations", "substitute")
    assert {"catalog_id", "unit_cost", "price_source"} <= set(sub)
    assert "US dollars" in sub["unit_cost"]["description"]
    keep = _props(schema, "budget", "do_not_cheapen")
    assert set(keep) == {"line", "why"}
    # Ohm computes the costs and the savings; the model is not asked for them.
    assert not {"original_cost", "optimized_cost", "savings"} & set(_props(schema, "budget"))
