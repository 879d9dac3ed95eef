"""The budget optimizer end to end through ``ohm`` and the offline simulator over loopback
HTTP: a budget run offers only substitutions that pass the checks, and accepting them
writes a new parts list version."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from persistence.store import ArtifactStore
from tools.budget import parse_budget, swapped
from tools.checks.catalog import load_catalog
from tools.checks.project import check_project
from tools.schemas import parse_bom, parse_wiring

runner = CliRunner()


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OHM_OFFLINE", "1")
    monkeypatch.setattr("app.driver._offline_noted", False)


def ask(*args: str) -> dict:
    r = runner.invoke(app, ["ask", *args, "--json"])
    assert r.exit_code == 0, r.stderr
    return [json.loads(x) for x in r.stdout.splitlines() if x.strip()][-1]


def latest(kind: str) -> str:
    v = ArtifactStore.open().latest("default", kind)
    assert v is not None and not v.deleted
    return v.content


def test_a_budget_run_offers_only_check_passing_substitutions_and_applies_them() -> None:
    ask("A weather station on an ESP32", "what parts do I need?", "wire it up", "-t", "b1")
    bom, wiring = parse_bom(latest("bom")), parse_wiring(latest("wiring"))

    result = ask("how can I make this cheaper?", "--agent", "budget", "-t", "b1")
    assert (result["agent"], result["route"]) == ("budget_optimizer", "forced")
    assert {"type": "budget", "path": None, "version": 1} in result["artifacts"]
    assert result["reply"].startswith("(Offline simulator")
    budget = parse_budget(latest("budget"))
    assert budget is not None and budget.offered and budget.rejected
    # The cheaper 5 V-only LCD was proposed, refused by the checks, and is not a saving.
    (lcd,) = [r for r in budget.rejected if r.substitute.catalog_id == "lcd1602-i2c"]
    assert lcd.failed_checks and lcd.line_savings is not None and lcd.line_savings > 0
    assert "lcd1602" not in json.dumps([r.model_dump() for r in budget.offered])
    assert "16x2" in result["reply"] and "supply-voltage" in result["reply"]
    # Every offered substitution, swapped in for real, adds no error to the project.
    cat = load_catalog()
    before = {f.message for f in check_project(bom, wiring, [], cat) if f.severity == "error"}
    for offer in budget.offered:
        new_bom, new_wiring, _ = swapped(bom, wiring, cat, {offer.line - 1: offer.substitute})
        after = check_project(new_bom, new_wiring, [], cat)
        assert not [f for f in after if f.severity == "error" and f.message not in before]
    assert budget.savings == sum(r.line_savings or 0 for r in budget.offered)
    # People read the stored JSON as Markdown; --json gives the structure itself.
    shown = runner.invoke(app, ["artifacts", "show", "budget"])
    assert shown.exit_code == 0, shown.stderr
    assert "Original cost" in shown.stdout and "Offered substitutions" in shown.stdout
    assert not shown.stdout.lstrip().startswith("{")
    as_json = runner.invoke(app, ["artifacts", "show", "budget", "--json"])
    assert json.loads(as_json.stdout)["content"]["savings"] == budget.savings

    applied = ask("yes, apply the savings", "-t", "b1")
    assert applied["agent"] == "budget_optimizer"
    assert {"type": "bom", "path": None, "version": 2} in applied["artifacts"]
    new_bom = parse_bom(latest("bom"))
    ids = [c.catalog_id for c in new_bom.components]
    assert "ssd1306-128x32-i2c" in ids and "ssd1306-i2c" not in ids and "lcd1602-i2c" not in ids
    assert new_bom.total_cost == budget.optimized_cost
    new_wiring = parse_wiring(latest("wiring"))
    assert "ssd1306-128x32-i2c" in {c.part for c in new_wiring.components}


def test_a_budget_request_is_routed_to_the_optimizer_and_needs_a_parts_list() -> None:
    ask("A weather station on an ESP32", "-t", "b2")
    result = ask("how can I make this cheaper?", "-t", "b2")
    assert (result["agent"], result["intent"]) == ("budget_optimizer", "BUDGET")
    assert "no parts list yet" in result["reply"]
    assert not [a for a in result["artifacts"] if a["type"] == "budget"]
