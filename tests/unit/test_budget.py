"""The budget optimizer: what its write tool shows the model, totals Ohm computes itself,
substitutions checked before they are offered, and the accepted ones applied as a new
parts list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

from app.export import export_artifacts
from app.web.drawers import panel_for
from graph.assembly_line import AssemblyLine
from nodes.agents import AGENTS, INTENT_TO_AGENT, INTENTS, resolve_agent
from nodes.classifier import IntentDecision
from nodes.deps import Deps
from persistence.store import ArtifactStore
from providers.offline.brain import classify_text
from providers.offline.budget import accepts
from tests.fakes import ModelBook, call, tools_msg
from tools.artifacts import build_tools
from tools.budget import Budget, BudgetDraft, budget_markdown, judge, parse_budget, swapped
from tools.checks.catalog import load_catalog
from tools.checks.project import check_project
from tools.schemas import Bom, Wiring

ESP32 = {
    "name": "ESP32 DevKit",
    "part_number": "ESP32-DEVKITC-32E",
    "manufacturer": "Espressif Systems",
    "unit_cost": 10.0,
    "catalog_id": "esp32-devkit-v1",
}
OLED = {
    "name": "OLED 0.96in",
    "part_number": "SSD1306",
    "manufacturer": "Solomon Systech",
    "quantity": 2,
    "unit_cost": 6.0,
    "catalog_id": "ssd1306-i2c",
}
SENSOR = {
    "name": "BME280 breakout",
    "part_number": "BME280",
    "manufacturer": "Bosch Sensortec",
    "unit_cost": 8.0,
    "catalog_id": "bme280",
}
BOM = {"project_name": "Weather", "components": [ESP32, OLED, SENSOR]}


def _wire(a: str, ap: str, b: str, bp: str) -> dict[str, str]:
    return {"from_component": a, "from_pin": ap, "to_component": b, "to_pin": bp}


WIRING = {
    "components": [
        {"id": "mcu", "part": "esp32-devkit-v1"},
        {"id": "oled", "part": "ssd1306-i2c"},
        {"id": "env", "part": "bme280"},
    ],
    "connections": [
        _wire("mcu", "3V3", "oled", "VCC"),
        _wire("mcu", "GND", "oled", "GND"),
        _wire("mcu", "GPIO21", "oled", "SDA"),
        _wire("mcu", "GPIO22", "oled", "SCL"),
        _wire("mcu", "3V3", "env", "VIN"),
        _wire("mcu", "GND", "env", "GND"),
        _wire("mcu", "GPIO21", "env", "SDA"),
        _wire("mcu", "GPIO22", "env", "SCL"),
    ],
}

LCD_5V = {
    "line": "SSD1306",
    "substitute": {"catalog_id": "lcd1602-i2c", "unit_cost": 3.5, "price_source": "a quote"},
    "reason": "character LCDs cost less",
}
SMALL_OLED = {
    "line": "SSD1306",
    "substitute": {"catalog_id": "ssd1306-128x32-i2c", "unit_cost": 4.0, "price_source": "a quote"},
    "reason": "same driver and pins, smaller panel",
    "tradeoff": "four lines of text",
}


def _judge(
    recs: list[dict[str, Any]], wiring: dict[str, Any] | None = None, **extra: Any
) -> Budget:
    draft = BudgetDraft.model_validate({"recommendations": recs, **extra})
    w = Wiring.model_validate(wiring) if wiring else None
    return judge(draft, Bom.model_validate(BOM), 1, w, [], load_catalog())


def _property_names(schema: Any) -> set[str]:
    """Every property name anywhere in the schema (nested objects, items, definitions)."""
    names: set[str] = set()
    if isinstance(schema, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            names |= set(props)
        for value in schema.values():
            names |= _property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= _property_names(value)
    return names


# ------------------------------------------------------------------- the schema


def test_the_model_sees_the_budget_fields_and_not_the_totals(tmp_path: Path) -> None:
    st = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    tools = {
        t.name: t
        for t in build_tools("budget_optimizer", AGENTS["budget_optimizer"].tools, lambda: st)
    }
    assert set(tools) == {"read", "parts_catalog", "write_budget", "apply_budget"}
    # What the model receives: the tool definition as sent in the request.
    schema = convert_to_openai_tool(tools["write_budget"])["function"]["parameters"]
    names = _property_names(schema)
    for field in (
        "budget",
        "recommendations",
        "line",
        "substitute",
        "catalog_id",
        "unit_cost",
        "price_source",
        "reason",
        "tradeoff",
        "do_not_cheapen",
        "why",
        "target_cost",
    ):
        assert field in names, field
    # Ohm computes these; the model is never asked for them.
    assert not names & {"original_cost", "optimized_cost", "savings", "line_savings", "status"}
    apply = _property_names(convert_to_openai_tool(tools["apply_budget"])["function"]["parameters"])
    assert apply == {"lines"}


# -------------------------------------------------------------------- the judging


def test_totals_and_savings_are_computed_by_ohm_not_taken_from_the_model() -> None:
    budget = _judge([SMALL_OLED], savings=999, original_cost=1, optimized_cost=0)
    assert budget.original_cost == 10.0 + 2 * 6.0 + 8.0
    (offer,) = budget.offered
    assert offer.current_unit_cost == 6.0 and offer.quantity == 2
    assert offer.line_savings == 2 * (6.0 - 4.0)
    assert budget.savings == 4.0 and budget.optimized_cost == 26.0
    assert offer.substitute.name.startswith("0.91")  # filled in from the catalog


def test_a_5v_only_display_on_a_3v3_board_is_rejected_and_not_counted() -> None:
    budget = _judge([LCD_5V])
    (row,) = budget.recommendations
    assert row.status == "rejected" and budget.offered == []
    assert [f.rule for f in row.failed_checks] == ["logic-level"]
    assert "4.5 V" in row.failed_checks[0].message
    assert budget.savings == 0.0 and budget.optimized_cost == budget.original_cost


def test_with_a_wiring_the_substitute_is_wired_in_before_the_checks() -> None:
    budget = _judge([LCD_5V, SMALL_OLED], WIRING)
    lcd, small = budget.recommendations
    assert lcd.status == "rejected"
    assert "supply-voltage" in {f.rule for f in lcd.failed_checks}
    assert small.status == "offered" and small.checked
    # The offered one really passes: swapped into both artifacts, no new error or warning.
    cat = load_catalog()
    bom, wiring = Bom.model_validate(BOM), Wiring.model_validate(WIRING)
    new_bom, new_wiring, _ = swapped(bom, wiring, cat, {1: small.substitute})
    assert new_wiring is not None
    assert {c.id: c.part for c in new_wiring.components}["oled"] == "ssd1306-128x32-i2c"
    blocking = ("error", "warning")
    before = {f.rule for f in check_project(bom, wiring, [], cat) if f.severity in blocking}
    after = {f.rule for f in check_project(new_bom, new_wiring, [], cat) if f.severity in blocking}
    assert after <= before


def test_the_first_passing_candidate_for_a_line_is_the_one_offered() -> None:
    budget = _judge([SMALL_OLED, {**SMALL_OLED, "substitute": {"catalog_id": "sh1106-i2c"}}])
    assert [r.status for r in budget.recommendations] == ["offered", "skipped"]


def test_candidates_ohm_cannot_check_or_that_cost_more_are_not_offered() -> None:
    unknown = {
        "line": "SSD1306",
        "substitute": {"name": "No-name OLED", "part_number": "XYZ-1", "manufacturer": "?"},
        "reason": "cheap",
    }
    dearer = {**SMALL_OLED, "substitute": {"catalog_id": "sh1106-i2c", "unit_cost": 9.0}}
    budget = _judge([unknown, dearer])
    first, second = budget.recommendations
    assert first.status == "rejected" and first.failed_checks[0].rule == "unknown-part"
    assert second.status == "rejected" and "not cheaper" in second.why_not
    assert second.substitute.price_source == "the model's estimate"  # a price with no source


def test_an_unknown_price_is_unknown_and_claims_no_saving() -> None:
    budget = _judge([{**SMALL_OLED, "substitute": {"catalog_id": "ssd1306-128x32-i2c"}}])
    (offer,) = budget.offered
    assert offer.substitute.unit_cost is None and offer.line_savings is None
    assert budget.savings == 0.0
    assert any("price is unknown" in n for n in budget.notes)


# --------------------------------------------------------- through the real ToolNode


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    st = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    st.ensure_project("default")
    st.write("default", "bom", lambda _p: json.dumps(BOM), language="json")
    st.write("default", "wiring", lambda _p: json.dumps(WIRING), language="json")
    return st


async def run_budget(store: ArtifactStore, tmp_path: Path, *steps: AIMessage) -> list[ToolMessage]:
    book = ModelBook(budget_optimizer=[*steps, AIMessage("done")])
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store))
    async with line:
        await line.achat("make it cheaper", thread="t", agent="budget")
    prompt = book.models["budget_optimizer"].prompts[-1]
    return [m for m in prompt if isinstance(m, ToolMessage)]


async def test_write_budget_offers_only_passing_substitutions_and_apply_writes_them(
    store: ArtifactStore, tmp_path: Path
) -> None:
    (msg,) = await run_budget(
        store,
        tmp_path,
        tools_msg(call("write_budget", budget={"recommendations": [LCD_5V, SMALL_OLED]})),
    )
    body = json.loads(str(msg.content))
    assert body["ok"] is True
    assert [o["catalog_id"] for o in body["offered"]] == ["ssd1306-128x32-i2c"]
    (refused,) = body["rejected"]
    assert refused["substitute"].startswith("16x2") and any(
        f.startswith("supply-voltage") for f in refused["failed_checks"]
    )
    assert body["savings"] == "$4.00"
    saved = store.latest("default", "budget")
    assert saved is not None and saved.agent == "budget_optimizer"
    budget = parse_budget(saved.content)
    assert budget is not None and [r.substitute.catalog_id for r in budget.offered] == [
        "ssd1306-128x32-i2c"
    ]

    (applied,) = await run_budget(store, tmp_path, tools_msg(call("apply_budget")))
    result = json.loads(str(applied.content))
    assert result["ok"] is True
    assert {(w["type"], w["version"]) for w in result["written"]} == {("bom", 2), ("wiring", 2)}
    bom = store.latest("default", "bom")
    assert bom is not None and bom.agent == "budget_optimizer"
    lines = json.loads(bom.content)["components"]
    assert [c.get("catalog_id") for c in lines] == [
        "esp32-devkit-v1",
        "ssd1306-128x32-i2c",
        "bme280",
    ]
    assert lines[1]["quantity"] == 2 and json.loads(bom.content)["total_cost"] == 26.0
    assert not [f for f in result["findings"] if f["severity"] == "error"]


async def test_apply_refuses_a_budget_made_for_an_older_parts_list(
    store: ArtifactStore, tmp_path: Path
) -> None:
    await run_budget(
        store, tmp_path, tools_msg(call("write_budget", budget={"recommendations": [SMALL_OLED]}))
    )
    store.write("default", "bom", lambda _p: json.dumps(BOM), language="json")  # v2 by hand
    (msg,) = await run_budget(store, tmp_path, tools_msg(call("apply_budget")))
    body = json.loads(str(msg.content))
    assert body["ok"] is False and "changed since the budget" in body["error"]
    assert store.latest("default", "bom").version == 2  # type: ignore[union-attr]


async def test_a_line_the_bom_lacks_is_refused_and_nothing_is_saved(
    store: ArtifactStore, tmp_path: Path
) -> None:
    bad = {**SMALL_OLED, "line": "NOT-IN-THE-LIST"}
    (msg,) = await run_budget(
        store, tmp_path, tools_msg(call("write_budget", budget={"recommendations": [bad]}))
    )
    body = json.loads(str(msg.content))
    assert body["ok"] is False and "'SSD1306'" in body["error"]
    assert store.latest("default", "budget") is None


# ------------------------------------------------------------------------ routing


def test_the_budget_intent_is_known_to_the_agent_table_classifier_and_simulator() -> None:
    assert "BUDGET" in INTENTS and INTENT_TO_AGENT["BUDGET"] == "budget_optimizer"
    assert resolve_agent("budget") == resolve_agent("BUDGET") == "budget_optimizer"
    assert IntentDecision.model_validate({"intent": "BUDGET"}).intent == "BUDGET"
    assert "BUDGET" in AGENTS["orchestrator"].prompt
    assert classify_text("how can I make this cheaper?", None)[0] == "BUDGET"
    assert classify_text("yes, apply the savings", "BUDGET")[0] == "BUDGET"
    assert classify_text("what parts do I need?", None)[0] == "BOM"


def test_the_budget_reads_as_markdown_with_totals_offers_refusals_and_what_to_keep() -> None:
    keep = [{"line": "ESP32-DEVKITC-32E", "why": "the firmware uses its pins"}]
    budget = _judge([LCD_5V, SMALL_OLED], WIRING, do_not_cheapen=keep)
    text = budget_markdown(json.dumps(budget.model_dump(mode="json")))
    assert "**Original cost: $30.00** · optimized $26.00 · savings $4.00" in text
    offered, refused = text.split("### Not offered")
    assert "0.91" in offered and "16x2" not in offered
    assert "16x2" in refused and "supply-voltage" in refused
    assert "### Do not cheapen" in text and "the firmware uses its pins" in text
    assert budget_markdown("# An old Markdown budget") == "# An old Markdown budget"


def test_the_simulator_takes_yes_as_acceptance_only_after_it_asked() -> None:
    asked = "Say 'yes, apply the savings' to write a new parts list with them."
    assert accepts("yes, apply the savings") and accepts("yes please", asked)
    assert not accepts("yes please", "Here is the wiring.")
    assert not accepts("how can I make this cheaper?", asked)


async def test_the_dashboard_drawer_and_the_export_show_the_budget_as_markdown(
    store: ArtifactStore, tmp_path: Path
) -> None:
    await run_budget(
        store, tmp_path, tools_msg(call("write_budget", budget={"recommendations": [LCD_5V]}))
    )
    saved = store.latest("default", "budget")
    assert saved is not None
    body = str(panel_for(store, saved).body)
    assert "Original cost: $30.00" in body and "Not offered" in body and "{" not in body
    written = export_artifacts(store, "default", tmp_path / "out")
    doc = (tmp_path / "out" / "docs" / "budget.md").read_text("utf-8")
    assert (tmp_path / "out" / "docs" / "budget.md").resolve() in written
    assert doc.startswith("**Original cost: $30.00**") and "supply-voltage" in doc


def test_a_bare_catalog_id_and_a_line_number_are_read_as_what_they_mean() -> None:
    budget = _judge([{"line": 2, "substitute": "ssd1306-128x32-i2c", "reason": "smaller"}])
    (offer,) = budget.offered
    assert (offer.line, offer.part_number) == (2, "SSD1306")
    assert offer.substitute.catalog_id == "ssd1306-128x32-i2c"
    assert offer.line_savings is None  # no price given, none invented
