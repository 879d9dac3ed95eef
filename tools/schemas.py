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
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from .coerce import COUNT, DOLLARS, MILLIAMPS, VOLTS, json_text, lines_of, number_in

ArtifactType = Literal[
    "context", "mvp", "prd", "bom", "code", "wiring", "budget", "conversation_summary", "inspection"
]
ARTIFACT_TYPES: tuple[str, ...] = get_args(ArtifactType)
TEXT_TYPES: frozenset[str] = frozenset({"context", "mvp", "prd", "conversation_summary"})
"""Markdown documents. The ``budget`` is JSON (tools/budget.py), shown as Markdown."""
STRUCTURED_TYPES: frozenset[str] = frozenset({"bom", "wiring"})

MergeStrategy = Literal["replace", "append", "merge"]

_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

# Numbers as models write them ("5 V", "0.5 A", "$4.50") read in the field's unit.
Volts = Annotated[float, BeforeValidator(number_in(VOLTS))]
Milliamps = Annotated[float, BeforeValidator(number_in(MILLIAMPS))]
Dollars = Annotated[float, BeforeValidator(number_in(DOLLARS))]
Count = Annotated[int, BeforeValidator(number_in(COUNT))]
TextList = Annotated[list[str], BeforeValidator(lines_of)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------- BOM


class BomComponent(_Model):
    name: str = Field(min_length=1, description="What the part is, e.g. 'ESP32 dev board'.")
    part_number: str = Field(
        min_length=1, description="Manufacturer part number (MPN), e.g. 'ESP32-WROOM-32E'."
    )
    manufacturer: str = Field(min_length=1, description="Who makes it, e.g. 'Espressif'.")
    quantity: Count = Field(default=1, ge=1, le=10_000, description="How many to buy.")
    voltage: str | float | None = Field(
        default=None, description="Supply or logic voltage, e.g. '3.3V' or '5V'."
    )
    current: str | float | None = Field(
        default=None, description="Typical / peak current draw, e.g. '80mA (240mA peak)'."
    )
    unit_cost: Dollars | None = Field(
        default=None, ge=0, description="Price of one, in US dollars (a number, e.g. 4.5)."
    )
    supplier: str | None = Field(default=None, description="Where to buy it, e.g. 'DigiKey'.")
    link: str | None = Field(default=None, description="http(s) URL of the product page.")
    notes: str | None = None
    alternatives: TextList = Field(
        default_factory=list, description="Part numbers that can replace this one."
    )
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
    supply_voltage: Volts | None = Field(
        default=None, gt=0, description="Supply voltage in volts (a number, e.g. 5)."
    )
    supply_current_ma: Milliamps | None = Field(
        default=None, gt=0, description="What the supply can deliver, in mA (e.g. 2000)."
    )
    typical_current_ma: Milliamps | None = Field(
        default=None, ge=0, description="Typical draw of the whole project, in mA."
    )
    peak_current_ma: Milliamps | None = Field(
        default=None, ge=0, description="Peak draw of the whole project, in mA."
    )
    notes: str | None = None


class Bom(_Model):
    project_name: str = Field(min_length=1)
    summary: str = Field(default="", description="One or two sentences on the design.")
    components: Annotated[list[BomComponent], BeforeValidator(json_text)] = Field(
        min_length=1, description="Every part to buy, one entry per distinct part."
    )
    total_cost: float | None = Field(
        default=None, ge=0, description="US dollars; computed by Ohm from the lines."
    )
    power_analysis: Annotated[PowerAnalysis | None, BeforeValidator(json_text)] = None
    warnings: TextList = Field(
        default_factory=list, description="What the maker must know before buying."
    )
    assembly_notes: TextList = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _object_as_text(cls, v: Any) -> Any:
        return json_text(v)

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
    part: str = Field(
        min_length=1,
        description=(
            "Parts catalog id, e.g. 'esp32-devkit-v1'; for a part the catalog does not have, "
            "its own part number (Ohm then reports it as unknown)."
        ),
    )
    label: str | None = Field(default=None, description="Name shown to the maker.")
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
    from_component: str = Field(description="Id of a component in `components`.")
    from_pin: str = Field(
        min_length=1, description="Pin name as printed on the board, e.g. 'GPIO5' or 'GND'."
    )
    to_component: str = Field(description="Id of a component in `components`.")
    to_pin: str = Field(min_length=1, description="Pin name at the other end, e.g. 'VCC'.")
    wire_color: str | None = Field(
        default=None, description="red for supply, black for ground, other colours for signals."
    )
    notes: str | None = None


class Wiring(_Model):
    components: Annotated[list[WiringComponent], BeforeValidator(json_text)] = Field(
        min_length=1, description="Every part on the breadboard, each with a unique id."
    )
    connections: Annotated[list[Connection], BeforeValidator(json_text)] = Field(
        default_factory=list, description="One entry per wire, between two component pins."
    )
    instructions: list[str] = Field(
        default_factory=list, description="Steps in the order to do them, power off first."
    )
    warnings: TextList = Field(
        default_factory=list, description="Anything that can damage a part or the maker."
    )

    @model_validator(mode="before")
    @classmethod
    def _object_as_text(cls, v: Any) -> Any:
        return json_text(v)

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
    if _CONTROL_RE.search(path):
        raise ValueError(
            f"path {path!r} contains a control character (such as NUL or a line break); "
            "use a plain file name like 'src/main.cpp'"
        )
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
