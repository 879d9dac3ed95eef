"""The budget optimizer's artifact and tools: cheaper parts, each checked before it is offered.

``write_budget(budget)`` takes the model's candidate substitutions for lines of the current
parts list and the lines it says must not be cheapened. Ohm fills in what it knows itself:
each line's current part, quantity and unit price (from the BOM), the substitute's name,
part number and maker (from the parts catalog), the totals and the savings. Every
candidate is run through Ohm's checks with the substitute swapped into the parts list (and
into the wiring, where the replaced part is wired) *before* it is offered. A candidate that
adds a check error or warning the project did not have is saved as ``rejected`` with the
rules it breaks, and never counted as a saving; so is one Ohm cannot check (a catalog part
replaced by a part the catalog lacks) and one that is not cheaper.

Prices: Ohm's parts catalog holds datasheet facts, not prices. The current price is the BOM
line's ``unit_cost``; the substitute's is the one the model gives, with where it comes from
(``price_source``; "the model's estimate" when it names none), or one this parts list
already has for the same part. Otherwise the price is unknown, shown as such, and no saving
is claimed for that line.

``apply_budget(lines)``, once the maker accepts, writes a new parts list version (and a new
wiring version when a replaced part is wired) with the accepted offered substitutions,
through the same write path as ``write_bom``; the combination is checked again first.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from persistence.store import ArtifactStore, VersionView, WriteMeta

from .checks.bom import match_line
from .checks.catalog import Catalog, Part
from .checks.findings import Finding
from .checks.integration import current_artifacts, project_catalog
from .checks.project import check_project
from .coerce import json_text
from .schemas import ArtifactContentError, Bom, CodeFile, Dollars, TextList, Wiring
from .typed_writes import (
    BomDraft,
    TypedWrite,
    WiringDraft,
    WriteBomArgs,
    WriteWiringArgs,
    Written,
    _run_bom,
    _run_wiring,
    _wrap_flat,
    register,
)

#: Findings of these severities block a substitution when it adds them.
BLOCKING = ("error", "warning")
#: What the model may send but Ohm computes; dropped rather than refused.
OHM_FIELDS = ("original_cost", "optimized_cost", "savings", "currency", "bom_version")
MODEL_ESTIMATE = "the model's estimate"

Status = Literal["offered", "rejected", "skipped"]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------- what the model writes


class SubstituteDraft(_Schema):
    catalog_id: str | None = Field(
        default=None,
        description="Ohm parts-catalog id of the substitute (find it with parts_catalog). "
        "Ohm can only check a substitute it knows.",
    )
    part_number: str | None = Field(
        default=None, description="Manufacturer part number; from the catalog when left out."
    )
    name: str | None = Field(
        default=None, description="What it is; from the catalog when left out."
    )
    manufacturer: str | None = Field(
        default=None, description="Who makes it; from the catalog when left out."
    )
    unit_cost: Dollars | None = Field(
        default=None,
        ge=0,
        description="Price of one in US dollars, only when you know it; name where it comes "
        "from in price_source. Leave it out otherwise: Ohm records the price as unknown.",
    )
    price_source: str | None = Field(
        default=None, description="Where unit_cost comes from, e.g. 'the maker's quote'."
    )
    supplier: str | None = Field(default=None, description="Where to buy it.")
    link: str | None = Field(default=None, description="http(s) URL of the product page.")


def _substitute(value: Any) -> Any:
    """A substitute sent as a bare catalog id ("ssd1306-128x32-i2c") names that part."""
    value = json_text(value)
    if isinstance(value, str) and value.strip() and not value.lstrip().startswith(("{", "[")):
        return {"catalog_id": value.strip()}
    return value


def _line_ref(value: Any) -> Any:
    """A line given by its position (2) is the line ``#2``."""
    return f"#{value}" if isinstance(value, int) and not isinstance(value, bool) else value


LineRef = Annotated[str, BeforeValidator(_line_ref)]


class RecommendationDraft(_Schema):
    line: LineRef = Field(
        min_length=1,
        description="The parts-list line to replace: its part_number (or name) exactly as in "
        "the bom.",
    )
    substitute: Annotated[SubstituteDraft, BeforeValidator(_substitute)] = Field(
        description="The cheaper part."
    )
    reason: str = Field(min_length=1, description="Why it does the same job for less.")
    tradeoff: str = Field(default="", description="What the maker gives up, if anything.")


class KeepDraft(_Schema):
    line: LineRef = Field(min_length=1, description="part_number (or name) of a bom line.")
    why: str = Field(min_length=1, description="Why a cheaper part would cost more than it saves.")


class BudgetDraft(_Schema):
    """Cost savings as the model proposes them; Ohm adds prices, checks and totals."""

    summary: str = Field(default="", description="One or two sentences on where the money goes.")
    target_cost: Dollars | None = Field(
        default=None, ge=0, description="The maker's budget in US dollars, if they gave one."
    )
    recommendations: Annotated[list[RecommendationDraft], BeforeValidator(json_text)] = Field(
        default_factory=list,
        description="Candidate substitutions. For one line, list the candidates cheapest "
        "first: Ohm offers the first that passes its checks.",
    )
    do_not_cheapen: Annotated[list[KeepDraft], BeforeValidator(json_text)] = Field(
        default_factory=list, description="Lines to keep as they are, each with why."
    )
    notes: TextList = Field(default_factory=list, description="Anything else about the cost.")

    @model_validator(mode="before")
    @classmethod
    def _drop_ohm_fields(cls, v: Any) -> Any:
        v = json_text(v)
        if isinstance(v, dict):
            return {k: x for k, x in v.items() if k not in OHM_FIELDS}
        return v


class WriteBudgetArgs(BaseModel):
    budget: BudgetDraft = Field(description="The proposed savings.")

    @model_validator(mode="before")
    @classmethod
    def _unwrapped(cls, v: Any) -> Any:
        return _wrap_flat(v, "budget", ("recommendations", "do_not_cheapen", "summary"))


class ApplyBudgetArgs(BaseModel):
    lines: Annotated[list[str], BeforeValidator(json_text)] = Field(
        default_factory=list,
        description="The offered substitutions the maker accepted, each by the part_number "
        "of the line it replaces; empty for every offered one.",
    )


# ------------------------------------------------------------------ what Ohm stores


class Substitute(_Schema):
    catalog_id: str | None = None
    part_number: str
    name: str
    manufacturer: str
    unit_cost: float | None = None
    price_source: str | None = None
    supplier: str | None = None
    link: str | None = None


class FailedCheck(_Schema):
    rule: str
    severity: str
    message: str


class BudgetLine(_Schema):
    """One candidate substitution as Ohm judged it."""

    line: int = Field(description="Position in the parts list, from 1.")
    part_number: str
    name: str
    quantity: int
    current_unit_cost: float | None
    substitute: Substitute
    reason: str
    tradeoff: str = ""
    status: Status
    checked: bool = Field(description="Whether Ohm's checks could judge the substitute.")
    line_savings: float | None = None
    failed_checks: list[FailedCheck] = Field(default_factory=list)
    why_not: str = ""


class KeepItem(_Schema):
    line: int
    part_number: str
    name: str
    why: str


class Budget(_Schema):
    """The ``budget`` artifact: costs before and after the offered substitutions."""

    currency: Literal["USD"] = "USD"
    bom_version: int
    summary: str = ""
    target_cost: float | None = None
    original_cost: float | None
    optimized_cost: float | None
    savings: float | None
    unpriced: list[str] = Field(default_factory=list)
    recommendations: list[BudgetLine] = Field(default_factory=list)
    do_not_cheapen: list[KeepItem] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def offered(self) -> list[BudgetLine]:
        return [r for r in self.recommendations if r.status == "offered"]

    @property
    def rejected(self) -> list[BudgetLine]:
        return [r for r in self.recommendations if r.status == "rejected"]


# ------------------------------------------------------------------- the checking


def find_line(bom: Bom, ref: str) -> int:
    """Index of the line ``ref`` names: part number, then name, then catalog id, or ``#n``."""
    key = ref.strip().lower()
    n = key.lstrip("#")
    if n.isdigit() and 1 <= int(n) <= len(bom.components):
        return int(n) - 1
    for attr in ("part_number", "name", "catalog_id"):
        for i, c in enumerate(bom.components):
            value = getattr(c, attr)
            if value and value.strip().lower() == key:
                return i
    known = ", ".join(repr(c.part_number) for c in bom.components)
    raise ArtifactContentError(
        f"line {ref!r} is not in the parts list; name a line by its part_number: {known}"
    )


def _known_price(bom: Bom, catalog: Catalog, part: Part | None, part_number: str) -> float | None:
    """The unit price this parts list already has for the same part (a catalog part by its
    id, since several catalog parts share one chip's part number), else None."""
    for c in bom.components:
        if part is not None:
            found, _ = match_line(c, catalog)
            same = found is not None and found.id == part.id
        else:
            same = c.part_number.strip().lower() == part_number.strip().lower()
        if same and c.unit_cost is not None:
            return c.unit_cost
    return None


def resolve_substitute(
    draft: SubstituteDraft, catalog: Catalog, bom: Bom, line: str
) -> tuple[Substitute, Part | None]:
    """The substitute with the catalog's facts filled in, and its catalog part if known."""
    part: Part | None = None
    if draft.catalog_id:
        part = catalog.get(draft.catalog_id)
        if part is None:
            close = catalog.suggest_parts(draft.catalog_id)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            raise ArtifactContentError(
                f"substitute for {line!r}: catalog_id {draft.catalog_id!r} is not in Ohm's "
                f"parts catalog{hint}; look it up with parts_catalog, or leave catalog_id out "
                "for a part the catalog lacks"
            )
    elif draft.part_number:
        part = catalog.by_mpn(draft.part_number)
    name = draft.name or (part.name if part else None)
    number = draft.part_number or (part.mpn if part else None)
    maker = draft.manufacturer or (part.manufacturer if part else None)
    if not name or not number or not maker:
        raise ArtifactContentError(
            f"substitute for {line!r}: give a catalog_id, or its name, part_number and manufacturer"
        )
    price, source = draft.unit_cost, draft.price_source
    if price is None:
        price = _known_price(bom, catalog, part, number)
        source = "this parts list" if price is not None else None
    elif not source:
        source = MODEL_ESTIMATE
    sub = Substitute(
        catalog_id=part.id if part else None,
        part_number=number,
        name=name,
        manufacturer=maker,
        unit_cost=price,
        price_source=source,
        supplier=draft.supplier,
        link=draft.link if draft.link and draft.link.startswith(("http://", "https://")) else None,
    )
    return sub, part


def swapped(
    bom: Bom, wiring: Wiring | None, catalog: Catalog, swaps: dict[int, Substitute]
) -> tuple[Bom, Wiring | None, dict[str, str]]:
    """The parts list (and wiring) with each swapped line's part replaced.

    Returns the new BOM, the new wiring (components whose part was the replaced catalog
    part now name the substitute) and new line name -> old line name, so that findings
    about a swapped line can be told apart from findings the project already had."""
    items = [c.model_dump(mode="json") for c in bom.components]
    rename: dict[str, str] = {}
    parts: dict[str, str] = {}
    for idx, sub in swaps.items():
        old = bom.components[idx]
        old_part, _ = match_line(old, catalog)
        items[idx] = {
            "name": sub.name,
            "part_number": sub.part_number,
            "manufacturer": sub.manufacturer,
            "quantity": old.quantity,
            "unit_cost": sub.unit_cost,
            "supplier": sub.supplier,
            "link": sub.link,
            "catalog_id": sub.catalog_id,
            "notes": f"Replaces {old.part_number} ({old.name}) to save cost.",
            "alternatives": [old.part_number],
        }
        items[idx] = {k: v for k, v in items[idx].items() if v is not None}
        rename[sub.name] = old.name
        if old_part is not None and sub.catalog_id:
            parts[old_part.id] = sub.catalog_id
    data = bom.model_dump(mode="json")
    data["components"] = items
    data["total_cost"] = None
    new_bom = Bom.model_validate(data)
    new_wiring = wiring
    if wiring is not None and parts:
        wdata = wiring.model_dump(mode="json")
        changed = False
        for comp in wdata["components"]:
            part = catalog.get(comp["part"])
            if part is not None and part.id in parts:
                comp["part"] = parts[part.id]
                changed = True
        if changed:
            new_wiring = Wiring.model_validate(wdata)
    return new_bom, new_wiring, rename


def _key(f: Finding, rename: dict[str, str]) -> tuple[str, str, tuple[str, ...]]:
    return (f.rule, f.severity, tuple(sorted(rename.get(c, c) for c in f.components)))


def added_findings(
    before: list[Finding], after: list[Finding], rename: dict[str, str]
) -> list[Finding]:
    """Errors and warnings in ``after`` that ``before`` did not have (same rule, severity
    and parts, a swapped line counted under its old name)."""
    base = Counter(_key(f, {}) for f in before if f.severity in BLOCKING)
    out: list[Finding] = []
    for f in after:
        if f.severity not in BLOCKING:
            continue
        k = _key(f, rename)
        if base[k] > 0:
            base[k] -= 1
        else:
            out.append(f)
    return out


def _money(x: float) -> float:
    return round(x + 0.0, 2)


def _line_cost(c: Any) -> float | None:
    return None if c.unit_cost is None else c.unit_cost * c.quantity


def judge(
    draft: BudgetDraft,
    bom: Bom,
    bom_version: int,
    wiring: Wiring | None,
    code: list[CodeFile],
    catalog: Catalog,
) -> Budget:
    """Every candidate checked in order against the project as it is, plus the totals."""
    before = check_project(bom, wiring, code, catalog)
    offered: dict[int, Substitute] = {}
    lines: list[BudgetLine] = []
    keep_idx = {find_line(bom, k.line) for k in draft.do_not_cheapen}
    for rec in draft.recommendations:
        idx = find_line(bom, rec.line)
        item = bom.components[idx]
        sub, sub_part = resolve_substitute(rec.substitute, catalog, bom, rec.line)
        old_part, _ = match_line(item, catalog)
        row: dict[str, Any] = {
            "line": idx + 1,
            "part_number": item.part_number,
            "name": item.name,
            "quantity": item.quantity,
            "current_unit_cost": item.unit_cost,
            "substitute": sub,
            "reason": rec.reason,
            "tradeoff": rec.tradeoff,
            "checked": sub_part is not None,
        }
        if item.unit_cost is not None and sub.unit_cost is not None:
            row["line_savings"] = _money((item.unit_cost - sub.unit_cost) * item.quantity)

        def rejected(
            why: str, failed: list[Finding] | None = None, row: dict[str, Any] = row
        ) -> BudgetLine:
            checks = [
                FailedCheck(rule=f.rule, severity=f.severity, message=f.message)
                for f in failed or []
            ]
            return BudgetLine(**row, status="rejected", why_not=why, failed_checks=checks)

        if sub_part is not None and old_part is not None:
            same = sub_part.id == old_part.id
        else:
            same = sub.part_number.strip().lower() == item.part_number.strip().lower()
        if idx in offered:
            lines.append(
                BudgetLine(
                    **row,
                    status="skipped",
                    why_not="an earlier candidate for this line passed the checks",
                )
            )
        elif idx in keep_idx:
            lines.append(rejected("the same line is listed under do_not_cheapen"))
        elif same:
            lines.append(rejected("the substitute is the part the line already has"))
        elif old_part is not None and sub_part is None:
            lines.append(
                rejected(
                    "Ohm cannot check it: the substitute is not in the parts catalog (a "
                    "datasheet for it would add it as a project part)",
                    [
                        Finding(
                            rule="unknown-part",
                            severity="error",
                            message=f"{sub.name} ({sub.part_number}) is not in Ohm's parts "
                            "catalog, so its voltages and pins can't be checked.",
                        )
                    ],
                )
            )
        elif row.get("line_savings") is not None and row["line_savings"] <= 0:
            lines.append(rejected("it is not cheaper than the current part"))
        else:
            trial = {**offered, idx: sub}
            new_bom, new_wiring, rename = swapped(bom, wiring, catalog, trial)
            after = check_project(new_bom, new_wiring, code, catalog)
            added = added_findings(before, after, rename)
            if added:
                rules = ", ".join(sorted({f.rule for f in added}))
                lines.append(rejected(f"it fails Ohm's checks ({rules})", added))
            else:
                offered[idx] = sub
                lines.append(BudgetLine(**row, status="offered"))
    keep = []
    for k in draft.do_not_cheapen:
        i = find_line(bom, k.line)
        c = bom.components[i]
        keep.append(KeepItem(line=i + 1, part_number=c.part_number, name=c.name, why=k.why))
    costs = [_line_cost(c) for c in bom.components]
    original = _money(sum(x for x in costs if x is not None)) if None not in costs else None
    known = [r.line_savings for r in lines if r.status == "offered" and r.line_savings is not None]
    savings = _money(sum(known)) if known else 0.0
    notes = list(draft.notes)
    unknown = [r for r in lines if r.status == "offered" and r.line_savings is None]
    if unknown:
        names = ", ".join(r.substitute.name for r in unknown)
        notes.append(f"Not counted in the savings, as a price is unknown: {names}.")
    return Budget(
        bom_version=bom_version,
        summary=draft.summary,
        target_cost=draft.target_cost,
        original_cost=original,
        optimized_cost=_money(original - savings) if original is not None else None,
        savings=savings,
        unpriced=[c.name for c in bom.components if c.unit_cost is None],
        recommendations=lines,
        do_not_cheapen=keep,
        notes=notes,
    )


# ------------------------------------------------------------------------- the tools


def _project_bom(st: ArtifactStore, project: str) -> tuple[VersionView, Any]:
    bom_v = st.latest(project, "bom")
    if bom_v is None or bom_v.deleted:
        raise ArtifactContentError(
            "this project has no parts list yet, so there is nothing to make cheaper; ask "
            "for the parts list first"
        )
    arts = current_artifacts(st, project)
    if arts.bom is None:
        raise ArtifactContentError("the stored parts list cannot be read; rewrite it first")
    return bom_v, arts


def _run_budget(args: BaseModel, st: ArtifactStore, project: str, meta: WriteMeta) -> Written:
    assert isinstance(args, WriteBudgetArgs)
    bom_v, arts = _project_bom(st, project)
    budget = judge(
        args.budget, arts.bom, bom_v.version, arts.wiring, arts.code, project_catalog(st, project)
    )
    content = json.dumps(budget.model_dump(mode="json"), indent=2, ensure_ascii=False)
    out = st.write(project, "budget", lambda _prev: content, language="json", meta=meta)
    return [(out.version, out.created)]


def _money_text(x: float | None) -> str:
    return "unknown" if x is None else f"${x:.2f}"


def _budget_report(written: Written) -> dict[str, Any]:
    """What the model reads after write_budget: what Ohm offers, what it refused and why."""
    budget = parse_budget(written[0][0].content)
    if budget is None:  # pragma: no cover - written just above
        return {}
    offered = [
        {
            "line": r.part_number,
            "substitute": r.substitute.name,
            "catalog_id": r.substitute.catalog_id,
            "unit_cost": f"{_money_text(r.current_unit_cost)} -> "
            f"{_money_text(r.substitute.unit_cost)}",
            "line_savings": _money_text(r.line_savings),
            "checked": r.checked,
        }
        for r in budget.offered
    ]
    rejected = [
        {
            "line": r.part_number,
            "substitute": r.substitute.name,
            "why": r.why_not,
            "failed_checks": [f"{f.rule} ({f.severity}): {f.message}" for f in r.failed_checks],
        }
        for r in budget.rejected
    ]
    body: dict[str, Any] = {
        "original_cost": _money_text(budget.original_cost),
        "optimized_cost": _money_text(budget.optimized_cost),
        "savings": _money_text(budget.savings),
        "offered": offered,
        "rejected": rejected,
    }
    body["next"] = (
        "Tell the maker the offered substitutions and the savings"
        + (", and why each rejected one is not a saving (never offer those)" if rejected else "")
        + ". Ask whether to apply them; apply_budget then writes the new parts list."
        if offered
        else "No candidate passed Ohm's checks: tell the maker why, and offer nothing."
    )
    return body


def _run_apply(args: BaseModel, st: ArtifactStore, project: str, meta: WriteMeta) -> Written:
    assert isinstance(args, ApplyBudgetArgs)
    budget_v = st.latest(project, "budget")
    budget = parse_budget(budget_v.content) if budget_v and not budget_v.deleted else None
    if budget is None:
        raise ArtifactContentError("there is no budget to apply; call write_budget first")
    bom_v, arts = _project_bom(st, project)
    if bom_v.version != budget.bom_version:
        raise ArtifactContentError(
            f"the parts list changed since the budget was written (the budget is for bom "
            f"v{budget.bom_version}, the list is now v{bom_v.version}); write a new budget first"
        )
    offered = budget.offered
    if not offered:
        raise ArtifactContentError("the budget offers no substitution that passed the checks")
    chosen = offered
    if args.lines:
        chosen = []
        for ref in args.lines:
            key = ref.strip().lower().lstrip("#")
            hit = next(
                (r for r in offered if key in (r.part_number.lower(), r.name.lower(), str(r.line))),
                None,
            )
            if hit is None:
                names = ", ".join(repr(r.part_number) for r in offered)
                raise ArtifactContentError(
                    f"{ref!r} is not an offered substitution; the budget offers: {names}"
                )
            if hit not in chosen:
                chosen.append(hit)
    catalog = project_catalog(st, project)
    swaps = {r.line - 1: r.substitute for r in chosen}
    new_bom, new_wiring, rename = swapped(arts.bom, arts.wiring, catalog, swaps)
    before = check_project(arts.bom, arts.wiring, arts.code, catalog)
    added = added_findings(before, check_project(new_bom, new_wiring, arts.code, catalog), rename)
    if added:
        problems = "; ".join(f"{f.rule}: {f.message}" for f in added[:5])
        raise ArtifactContentError(
            f"together these substitutions fail Ohm's checks ({problems}); apply fewer"
        )
    data = {k: v for k, v in new_bom.model_dump(mode="json").items() if k != "total_cost"}
    data.pop("project_name", None)
    written = _run_bom(WriteBomArgs(bom=BomDraft.model_validate(data)), st, project, meta)
    if new_wiring is not None and new_wiring is not arts.wiring:
        wiring = WiringDraft.model_validate(new_wiring.model_dump(mode="json"))
        written += _run_wiring(WriteWiringArgs(wiring=wiring), st, project, meta)
    return written


def parse_budget(content: str) -> Budget | None:
    """A stored budget, or None for content that is not one (an old Markdown budget)."""
    try:
        return Budget.model_validate_json(content)
    except (ValidationError, ValueError):
        return None


def budget_markdown(content: str) -> str:
    """A budget artifact as Markdown for people: totals, offers, refusals, what to keep."""
    b = parse_budget(content)
    if b is None:
        return content
    lines = [
        f"**Original cost: {_money_text(b.original_cost)}** · optimized "
        f"{_money_text(b.optimized_cost)} · savings {_money_text(b.savings)} "
        f"(USD, parts list v{b.bom_version})",
    ]
    if b.target_cost is not None:
        lines.append(f"Target: ${b.target_cost:.2f}")
    if b.summary:
        lines += ["", b.summary]
    if b.offered:
        lines += ["", "### Offered substitutions (passed Ohm's checks)"]
        for r in b.offered:
            price = _money_text(r.substitute.unit_cost)
            source = f", {r.substitute.price_source}" if r.substitute.price_source else ""
            lines.append(
                f"- {r.name} ({r.part_number}, {_money_text(r.current_unit_cost)}) → "
                f"**{r.substitute.name}** ({price}{source}): saves "
                f"{_money_text(r.line_savings)}. {r.reason}"
                + (f" Trade-off: {r.tradeoff}" if r.tradeoff else "")
                + ("" if r.checked else " (not checked: the catalog has neither part)")
            )
    if b.rejected:
        lines += ["", "### Not offered"]
        for r in b.rejected:
            rules = ", ".join(f.rule for f in r.failed_checks)
            lines.append(
                f"- {r.name} → {r.substitute.name}: {r.why_not}" + (f" [{rules}]" if rules else "")
            )
    if b.do_not_cheapen:
        lines += ["", "### Do not cheapen"]
        lines += [f"- {k.name} ({k.part_number}): {k.why}" for k in b.do_not_cheapen]
    if b.unpriced:
        lines += ["", f"Lines with no price: {', '.join(b.unpriced)}."]
    if b.notes:
        lines += ["", *(f"- {n}" for n in b.notes)]
    return "\n".join(lines)


register(
    TypedWrite(
        name="write_budget",
        description=(
            "Save the project's budget: candidate cheaper substitutes for lines of the "
            "current parts list and the lines not to cheapen. Ohm fills in current parts, "
            "prices, totals and savings, and checks each substitute swapped into the parts "
            "list and wiring: only those that pass are offered; the rest come back as "
            "rejected, with the rule they break."
        ),
        args=WriteBudgetArgs,
        run=_run_budget,
        checked=False,
        report=_budget_report,
    )
)
register(
    TypedWrite(
        name="apply_budget",
        description=(
            "After the maker accepts, write a new version of the parts list (and of the "
            "wiring, where a replaced part is wired) with the accepted offered substitutions "
            "of the latest budget. Ohm checks the result and returns its findings."
        ),
        args=ApplyBudgetArgs,
        run=_run_apply,
    )
)
