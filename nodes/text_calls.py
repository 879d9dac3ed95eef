"""Reading decisions and tool calls that a model wrote as text instead of sending natively.

Providers that are not OpenAI often ignore a forced tool choice (llama.cpp's server reads
the object form as ``auto``) and small models print their tool call as a JSON object in
the reply, bare or in a fenced block. This module finds such objects; what is done with
them (a routing decision, a recovered call, a note asking for a native call) is decided
by the classifier and the specialist loop.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.utils.function_calling import convert_to_openai_tool

from tools.shown_schema import accepted_arguments

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\n(.*?)```", re.DOTALL)
_MAX_OBJECTS = 8
_NAME_KEYS = ("name", "tool", "tool_name", "function", "function_name")
_ARG_KEYS = ("arguments", "args", "parameters", "input", "tool_input")
_ids = itertools.count(1)


def json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects in ``text``: fenced blocks first, else objects in the bare text."""
    found: list[dict[str, Any]] = []
    for match in _FENCE.finditer(text):
        found.extend(_objects_in(match.group(2)))
    if found:
        return found[:_MAX_OBJECTS]
    return list(_objects_in(text))[:_MAX_OBJECTS]


def _objects_in(text: str) -> Iterator[dict[str, Any]]:
    decoder = json.JSONDecoder()
    pos = 0
    count = 0
    while count < _MAX_OBJECTS:
        start = text.find("{", pos)
        if start < 0:
            return
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            pos = start + 1
            continue
        if isinstance(value, dict):
            count += 1
            yield value
        pos = end


# ---------------------------------------------------------------- routing decisions

_WORD = re.compile(
    r"^[\s\"'`*_#>.:-]*(?:intent\s*[:=]\s*)?[\"'`*_]*([A-Za-z]+)[\s\"'`*_.!]*$", re.IGNORECASE
)


def text_intent(text: str, intents: Sequence[str]) -> tuple[str, str] | None:
    """(intent, reason) read from a reply's text: a JSON object with an ``intent`` field
    (bare or fenced), or a reply that is nothing but one intent word (``WIRING``,
    ``Intent: wiring``). None when the text decides nothing."""
    allowed = {i.upper(): i for i in intents}
    for obj in json_objects(text):
        args = obj
        for key in _ARG_KEYS:  # {"name": "IntentDecision", "arguments": {...}}
            if isinstance(obj.get(key), dict):
                args = obj[key]
        value = args.get("intent")
        if isinstance(value, str) and value.strip().upper() in allowed:
            reason = args.get("reason")
            return allowed[value.strip().upper()], str(reason)[:300] if reason else ""
    match = _WORD.match(text.strip()) if len(text) <= 80 else None
    if match and match.group(1).upper() in allowed:
        return allowed[match.group(1).upper()], ""
    return None


# ---------------------------------------------------------------- tool calls


@dataclass(frozen=True)
class ToolShape:
    name: str
    properties: frozenset[str]
    required: frozenset[str]
    wrapper: str | None = None
    """The one required parameter of a tool that takes a single object (``bom`` of
    ``write_bom``), whose fields are ``inner``: an object printed with exactly those
    fields is that parameter's value."""
    inner: frozenset[str] = frozenset()
    inner_required: frozenset[str] = frozenset()


def _wrapped(params: dict[str, Any]) -> tuple[str, frozenset[str], frozenset[str]] | None:
    required = params.get("required") or []
    if len(required) != 1:
        return None
    prop = (params.get("properties") or {}).get(required[0]) or {}
    inner = prop.get("properties")
    if prop.get("type") != "object" or not isinstance(inner, dict) or len(inner) < 2:
        return None
    return str(required[0]), frozenset(inner), frozenset(prop.get("required") or [])


def tool_shapes(tools: Sequence[Any]) -> list[ToolShape]:
    """Name and parameter names of each tool, from the same schema the model is sent,
    plus the arguments a tool takes without showing them (fields Ohm fills in)."""
    shapes: list[ToolShape] = []
    for t in tools:
        fn = convert_to_openai_tool(t)["function"]
        params = fn.get("parameters") or {}
        wrapped = _wrapped(params)
        wrapper, inner, inner_required = wrapped or (None, frozenset(), frozenset())
        shapes.append(
            ToolShape(
                fn["name"],
                frozenset((params.get("properties") or {}).keys()) | accepted_arguments(t),
                frozenset(params.get("required") or []),
                wrapper,
                inner,
                inner_required,
            )
        )
    return shapes


@dataclass(frozen=True)
class TextCall:
    """A tool call found in a reply's text."""

    name: str
    args: dict[str, Any]

    def as_tool_call(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "args": self.args,
            "id": f"call_text_{next(_ids)}",
            "type": "tool_call",
        }


def _named(obj: dict[str, Any], names: set[str]) -> TextCall | None:
    fn = obj.get("function")
    if isinstance(fn, dict):  # {"type": "function", "function": {"name": ..., "arguments": ...}}
        obj = fn
    name = next((obj[k] for k in _NAME_KEYS if isinstance(obj.get(k), str)), None)
    if name not in names:
        return None
    args: Any = next((obj[k] for k in _ARG_KEYS if k in obj), {})
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return None
    return TextCall(str(name), args) if isinstance(args, dict) else None


def _by_keys(obj: dict[str, Any], shapes: Sequence[ToolShape]) -> TextCall | None:
    keys = set(obj)
    if not keys:
        return None
    fits = [s for s in shapes if keys <= s.properties and s.required <= keys]
    if fits:
        return TextCall(fits[0].name, obj) if len(fits) == 1 else None
    # The value of a tool's one object parameter, printed without the parameter's name:
    # a parts list's own fields for `write_bom(bom=...)`. At least two of its fields, so
    # that a lone common key (`warnings`) is not read as a whole artifact.
    inside = [
        s
        for s in shapes
        if s.wrapper and len(keys) >= 2 and keys <= s.inner and s.inner_required <= keys
    ]
    if len(inside) == 1 and inside[0].wrapper:
        return TextCall(inside[0].name, {inside[0].wrapper: obj})
    return None


def text_tool_calls(text: str, tools: Sequence[Any]) -> list[TextCall]:
    """The tool calls printed in ``text``: objects that name an offered tool, or whose
    keys fit exactly one offered tool's parameters (all of its required ones, none it
    lacks). Empty when any object found fits no tool or several: then nothing is guessed."""
    objects = json_objects(text)
    if not objects:
        return []
    shapes = tool_shapes(tools)
    names = {s.name for s in shapes}
    calls: list[TextCall] = []
    for obj in objects:
        call = _named(obj, names) or _by_keys(obj, shapes)
        if call is None:
            return []
        calls.append(call)
    return calls


def looks_like_text_call(text: str, tools: Sequence[Any]) -> bool:
    """True when the reply holds a JSON object that names an offered tool or fits one."""
    objects = json_objects(text)
    if not objects:
        return False
    shapes = tool_shapes(tools)
    names = {s.name for s in shapes}
    return any(_named(o, names) or _by_keys(o, shapes) for o in objects)


def without_calls(text: str) -> str:
    """The reply's text with fenced JSON blocks and a bare leading object removed."""
    stripped = _FENCE.sub("", text).strip()
    if stripped.startswith("{"):
        try:
            _, end = json.JSONDecoder().raw_decode(stripped)
        except ValueError:
            return stripped
        stripped = stripped[end:].strip()
    return stripped
