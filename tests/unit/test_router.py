"""The local router: its data, the shipped model, the follow-up rule, settings, and what the
graph records when the router decides a turn (no orchestrator call)."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from graph.assembly_line import AssemblyLine
from nodes import router
from nodes.agents import INTENTS, ConfigError
from nodes.deps import Deps
from nodes.router import (
    Decision,
    RouterSettings,
    RouterUnavailable,
    decide,
    follow_up_reason,
    load_router,
    load_router_from,
    router_settings,
    shipped_metadata,
)
from nodes.router_train import (
    HELDOUT_FILE,
    TRAIN_FILE,
    evaluate,
    load_examples,
    load_followups,
    normalise,
)
from persistence.store import ArtifactStore
from tests.fakes import ModelBook, intent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_router() -> None:
    router.reset_router()


def shipped() -> router.LocalRouter:
    loaded = load_router()
    assert loaded is not None, "the shipped model must load in the test environment"
    return loaded


# ------------------------------------------------------------------------- data


def test_the_data_covers_every_intent_in_two_disjoint_splits() -> None:
    train, heldout = load_examples(TRAIN_FILE), load_examples(HELDOUT_FILE)
    assert len(train) + len(heldout) >= 600
    for split in (train, heldout):
        assert {e.intent for e in split} == set(INTENTS)
    for name in INTENTS:
        assert sum(e.intent == name for e in train + heldout) >= 120, name
    assert not {normalise(e.text) for e in train} & {normalise(e.text) for e in heldout}


def test_shipped_model_reproduces_its_recorded_held_out_scores() -> None:
    meta = shipped_metadata()
    assert meta is not None
    recorded = meta["heldout"]
    assert recorded["sha256"] == router.file_digest(HELDOUT_FILE), "held-out data changed"
    assert meta["train_sha256"] == router.file_digest(TRAIN_FILE), "retrain after data changes"
    assert list(meta["labels"]) == sorted(INTENTS)
    scores = evaluate(shipped(), load_examples(HELDOUT_FILE), float(meta["threshold"]))
    assert scores.as_dict() == {k: recorded[k] for k in scores.as_dict()}
    # The threshold was chosen for at most 3 % misroutes among the local decisions.
    assert scores.misroute_rate <= 0.03 and scores.decided_locally > 0


# ------------------------------------------------------------------- follow-ups


def test_follow_ups_are_never_decided_locally_even_at_threshold_zero() -> None:
    settings = RouterSettings(mode="local", threshold=0.0)
    followups = load_followups()
    assert len(followups) >= 50
    local = [t for t in followups if decide(t, settings, shipped()).decided_by == "local"]
    assert local == []
    assert shipped_metadata()["followups_decided_locally"] == 0  # type: ignore[index]


@pytest.mark.parametrize(
    "text",
    [
        "yes, go ahead",
        "do it",
        "and the other one?",
        "Yes please!",
        "ok, same for the second sensor",
        "change it to pin 5",
        "yes but use a BME280 instead",
        "👍",
    ],
)
def test_follow_up_rule_holds_back_messages_that_lean_on_the_last_exchange(text: str) -> None:
    assert follow_up_reason(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "it keeps rebooting",
        "Great, now write the firmware.",
        "What parts do I need?",
        "How do I wire it all up?",
        "whats the cheapest microcontroller that can do wifi",
    ],
)
def test_self_contained_messages_are_not_follow_ups(text: str) -> None:
    assert follow_up_reason(text) is None


def test_the_follow_up_rule_leaves_most_training_messages_to_the_router() -> None:
    train = load_examples(TRAIN_FILE)
    held = [e.text for e in train if follow_up_reason(e.text) is not None]
    assert len(held) < 0.03 * len(train), held


# --------------------------------------------------------------------- settings


def test_settings_default_to_local_with_the_recorded_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    meta = shipped_metadata()
    assert meta is not None
    assert router_settings() == RouterSettings("local", float(meta["threshold"]))
    monkeypatch.setenv("OHM_ROUTER", " Model ")
    monkeypatch.setenv("OHM_ROUTER_THRESHOLD", "0.5")
    assert router_settings() == RouterSettings("model", 0.5)
    assert router_settings(mode="off", threshold=0.7) == RouterSettings("off", 0.7)


@pytest.mark.parametrize(
    ("var", "value", "words"),
    [
        ("OHM_ROUTER", "auto", "must be one of off, local, model"),
        ("OHM_ROUTER_THRESHOLD", "high", "must be a number between 0 and 1"),
        ("OHM_ROUTER_THRESHOLD", "1.5", "must be between 0 and 1"),
        ("OHM_ROUTER_THRESHOLD", "-0.1", "must be between 0 and 1"),
    ],
)
def test_bad_settings_are_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, words: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=words):
        router_settings()


def test_the_threshold_decides_between_local_and_model() -> None:
    text = "can the pump run from the same supply as the board"
    guess = shipped().predict(text)
    assert 0.2 < guess.confidence < 0.99, "pick a message the router is not sure about"
    at = decide(text, RouterSettings("local", guess.confidence), shipped())
    assert (at.decided_by, at.intent, at.confidence) == ("local", guess.intent, guess.confidence)
    above = decide(text, RouterSettings("local", guess.confidence + 1e-6), shipped())
    assert (above.decided_by, above.intent, above.confidence) == ("model", None, guess.confidence)
    assert above.reason.startswith("local router unsure")


def test_modes_off_and_model_never_decide_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "what parts do I need for a weather station?"
    shadow = decide(text, RouterSettings("model", 0.0), shipped())
    assert (shadow.decided_by, shadow.intent, shadow.shadow) == ("model", None, True)
    assert shadow.guess is not None and shadow.guess.intent == "BOM"

    def refuse() -> None:
        raise AssertionError("OHM_ROUTER=off must not load the router")

    monkeypatch.setattr(router, "load_router", refuse)
    off = decide(text, RouterSettings("off", 0.0))
    assert off == Decision("model", None, None, "the local router is off (OHM_ROUTER=off)")


# ------------------------------------------------------------ loading and fallback


def copy_model(tmp_path: Path) -> tuple[Path, Path]:
    model, meta = tmp_path / "model.joblib", tmp_path / "model.json"
    shutil.copy(router.MODEL_FILE, model)
    shutil.copy(router.META_FILE, meta)
    return model, meta


def rewrite_meta(meta: Path, **changes: object) -> None:
    data = json.loads(meta.read_text("utf-8"))
    data.update(changes)
    meta.write_text(json.dumps(data), "utf-8")


def test_a_model_from_another_library_version_is_refused(tmp_path: Path) -> None:
    model, meta = copy_model(tmp_path)
    assert load_router_from(model, meta).labels == tuple(sorted(INTENTS))
    rewrite_meta(meta, sklearn_version="0.24.2")
    with pytest.raises(RouterUnavailable, match=r"trained with scikit-learn 0\.24\.2"):
        load_router_from(model, meta)


def test_a_model_that_does_not_reproduce_its_probes_is_refused(tmp_path: Path) -> None:
    model, meta = copy_model(tmp_path)
    probes = json.loads(meta.read_text("utf-8"))["probes"]
    probes[0]["probabilities"] = {k: 0.2 for k in probes[0]["probabilities"]}
    rewrite_meta(meta, probes=probes)
    with pytest.raises(RouterUnavailable, match="does not reproduce"):
        load_router_from(model, meta)


def test_an_unloadable_model_falls_back_to_the_model_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    model, meta = copy_model(tmp_path)
    model.write_bytes(b"not a pickle")
    monkeypatch.setattr(router, "MODEL_FILE", model)
    monkeypatch.setattr(router, "META_FILE", meta)
    with caplog.at_level(logging.WARNING, logger="nodes.router"):
        first = decide("what parts do I need?", RouterSettings("local", 0.5))
        second = decide("how do I wire the relay?", RouterSettings("local", 0.5))
    assert first.decided_by == second.decided_by == "model"
    assert first.reason == "the local router is unavailable"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cannot load model.joblib" in warnings[0].getMessage()
    assert "\n" not in warnings[0].getMessage()


def test_importing_the_cli_and_the_graph_does_not_import_scikit_learn() -> None:
    code = (
        "import sys, app.cli, graph.builder, graph.assembly_line, nodes.router; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib', "
        "'scipy')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


# ------------------------------------------------------------------------ graph


def line_for(book: ModelBook, tmp_path: Path) -> AssemblyLine:
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    return AssemblyLine(data_dir=tmp_path / "data", deps=Deps(models=book, store=lambda: store))


def kickoff() -> list[AIMessage]:
    return [AIMessage("Three ways to build a weather station.")]


async def test_a_clear_message_is_routed_locally_without_an_orchestrator_call(
    tmp_path: Path,
) -> None:
    book = ModelBook(project_initializer=kickoff(), wiring_diagram=[AIMessage("GPIO 21/22.")])
    async with line_for(book, tmp_path) as line:
        await line.achat("A weather station on an ESP32", thread="t")
        r = await line.achat("how do I connect the bme280 to the esp32?", thread="t")
        history = await line.ahistory("t")
    assert "orchestrator" not in book.models, "a model for the orchestrator was never asked"
    assert (r.agent, r.intent, r.route) == ("wiring_diagram", "WIRING", "local")
    assert r.route_confidence is not None and r.route_confidence >= router_settings().threshold
    assert r.route_reason is not None and r.route_reason.startswith("local router: WIRING")
    chosen = [e for e in r.events if e["type"] == "agent"]
    assert chosen[0]["route"] == "local" and chosen[0]["confidence"] == r.route_confidence
    routed = [cp for cp in history if cp.route == "local"]
    assert routed and routed[-1].route_confidence == r.route_confidence
    assert r.reply == "GPIO 21/22."


async def test_a_follow_up_goes_to_the_orchestrator_with_the_last_exchange(
    tmp_path: Path,
) -> None:
    book = ModelBook(
        project_initializer=kickoff(),
        orchestrator=[intent("WIRING", "continues the wiring")],
        wiring_diagram=[AIMessage("Shall I save the wiring?"), AIMessage("Saved.")],
    )
    async with line_for(book, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        first = await line.achat("how do I wire the BME280 to the ESP32?", thread="t")
        second = await line.achat("yes, go ahead", thread="t")
    assert first.route == "local"
    assert (second.route, second.agent, second.route_confidence) == (
        "classifier",
        "wiring_diagram",
        None,
    )
    prompts = book.models["orchestrator"].prompts
    assert len(prompts) == 1
    assert "Shall I save the wiring?" in str(prompts[0][-1].content)


async def test_an_unsure_router_hands_the_message_to_the_orchestrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_ROUTER_THRESHOLD", "1")
    book = ModelBook(
        project_initializer=kickoff(),
        orchestrator=[intent("BOM", "asks for parts")],
        bom_generator=[AIMessage("Here is the list.")],
    )
    async with line_for(book, tmp_path) as line:
        await line.achat("A weather station", thread="t")
        r = await line.achat("which ESP32 board should I buy for this?", thread="t")
    assert (r.route, r.intent, r.route_reason) == ("classifier", "BOM", "asks for parts")
    assert len(book.models["orchestrator"].prompts) == 1


async def test_model_mode_asks_the_orchestrator_and_records_the_routers_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OHM_ROUTER", "model")
    book = ModelBook(
        project_initializer=kickoff(),
        orchestrator=[intent("DEBUG", "something does not work")],
        debugger=[AIMessage("Check the supply.")],
    )
    async with line_for(book, tmp_path) as line:
        await line.achat("A plant watering monitor", thread="t")
        r = await line.achat("the esp32 resets every time the pump starts", thread="t")
    assert (r.route, r.intent) == ("classifier", "DEBUG")
    assert r.route_reason is not None
    assert r.route_reason.startswith("something does not work; local router said DEBUG at 0.")


async def test_the_initializer_and_forced_agents_are_unchanged(tmp_path: Path) -> None:
    book = ModelBook(project_initializer=kickoff(), debugger=[AIMessage("Check VCC.")])
    async with line_for(book, tmp_path) as line:
        first = await line.achat("what parts do I need for a weather station?", thread="t")
        forced = await line.achat("what parts do I need?", thread="t", agent="debug")
    assert (first.route, first.agent, first.route_confidence) == (
        "initializer",
        "project_initializer",
        None,
    )
    assert (forced.route, forced.agent, forced.route_confidence) == ("forced", "debugger", None)
