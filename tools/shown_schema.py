"""The tool schemas a model is shown: the same fields, in as few tokens as they fit.

Pydantic's JSON Schema is written for validators, not for prompts: every optional field is
an ``anyOf`` with ``null`` and a ``"default": null``, every nested model repeats
``"additionalProperties": false`` and a title, and fields Ohm fills in itself are listed
like any other. A model reads all of it as prompt tokens, on every step of a turn; on a
small local model that is most of the request. :func:`compact_schema` keeps what tells
the model what to send (types, required fields, enums, bounds, descriptions, meaningful
defaults) and drops the rest; validation still runs on the full argument model, so nothing
the schema no longer says is accepted that was refused before.

Fields whose description starts with :data:`FILLED_BY_OHM` are left out of the shown
schema: Ohm writes them, so the model has no reason to spend tokens on them.
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.tools.base import ArgsSchema
from langchain_core.utils.function_calling import convert_to_openai_tool

FILLED_BY_OHM = "Filled in by Ohm"

# Pydantic writes these for constraints it cannot express on a union member.
_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}
_EMPTY_DEFAULTS: tuple[Any, ...] = (None, "", [], {})
# Keywords whose value is data, not a schema: kept exactly as they are.
_VALUES = frozenset({"default", "enum", "const", "examples", "required"})


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with references inlined and everything a model does not need removed."""
    defs = {**schema.get("$defs", {}), **schema.get("definitions", {})}
    return _compact(schema, defs, depth=0)


def _compact(node: Any, defs: dict[str, Any], depth: int) -> Any:
    if isinstance(node, list):
        return [_compact(x, defs, depth) for x in node]
    if not isinstance(node, dict):
        return node
    if depth > 20:  # a recursive model; deeper levels add nothing a model can use
        return {}
    node = _without_null_member(node)
    if "$ref" in node:
        target = defs.get(str(node["$ref"]).rsplit("/", 1)[-1], {})
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _compact(merged, defs, depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$defs", "definitions", "title"):
            continue
        if key == "additionalProperties" and value is False:
            continue
        if key == "default" and any(value == e and type(value) is type(e) for e in _EMPTY_DEFAULTS):
            continue
        if key in _BOUNDS:
            out.setdefault(_BOUNDS[key], value)
            continue
        if key in _VALUES:
            out[key] = value
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: _compact(prop, defs, depth + 1)
                for name, prop in value.items()
                if not _filled_by_ohm(prop)
            }
            continue
        out[key] = _compact(value, defs, depth + 1)
    if "required" in out and isinstance(out.get("properties"), dict):
        out["required"] = [r for r in out["required"] if r in out["properties"]]
        if not out["required"]:
            del out["required"]
    return out


def _without_null_member(node: dict[str, Any]) -> dict[str, Any]:
    """An optional field (``anyOf: [X, null]``) as X: leaving it out already means none."""
    members = node.get("anyOf")
    if not isinstance(members, list):
        return node
    kept = [m for m in members if not (isinstance(m, dict) and m.get("type") == "null")]
    if len(kept) == len(members) or not kept:
        return node
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    if len(kept) > 1:
        if all(isinstance(m, dict) and set(m) == {"type"} for m in kept):
            return {**rest, "type": [m["type"] for m in kept]}
        return {**rest, "anyOf": kept}
    member = kept[0] if isinstance(kept[0], dict) else {}
    return {**member, **rest}


def _filled_by_ohm(prop: Any) -> bool:
    return isinstance(prop, dict) and str(prop.get("description", "")).startswith(FILLED_BY_OHM)


class ShownSchemaTool(StructuredTool):
    """A structured tool that shows the model a compacted schema of its arguments.

    ``args_schema`` (with any injected arguments) is what the tool validates and runs
    with; ``shown`` is the JSON Schema the model receives; ``accepted`` names every
    argument the tool takes, the ones left out of ``shown`` included."""

    shown: dict[str, Any]
    accepted: tuple[str, ...] = ()

    @property
    def tool_call_schema(self) -> ArgsSchema:
        return self.shown


def accepted_arguments(tool: Any) -> frozenset[str]:
    """Argument names ``tool`` takes beyond those its shown schema lists (may be empty)."""
    return frozenset(getattr(tool, "accepted", ()) or ())


def compacted(tool: BaseTool) -> BaseTool:
    """``tool`` with the compacted schema shown to the model; the same tool otherwise."""
    if isinstance(tool, ShownSchemaTool) or not isinstance(tool, StructuredTool):
        return tool
    full = convert_to_openai_tool(tool)["function"].get("parameters") or {}
    return ShownSchemaTool(
        name=tool.name,
        description=" ".join(tool.description.split()),  # a docstring's indentation
        args_schema=tool.args_schema,
        func=tool.func,
        coroutine=tool.coroutine,
        response_format=tool.response_format,
        return_direct=tool.return_direct,
        handle_tool_error=tool.handle_tool_error,
        handle_validation_error=tool.handle_validation_error,
        shown=compact_schema(full),
        accepted=tuple(full.get("properties") or ()),
    )
