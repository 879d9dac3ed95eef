"""Project parts: a project's own additions to the parts catalog, made from datasheets.

The datasheet analyst extracts a :class:`ProjectPart` (every fact with the datasheet page
it came from) and saves it with the typed ``save_project_part`` tool; ``ohm parts add``
takes the same schema from a JSON file. :func:`project_catalog` is the bundled catalog
plus the project's parts, and the wiring, BOM and firmware checks use it exactly as they
use the bundled catalog. The bundled ``catalog.json`` is never changed, and a project
part may not reuse a bundled part's id.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Annotated, Any, Literal

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from persistence.store import ArtifactStore

from .artifacts import Runtime, run_scope
from .checks.catalog import Catalog, Category, Part, PinDir, load_catalog, parse_i2c_address

log = logging.getLogger(__name__)

Page = Annotated[int | None, Field(default=None, ge=1, description="Datasheet page, from 1.")]
PART_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SupplyRange(_Schema):
    min_v: float = Field(description="Lowest supply voltage of the operating range.")
    max_v: float = Field(description="Highest supply voltage of the operating range.")
    nominal_v: float | None = Field(default=None, description="Typical supply, e.g. 3.3.")
    page: Page = None


class PartPin(_Schema):
    name: str = Field(description="The pin's label as printed, e.g. VCC, SDA, ADDR.")
    dir: PinDir = Field(
        description="in, out, io, od (open drain), power-in, power-out, ground, passive, nc."
    )
    roles: list[str] = Field(
        description="Catalog roles, e.g. power-in, ground, i2c-sda, i2c-scl, i2c-address, "
        "digital-in, digital-out, analog-in, spi-sck, uart-tx (the parts_catalog tool lists "
        "them)."
    )
    vmax: float | None = Field(default=None, description="Highest voltage the pin tolerates.")
    vih: float | None = Field(default=None, description="Lowest voltage read as logic high.")
    vout: float | None = Field(default=None, description="Voltage the pin drives high.")
    five_v_tolerant: bool | None = Field(
        default=None, description="Whether the pin takes 5 V; must agree with vmax."
    )
    page: Page = None


class I2CFacts(_Schema):
    default: str = Field(description="Default 7-bit address, e.g. '0x40'.")
    selectable: list[str] = Field(default_factory=list, description="Other addresses.")
    select_pins: list[str] = Field(
        default_factory=list, description="Pins that pick the address, e.g. ['ADDR']."
    )
    table: dict[str, str] = Field(
        default_factory=dict,
        description="Pin levels -> address, e.g. {'GND': '0x40', 'VCC': '0x41'}; with two "
        "select pins keys are 'GND,VCC' etc.",
    )
    floating: Literal["GND", "VCC"] = Field(
        default="GND", description="What an unconnected select pin reads."
    )
    page: Page = None

    @field_validator("default")
    @classmethod
    def _address(cls, v: str) -> str:
        if parse_i2c_address(v) is None:
            raise ValueError(f"not an I2C address: {v!r}")
        return v


class CurrentDraw(_Schema):
    typical_ma: float = Field(description="Typical supply current in mA.")
    peak_ma: float = Field(description="Peak supply current in mA.")
    page: Page = None


class AbsoluteMax(_Schema):
    parameter: str = Field(description="What is limited, e.g. 'supply voltage', 'pin voltage'.")
    value: float
    unit: str = Field(description="V, mA, °C ...")
    page: Page = None


class ProjectPart(_Schema):
    """A part extracted from a datasheet, every fact with the page it came from."""

    id: str = Field(description="Lowercase id for wiring components, e.g. 'ina219-module'.")
    name: str
    manufacturer: str
    part_number: str
    category: Category = Field(description="sensor, display, driver, comms, power, mcu ...")
    description: str = Field(default="", description="One or two sentences, gotchas first.")
    supply: SupplyRange
    logic_v: float | None = Field(default=None, description="The part's I/O logic level in V.")
    five_v_tolerant: bool | None = Field(
        default=None, description="Whether its signal pins take 5 V."
    )
    interfaces: list[str] = Field(default_factory=list, description="i2c, spi, uart, gpio ...")
    pins: list[PartPin] = Field(min_length=1)
    i2c: I2CFacts | None = None
    current: CurrentDraw
    absolute_max: list[AbsoluteMax] = Field(default_factory=list)
    datasheet: str | None = Field(default=None, description="File name or URL of the datasheet.")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        v = v.strip().lower().replace("_", "-").replace(" ", "-")
        if not PART_ID.match(v):
            raise ValueError("id must be 2-63 lowercase letters, digits or dashes")
        return v


class ProjectPartError(ValueError):
    """A project part that cannot be used; the message says what to change."""


def to_catalog_part(pp: ProjectPart, project: str) -> Part:
    """The catalog ``Part`` the checks use for a project part."""
    base = load_catalog()
    known_roles = set(base.roles)
    pins: list[dict[str, Any]] = []
    for p in pp.pins:
        unknown = [r for r in p.roles if r not in known_roles]
        if unknown:
            raise ProjectPartError(f"pin {p.name}: unknown role(s) {', '.join(unknown)}")
        pin: dict[str, Any] = {"name": p.name, "dir": p.dir, "roles": list(p.roles)}
        for k in ("vmax", "vih", "vout"):
            if getattr(p, k) is not None:
                pin[k] = getattr(p, k)
        if p.five_v_tolerant is not None and p.vmax is not None:
            pin["five_v_tolerant"] = p.five_v_tolerant
        if p.dir in ("power-in", "power-io"):
            pin["supply"] = {"min": pp.supply.min_v, "max": pp.supply.max_v}
        pins.append(pin)
    data: dict[str, Any] = {
        "id": pp.id,
        "name": pp.name,
        "category": pp.category,
        "manufacturer": pp.manufacturer,
        "mpn": pp.part_number,
        "description": pp.description or pp.name,
        "source": f"project:{project}/{pp.datasheet or pp.id}",
        "supply": {
            "min": pp.supply.min_v,
            "max": pp.supply.max_v,
            **({"nominal": pp.supply.nominal_v} if pp.supply.nominal_v else {}),
        },
        "interfaces": list(pp.interfaces),
        "current_ma": {"typical": pp.current.typical_ma, "peak": pp.current.peak_ma},
        "pins": pins,
    }
    if pp.logic_v is not None:
        data["logic_v"] = pp.logic_v
    if pp.i2c is not None:
        i2c: dict[str, Any] = {"default": pp.i2c.default, "selectable": list(pp.i2c.selectable)}
        if pp.i2c.select_pins and pp.i2c.table:
            i2c["strap"] = {
                "pins": list(pp.i2c.select_pins),
                "floating": pp.i2c.floating,
                "table": dict(pp.i2c.table),
            }
        data["i2c"] = i2c
    try:
        return Part.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise ProjectPartError(f"{where or 'part'}: {first.get('msg')}") from None


def check_new_part(pp: ProjectPart, project: str) -> Part:
    """Validate a part before it is saved: its facts fit the catalog and its id is free."""
    if load_catalog().get(pp.id) is not None:
        raise ProjectPartError(
            f"{pp.id!r} is a bundled catalog part; give the project part its own id"
        )
    return to_catalog_part(pp, project)


def project_catalog(store: ArtifactStore, project: str) -> Catalog:
    """The bundled catalog plus this project's parts (the bundled one when it has none).

    A stored part that no longer validates is left out with a warning in the log, so one
    bad row never stops every check."""
    from persistence.attachments import list_project_parts

    base = load_catalog()
    extra: list[Part] = []
    for rec in list_project_parts(store, project):
        try:
            part = to_catalog_part(ProjectPart.model_validate(rec.data), project)
        except (ValidationError, ProjectPartError) as exc:
            log.warning("project part %s of %s is unusable: %s", rec.part_id, project, exc)
            continue
        if base.get(part.id) is None:
            extra.append(part)
    if not extra:
        return base
    return Catalog(
        version=f"{base.version}+{project}",
        description=base.description,
        roles=base.roles,
        directions=base.directions,
        parts=(*base.parts, *extra),
    )


def save_part(
    store: ArtifactStore, project: str, pp: ProjectPart, *, agent: str | None = None
) -> bool:
    """Check and keep a project part; returns True when it is new."""
    from persistence.attachments import put_project_part

    check_new_part(pp, project)
    _, created = put_project_part(
        store, project, pp.id, pp.model_dump(mode="json"), source=pp.datasheet, agent=agent
    )
    return created


def build_project_part_tool(agent: str, store: Any) -> BaseTool:
    """``save_project_part(part: ProjectPart)``: the model sees the part's JSON Schema."""

    @tool("save_project_part")
    def save_project_part(part: ProjectPart, runtime: Runtime) -> str:
        """Save a part extracted from a datasheet to this project's own catalog. Ohm's
        wiring, parts-list and firmware checks then treat it like a bundled part. Give
        every fact the datasheet page it came from."""
        project, _ = run_scope(runtime, agent)
        try:
            created = save_part(store(), project, part, agent=agent)
        except ProjectPartError as exc:
            return json.dumps(
                {"ok": False, "error": str(exc), "hint": "Fix the part and call again."}
            )
        return json.dumps(
            {
                "ok": True,
                "saved": {"part_id": part.id, "created": created},
                "next": "The checks now know this part: wiring components may use "
                f"part '{part.id}'.",
            }
        )

    return save_project_part
