"""The schemas a model is shown are compact and say the same as the argument models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field

from nodes.agents import AGENTS
from tools.artifacts import build_tools
from tools.shown_schema import FILLED_BY_OHM, ShownSchemaTool, compact_schema, compacted
from tools.typed_writes import TYPED_WRITES, WriteBomArgs


class Inner(BaseModel):
    label: str | None = Field(default=None, description="Shown to the maker.")
    count: int = Field(default=1, ge=1, description="How many.")


class Outer(BaseModel):
    name: str = Field(description="Required.")
    owner: str | None = Field(default=None, description=f"{FILLED_BY_OHM} from the project.")
    inner: Inner | None = None
    items: list[Inner] = Field(default_factory=list)
    either: int | str | None = None
    mode: str = Field(default="replace", description="How to save.")


def test_optional_fields_refs_and_empty_defaults_are_compacted() -> None:
    shown = compact_schema(Outer.model_json_schema())
    text = json.dumps(shown)
    assert "$ref" not in text and "$defs" not in text and '"null"' not in text
    assert "title" not in text
    props = shown["properties"]
    assert shown["required"] == ["name"]
    # Nested models are inlined once where they are used, with their own descriptions.
    assert props["inner"]["properties"]["label"] == {
        "type": "string",
        "description": "Shown to the maker.",
    }
    assert props["items"]["items"]["properties"]["count"]["minimum"] == 1
    assert props["either"] == {"type": ["integer", "string"]}
    # Meaningful defaults stay, empty ones go.
    assert props["mode"]["default"] == "replace"
    assert props["inner"]["properties"]["count"]["default"] == 1
    assert "default" not in props["items"] and "default" not in props["inner"]


def test_fields_ohm_fills_in_are_not_shown_and_not_required() -> None:
    shown = compact_schema(Outer.model_json_schema())
    assert "owner" not in shown["properties"]
    schema = Outer.model_json_schema()
    schema["required"] = ["name", "owner"]
    assert compact_schema(schema)["required"] == ["name"]


def test_values_are_kept_exactly_even_when_they_look_like_schema_words() -> None:
    schema = {
        "type": "object",
        "properties": {"title": {"type": "string", "default": "", "enum": ["title", ""]}},
        "default": {"title": {"anyOf": [1]}},
    }
    shown = compact_schema(schema)
    assert "title" in shown["properties"]  # a field called title is a field
    assert shown["properties"]["title"]["enum"] == ["title", ""]
    assert shown["default"] == {"title": {"anyOf": [1]}}


def test_a_recursive_model_ends() -> None:
    class Node(BaseModel):
        child: Node | None = None

    shown = compact_schema(Node.model_json_schema())
    assert shown["properties"]["child"]["type"] == "object"


def _shown(agent: str) -> dict[str, dict[str, Any]]:
    tools = build_tools(agent, AGENTS[agent].tools, lambda: None)  # type: ignore[arg-type,return-value]
    return {t.name: convert_to_openai_tool(t)["function"] for t in tools}


@pytest.mark.parametrize(
    ("agent", "write"), [("bom_generator", "write_bom"), ("wiring_diagram", "write_wiring")]
)
def test_design_agents_are_shown_only_the_tools_they_use(agent: str, write: str) -> None:
    shown = _shown(agent)
    assert set(shown) == {"read", "list_artifacts", "parts_catalog", write}
    assert "delete" in _shown("code_generator")


def test_the_bom_tool_is_shown_compactly() -> None:
    bom = _shown("bom_generator")["write_bom"]["parameters"]
    text = json.dumps(bom)
    full = json.dumps(WriteBomArgs.model_json_schema())
    assert len(text) < 0.7 * len(full)
    component = bom["properties"]["bom"]["properties"]["components"]["items"]
    assert {"name", "part_number", "manufacturer"} <= set(component["required"])
    assert component["properties"]["unit_cost"] == {
        "minimum": 0,
        "type": "number",
        "description": "Price of one, in US dollars (a number, e.g. 4.5).",
    }
    assert "project_name" not in text and "total_cost" not in text


def test_every_typed_write_shows_a_schema_without_refs_or_nulls() -> None:
    for name, spec in TYPED_WRITES.items():
        text = json.dumps(compact_schema(spec.args.model_json_schema()))
        assert "$ref" not in text and '"null"' not in text, name


def test_a_compacted_tool_runs_like_the_original() -> None:
    from langchain_core.tools import tool

    @tool
    def lookup(query: str, limit: int | None = None) -> str:
        """Find things
        by name."""
        return f"{query}:{limit}"

    shown = compacted(lookup)
    assert isinstance(shown, ShownSchemaTool)
    assert shown.invoke({"query": "bme280", "limit": 2}) == "bme280:2"
    params = convert_to_openai_tool(shown)["function"]["parameters"]
    assert params["properties"]["limit"] == {"type": "integer"}
    assert shown.description == "Find things by name."
    assert compacted(shown) is shown
