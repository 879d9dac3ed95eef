"""Typed shapes of project artifacts and of the tool arguments that write them.

The structured artifacts (``bom``, ``wiring``) are validated here before they reach the
store, so that whatever a model writes is something the checks, the exports and the
dashboard can rely on. Validation errors go back to the model as a tool result.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

ArtifactType = Literal[
    "context", "mvp", "prd", "bom", "code", "wiring", "budget", "conversation_summary", "inspection"
]
ARTIFACT_TYPES: tuple[str, ...] = get_args(ArtifactType)
TEXT_TYPES: frozenset[str] = frozenset({"context", "mvp", "prd", "budget", "conversation_summary"})
STRUCTURED_TYPES: frozenset[str] = frozenset({"bom", "wiring"})

MergeStrategy = Literal["replace", "append", "merge"]

_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------- BOM


class BomComponent(_Model):
    name: str = Field(min_length=1, description="What the part is, e.g. 'ESP32 dev board'.")
    part_number: str = Field(
        min_length=1, description="Manufacturer part number (MPN), e.g. 'ESP32-WROOM-32E'."
    )
    manufacturer: str = Field(min_length=1, description="Who makes it, e.g. 'Espressif'.")
    quantity: int = Field(default=1, ge=1, le=10_000)
    voltage: str | float | None = Field(
        default=None, description="Supply or logic voltage, e.g. '3.3V' or '5V'."
    )
    current: str | float | None = Field(
        default=None, description="Typical / peak current draw, e.g. '80mA (240mA peak)'."
    )
    unit_cost: float | None = Field(default=None, ge=0, description="Price of one, in USD.")
    supplier: str | None = None
    link: str | None = None
    notes: str | None = None
    alternatives: list[str] = Field(default_factory=list)
    catalog_id: str | None = Field(
        default=None,
        description="Id of the part in Ohm's parts catalog (e.g. 'bme280'), when it has one.",
    )

    @field_validator("link")
    @classmethod
    def _link_is_http(cls, v: str | None) -> str | None:
        if v and not re.match(r"^https?://", v):
            raise ValueError("link must be an http(s) URL")
        return v or None


class PowerAnalysis(_Model):
    supply: str | None = Field(default=None, description="What powers the project.")
    supply_voltage: float | None = Field(default=None, gt=0, description="Volts.")
    supply_current_ma: float | None = Field(
        default=None, gt=0, description="What the supply can deliver, in mA."
    )
    typical_current_ma: float | None = Field(default=None, ge=0)
    peak_current_ma: float | None = Field(default=None, ge=0)
    notes: str | None = None


class Bom(_Model):
    project_name: str = Field(min_length=1)
    summary: str = ""
    components: list[BomComponent] = Field(min_length=1)
    total_cost: float | None = Field(default=None, ge=0)
    power_analysis: PowerAnalysis | None = None
    warnings: list[str] = Field(default_factory=list)
    assembly_notes: list[str] = Field(default_factory=list)

    @field_validator("power_analysis", mode="before")
    @classmethod
    def _power_text(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"notes": v}
        return v

    @model_validator(mode="after")
    def _total_from_lines(self) -> Bom:
        """The total is computed, not trusted: models add up prices badly."""
        costs = [c.unit_cost for c in self.components]
        if all(c is not None for c in costs):
            self.total_cost = round(
                sum((c.unit_cost or 0.0) * c.quantity for c in self.components), 2
            )
        return self


# ------------------------------------------------------------------------ wiring


class WiringComponent(_Model):
    id: str = Field(description="Short unique id used in connections, e.g. 'mcu' or 'r1'.")
    part: str = Field(min_length=1, description="Parts catalog id, e.g. 'esp32-devkit-v1'.")
    label: str | None = None
    props: dict[str, Any] = Field(
        default_factory=dict,
        description="Part properties, e.g. {'value': 220} for a resistor in ohms.",
    )

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(
                "component id must start with a letter and use letters, digits, '_' or '-'"
            )
        return v


class Connection(_Model):
    from_component: str
    from_pin: str = Field(min_length=1)
    to_component: str
    to_pin: str = Field(min_length=1)
    wire_color: str | None = None
    notes: str | None = None


class Wiring(_Model):
    components: list[WiringComponent] = Field(min_length=1)
    connections: list[Connection] = Field(default_factory=list)
    instructions: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @field_validator("instructions", mode="before")
    @classmethod
    def _instructions_text(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [line.strip() for line in v.splitlines() if line.strip()]
        return v

    @model_validator(mode="after")
    def _references_resolve(self) -> Wiring:
        ids = [c.id for c in self.components]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"component ids must be unique; repeated: {', '.join(dupes)}")
        known = set(ids)
        for n, conn in enumerate(self.connections):
            for end in (conn.from_component, conn.to_component):
                if end not in known:
                    raise ValueError(
                        f"connections[{n}] refers to component '{end}', which is not in "
                        f"components (known: {', '.join(sorted(known))})"
                    )
        return self


# -------------------------------------------------------------------------- code


class CodeFile(_Model):
    path: str
    language: str | None = None
    # Source text is kept exactly as written: indentation and final newlines matter.
    content: Annotated[str, StringConstraints(strip_whitespace=False)]

    @field_validator("path")
    @classmethod
    def _safe(cls, v: str) -> str:
        return normalize_code_path(v)


class CodeBundle(_Model):
    files: list[CodeFile] = Field(min_length=1)


LANGUAGE_BY_SUFFIX = {
    ".cpp": "cpp",
    ".cc": "cpp",
    ".c": "c",
    ".h": "cpp",
    ".hpp": "cpp",
    ".ino": "cpp",
    ".ini": "ini",
    ".py": "python",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".md": "markdown",
    ".txt": "text",
    ".csv": "csv",
}


def guess_language(path: str) -> str:
    return LANGUAGE_BY_SUFFIX.get(posixpath.splitext(path)[1].lower(), "text")


def normalize_code_path(path: str) -> str:
    """A relative POSIX path that cannot escape the project folder when exported."""
    p = path.strip().replace("\\", "/")
    if not p:
        raise ValueError("path must not be empty")
    if p.startswith("/") or re.match(r"^[A-Za-z]:", p):
        raise ValueError(f"path '{path}' must be relative, like 'src/main.cpp'")
    norm = posixpath.normpath(p)
    if norm == "." or norm.startswith("../") or norm == "..":
        raise ValueError(f"path '{path}' leaves the project folder")
    if any(part in ("", ".", "..") for part in norm.split("/")):
        raise ValueError(f"path '{path}' is not a plain relative path")
    if len(norm) > 200:
        raise ValueError("path is longer than 200 characters")
    return norm


# ------------------------------------------------------------------ validation


class ArtifactContentError(ValueError):
    """Content that does not fit the artifact's schema; the message is for the model."""


def _format_validation(err: ValidationError, what: str) -> str:
    lines = [f"{what} is not valid ({err.error_count()} problem(s)):"]
    for e in err.errors()[:12]:
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        lines.append(f"- {loc}: {e['msg']}")
    return "\n".join(lines)


def _as_obj(content: str | dict[str, Any] | list[Any], what: str) -> Any:
    if isinstance(content, (dict, list)):
        return content
    text = content.strip()
    if text.startswith("```"):
        text = re.sub(r"^```[a-zA-Z]*\n?|\n?```$", "", text).strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArtifactContentError(
            f"{what} content must be a JSON object matching the {what} schema; "
            f"could not parse it as JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def parse_bom(content: str | dict[str, Any]) -> Bom:
    try:
        return Bom.model_validate(_as_obj(content, "bom"))
    except ValidationError as err:
        raise ArtifactContentError(_format_validation(err, "bom")) from None


def parse_wiring(content: str | dict[str, Any]) -> Wiring:
    try:
        return Wiring.model_validate(_as_obj(content, "wiring"))
    except ValidationError as err:
        raise ArtifactContentError(_format_validation(err, "wiring")) from None


def parse_code_bundle(content: str | dict[str, Any] | list[Any]) -> CodeBundle:
    obj = _as_obj(content, "code")
    if isinstance(obj, list):
        obj = {"files": obj}
    try:
        return CodeBundle.model_validate(obj)
    except ValidationError as err:
        raise ArtifactContentError(_format_validation(err, "code bundle")) from None


def dump_structured(model: BaseModel) -> str:
    """Canonical JSON text for storage: stable key order, no nulls lost."""
    return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False)
