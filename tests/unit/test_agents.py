"""The agent table and how users override models and temperatures without code."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodes.agents import (
    AGENTS,
    INTENT_TO_AGENT,
    SPECIALISTS,
    ConfigError,
    agent_spec,
    load_prompt,
    resolve_agent,
    resolve_intent,
)


def test_every_agent_has_a_prompt_model_and_tools_it_may_use() -> None:
    for name, spec in AGENTS.items():
        assert "/" in spec.model, name  # Bytez style: provider/model
        assert len(load_prompt(name)) > 200, name
        assert 0 <= spec.temperature <= 1 and spec.max_tokens > 0 and spec.max_steps > 0
    assert AGENTS["orchestrator"].tools == ()
    assert set(AGENTS["debugger"].tools) == {
        "read",
        "list_artifacts",
        "run_checks",
        "parts_catalog",
    }
    assert set(INTENT_TO_AGENT.values()) | {"project_initializer"} == set(SPECIALISTS)


def test_toml_then_env_then_run_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ohm.toml"
    cfg.write_text('[agents.bom_generator]\nmodel = "openai/gpt-4o"\ntemperature = 0.5\n')
    monkeypatch.setenv("OHM_CONFIG", str(cfg))
    spec = agent_spec("bom_generator")
    assert (spec.model, spec.temperature) == ("openai/gpt-4o", 0.5)
    monkeypatch.setenv("OHM_MODEL_BOM_GENERATOR", "google/gemini-2.5-flash")
    assert agent_spec("bom_generator").model == "google/gemini-2.5-flash"
    assert agent_spec("bom_generator").temperature == 0.5
    run = agent_spec("bom_generator", {"bom_generator": "x/run-model"}, {"bom_generator": 0.1})
    assert (run.model, run.temperature) == ("x/run-model", 0.1)
    # Other agents keep their defaults.
    assert agent_spec("debugger") == AGENTS["debugger"]


def test_ohm_toml_in_the_working_directory_is_read(tmp_path: Path) -> None:
    Path("ohm.toml").write_text("[agents.debugger]\ntemperature = 0.9\n")
    assert agent_spec("debugger").temperature == 0.9


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[agents.nobody]\nmodel = 'x'\n", "unknown agent"),
        ("[agents.debugger]\ntemperature = 'hot'\n", "must be a number"),
        ("[agents.debugger]\ntemperature = 7\n", "between 0 and 2"),
        ("not = [valid", "cannot read"),
    ],
)
def test_bad_config_files_are_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, message: str
) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(content)
    monkeypatch.setenv("OHM_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match=message):
        agent_spec("debugger")


def test_missing_config_file_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OHM_CONFIG", "/nonexistent/ohm.toml")
    with pytest.raises(ConfigError, match="not a readable file"):
        agent_spec("debugger")


@pytest.mark.parametrize(
    ("typed", "agent"),
    [
        ("bom", "bom_generator"),
        ("CODE", "code_generator"),
        ("wiring", "wiring_diagram"),
        ("debug", "debugger"),
        ("chat", "conversational"),
        ("bom-generator", "bom_generator"),
    ],
)
def test_agent_names_people_type(typed: str, agent: str) -> None:
    assert resolve_agent(typed) == agent


def test_unknown_names_are_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown agent 'oracle'"):
        resolve_agent("oracle")
    with pytest.raises(ConfigError, match="unknown intent"):
        resolve_intent("BUY")
    assert resolve_intent("wiring") == "WIRING"


def test_the_required_tool_call_flag_comes_from_the_environment_and_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from nodes.agents import agent_spec

    monkeypatch.delenv("OHM_REQUIRE_TOOL_CALLS", raising=False)
    monkeypatch.delenv("OHM_CONFIG", raising=False)
    assert not agent_spec("bom_generator").require_tool_calls
    monkeypatch.setenv("OHM_REQUIRE_TOOL_CALLS", "parts, wiring_diagram")
    assert agent_spec("bom_generator").require_tool_calls
    assert agent_spec("wiring_diagram").require_tool_calls
    assert not agent_spec("conversational").require_tool_calls
    assert not agent_spec("bom_generator").recover_text_tool_calls  # a separate setting
    monkeypatch.setenv("OHM_REQUIRE_TOOL_CALLS", "all")
    assert agent_spec("conversational").require_tool_calls
    monkeypatch.delenv("OHM_REQUIRE_TOOL_CALLS")
    conf = tmp_path / "ohm.toml"
    conf.write_text("[agents.project_initializer]\nrequire_tool_calls = true\n")
    monkeypatch.setenv("OHM_CONFIG", str(conf))
    assert agent_spec("project_initializer").require_tool_calls
    assert not agent_spec("bom_generator").require_tool_calls
