"""The table of agents: one place for every model id, temperature, prompt and tool list.

Users change model and temperature per agent without touching code, from (lowest to
highest precedence) a TOML file (``OHM_CONFIG``, else ``./ohm.toml``), environment
variables (``OHM_MODEL_<AGENT>``, ``OHM_TEMPERATURE_<AGENT>``, or ``OHM_MODEL`` for every
agent), and the per-run overrides in the runtime context.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

Intent = Literal["BOM", "CODE", "WIRING", "DEBUG", "CHAT", "VERIFY", "DATASHEET", "BUDGET"]
INTENTS: tuple[str, ...] = get_args(Intent)

AgentName = Literal[
    "orchestrator",
    "project_initializer",
    "conversational",
    "bom_generator",
    "code_generator",
    "wiring_diagram",
    "debugger",
    "circuit_inspector",
    "datasheet_analyst",
    "budget_optimizer",
    "summarizer",
    "titler",
]
SPECIALISTS: tuple[str, ...] = (
    "project_initializer",
    "bom_generator",
    "code_generator",
    "wiring_diagram",
    "debugger",
    "conversational",
    "circuit_inspector",
    "datasheet_analyst",
    "budget_optimizer",
)

INTENT_TO_AGENT: dict[str, str] = {
    "BOM": "bom_generator",
    "CODE": "code_generator",
    "WIRING": "wiring_diagram",
    "DEBUG": "debugger",
    "CHAT": "conversational",
    "VERIFY": "circuit_inspector",
    "DATASHEET": "datasheet_analyst",
    "BUDGET": "budget_optimizer",
}
AGENT_TO_INTENT: dict[str, str] = {v: k for k, v in INTENT_TO_AGENT.items()}

# What the classifier answers when the model's output is unusable: the conversational
# agent can take any message and hand the user on, so a wrong guess costs the least there.
FALLBACK_INTENT: Intent = "CHAT"

# Short names people type (`--agent bom`) for the agents they can force.
AGENT_ALIASES: dict[str, str] = {
    "bom": "bom_generator",
    "parts": "bom_generator",
    "code": "code_generator",
    "firmware": "code_generator",
    "wiring": "wiring_diagram",
    "debug": "debugger",
    "chat": "conversational",
    "init": "project_initializer",
    "initializer": "project_initializer",
    "verify": "circuit_inspector",
    "inspect": "circuit_inspector",
    "inspector": "circuit_inspector",
    "datasheet": "datasheet_analyst",
    "budget": "budget_optimizer",
    "savings": "budget_optimizer",
    "cost": "budget_optimizer",
}

Route = Literal["initializer", "classifier", "local", "forced", "fallback", "attachment"]

READ_TOOLS = ("read", "list_artifacts", "run_checks", "parts_catalog")
# Each agent is bound to the typed write tools of what it writes (tools/typed_writes.py).
WRITE_TOOLS = ("read", "write_document", "delete", "list_artifacts")
DESIGN_TOOLS = ("read", "list_artifacts", "parts_catalog")
# Every tool's schema is part of every request the agent makes; the parts list and the
# wiring are replaced or merged, never deleted, so those agents are not offered `delete`.
BOM_TOOLS = (*DESIGN_TOOLS, "write_bom")
WIRING_TOOLS = (*DESIGN_TOOLS, "write_wiring")
CODE_TOOLS = (*DESIGN_TOOLS, "delete", "write_code", "write_code_files")
INSPECTOR_TOOLS = ("read", "list_artifacts", "run_checks", "write_inspection")
DATASHEET_TOOLS = ("read", "list_artifacts", "parts_catalog", "save_project_part")
# Proposes cheaper parts (each checked by Ohm before it is offered) and, once the maker
# accepts, applies them as a new parts list version (tools/budget.py).
BUDGET_TOOLS = ("read", "parts_catalog", "write_budget", "apply_budget")


@dataclass(frozen=True)
class AgentSpec:
    name: str
    title: str
    model: str
    temperature: float
    max_tokens: int
    tools: tuple[str, ...]
    max_steps: int = 6
    """Model calls allowed in one turn before the turn ends with a clear message."""
    recover_text_tool_calls: bool = False
    """For models that print their tool calls as JSON text instead of sending them: such a
    call is run when it fits exactly one offered tool (otherwise the model is told to use
    the tool interface). Set per agent in ohm.toml (``recover_text_tool_calls = true``) or
    with ``OHM_RECOVER_TEXT_CALLS`` (``1`` for every agent, or a comma-separated list)."""
    require_tool_calls: bool = False
    """For models that answer in prose where they should save: until the turn has saved an
    artifact, each request asks for a tool call (``tool_choice="required"``), except on
    the last step of the budget, which stays free for the answer. Only for agents with a
    write tool. Set per agent in ohm.toml (``require_tool_calls = true``) or with
    ``OHM_REQUIRE_TOOL_CALLS`` (``1`` for every agent, or a comma-separated list)."""

    @property
    def prompt(self) -> str:
        """The system prompt, with the agent's own step budget filled in."""
        return load_prompt(self.name).replace("{max_steps}", str(self.max_steps))


_SONNET = "anthropic/claude-sonnet-4-5"
_FLASH = "google/gemini-2.5-flash"

AGENTS: dict[str, AgentSpec] = {
    spec.name: spec
    for spec in (
        AgentSpec("orchestrator", "Orchestrator", _FLASH, 0.0, 200, ()),
        AgentSpec("project_initializer", "Project kickoff", _SONNET, 0.7, 2000, WRITE_TOOLS),
        AgentSpec("conversational", "Conversation", _SONNET, 0.6, 2500, WRITE_TOOLS),
        AgentSpec("bom_generator", "Parts list", _SONNET, 0.2, 4000, BOM_TOOLS, max_steps=8),
        AgentSpec("code_generator", "Firmware", _SONNET, 0.2, 8000, CODE_TOOLS, max_steps=10),
        AgentSpec("wiring_diagram", "Wiring", _SONNET, 0.2, 4000, WIRING_TOOLS, max_steps=8),
        AgentSpec("debugger", "Debugger", _SONNET, 0.3, 3000, READ_TOOLS, max_steps=10),
        # A vision model: it is shown the maker's photo.
        AgentSpec("circuit_inspector", "Circuit inspector", _FLASH, 0.2, 3000, INSPECTOR_TOOLS),
        AgentSpec("datasheet_analyst", "Datasheet", _SONNET, 0.1, 4000, DATASHEET_TOOLS),
        AgentSpec("budget_optimizer", "Budget", _SONNET, 0.2, 4000, BUDGET_TOOLS, max_steps=8),
        # Not a specialist: rewrites the running summary every few turns (nodes/summary.py).
        AgentSpec("summarizer", "Conversation summary", _FLASH, 0.0, 1200, ()),
        # Not a specialist: names a thread once, after its first exchange (nodes/titles.py).
        AgentSpec("titler", "Thread title", _FLASH, 0.2, 200, ()),
    )
}


class ConfigError(ValueError):
    """A configuration value a person has to fix; the message is one line."""


def resolve_agent(name: str) -> str:
    """Map a user-typed agent or intent name to an agent id, or raise ConfigError."""
    key = name.strip().lower().replace("-", "_")
    if key.upper() in INTENT_TO_AGENT:
        return INTENT_TO_AGENT[key.upper()]
    key = AGENT_ALIASES.get(key, key)
    if key in SPECIALISTS:
        return key
    names = ", ".join(sorted({*AGENT_ALIASES, *SPECIALISTS}))
    raise ConfigError(f"unknown agent {name!r}; choose one of: {names}")


def resolve_agent_or_self(name: str) -> str:
    """``name`` as an agent id when it names one (aliases included), else unchanged."""
    try:
        return resolve_agent(name)
    except ConfigError:
        return name.strip().lower()


def resolve_intent(name: str) -> str:
    key = name.strip().upper()
    if key in INTENTS:
        return key
    raise ConfigError(f"unknown intent {name!r}; choose one of: {', '.join(INTENTS)}")


@cache
@cache
def load_prompt(agent: str) -> str:
    """The agent's system prompt; prompts ship with the package and never change while
    the process runs, so each is read once."""
    return resources.files("nodes").joinpath("prompts", f"{agent}.md").read_text("utf-8").strip()


def _config_file() -> Path | None:
    path = os.environ.get("OHM_CONFIG")
    if path:
        p = Path(path).expanduser()
        if not p.is_file():
            raise ConfigError(f"OHM_CONFIG points to {p}, which is not a readable file")
        return p
    p = Path("ohm.toml")
    return p if p.is_file() else None


def _float(value: Any, where: str) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: temperature must be a number, got {value!r}") from None
    if not 0.0 <= t <= 2.0:
        raise ConfigError(f"{where}: temperature must be between 0 and 2, got {t}")
    return t


_parsed: dict[tuple[str, int, int], dict[str, Any]] = {}


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML, parsed again only when its size or modification time changed."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _parsed:
        if len(_parsed) > 16:
            _parsed.clear()
        _parsed[key] = tomllib.loads(path.read_text("utf-8"))
    return _parsed[key]


def file_overrides() -> dict[str, dict[str, Any]]:
    path = _config_file()
    if path is None:
        return {}
    try:
        data = _read_toml(path)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    agents = data.get("agents", {})
    if not isinstance(agents, dict):
        raise ConfigError(f"{path}: [agents] must be a table")
    for name in agents:
        if name not in AGENTS:
            raise ConfigError(f"{path}: unknown agent [agents.{name}]")
    return {k: dict(v) for k, v in agents.items()}


ALL_AGENTS: frozenset[str] = frozenset({"*"})


def _agent_list(raw: str) -> frozenset[str] | None:
    """An environment list of agents: None when unset, ALL_AGENTS for ``1``/``all``, else
    the agent ids named (aliases such as ``bom`` resolved)."""
    value = raw.strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on", "all"):
        return ALL_AGENTS
    return frozenset(resolve_agent_or_self(a) for a in value.split(",") if a.strip())


def agent_spec(
    name: str,
    model_overrides: dict[str, str] | None = None,
    temperature_overrides: dict[str, float] | None = None,
) -> AgentSpec:
    """The agent's spec with file, environment and per-run overrides applied."""
    spec = AGENTS[name]
    changes: dict[str, Any] = {}
    conf = file_overrides().get(name, {})
    if "model" in conf:
        changes["model"] = str(conf["model"])
    if "temperature" in conf:
        changes["temperature"] = _float(conf["temperature"], f"[agents.{name}]")
    env_key = name.upper()
    if os.environ.get("OHM_MODEL"):
        changes["model"] = os.environ["OHM_MODEL"]
    if os.environ.get(f"OHM_MODEL_{env_key}"):
        changes["model"] = os.environ[f"OHM_MODEL_{env_key}"]
    if os.environ.get(f"OHM_TEMPERATURE_{env_key}"):
        changes["temperature"] = _float(
            os.environ[f"OHM_TEMPERATURE_{env_key}"], f"OHM_TEMPERATURE_{env_key}"
        )
    for flag, env in (
        ("recover_text_tool_calls", "OHM_RECOVER_TEXT_CALLS"),
        ("require_tool_calls", "OHM_REQUIRE_TOOL_CALLS"),
    ):
        if flag in conf:
            changes[flag] = bool(conf[flag])
        listed = _agent_list(os.environ.get(env, ""))
        if listed is not None:
            changes[flag] = listed is ALL_AGENTS or name in listed
    if model_overrides and model_overrides.get(name):
        changes["model"] = model_overrides[name]
    if temperature_overrides and name in temperature_overrides:
        changes["temperature"] = _float(temperature_overrides[name], f"override for {name}")
    return replace(spec, **changes) if changes else spec
