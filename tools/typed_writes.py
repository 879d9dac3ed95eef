"""Write tools with a schema per kind of artifact: what the model writes is what it sees.

Each tool's arguments are typed with the artifact's pydantic model, so the JSON Schema
in the request's ``tools`` carries every field, its description, unit and allowed values.
Fields Ohm knows itself (the project's name, totals it can add up, a file's language) are
optional there and filled in here. Quirks of real models with one clear meaning (an object
sent as a JSON string or a fenced block, ``"5 V"`` for a number of volts) are read by the
schemas' before-validators; anything else goes back to the model as a short list of the
fields that are wrong and the shape that was expected.

To add a write tool for a new kind, define its argument models and a function that writes
through :func:`save`, and :func:`register` a :class:`TypedWrite` with the tool's name;
agents then list that name in their tool tuple.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, get_args

from langchain_core.tools import BaseTool, InjectedToolArg
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from persistence.store import ArtifactStore, VersionView, WriteMeta

from .artifacts import Runtime, batch_writes, emit_written, run_scope
from .coerce import json_text, unfence
from .merge import combine_structured, combine_text
from .results import ToolOutcome, WrittenVersion, written_summary
from .schemas import (
    TEXT_TYPES,
    ArtifactContentError,
    Bom,
    BomComponent,
    Connection,
    Wiring,
    WiringComponent,
    guess_language,
    normalize_code_path,
)
from .shown_schema import FILLED_BY_OHM, ShownSchemaTool, compact_schema

log = logging.getLogger(__name__)

StoreProvider = Callable[[], ArtifactStore]
Checker = Callable[
    [ArtifactStore, str, list[VersionView], Mapping[tuple[str, str], str]], list[dict[str, Any]]
]
Written = list[tuple[VersionView, bool]]

Merge = Literal["replace", "merge", "append"]
DocumentKind = Literal["context", "mvp", "prd", "conversation_summary"]
Language = Literal["cpp", "c", "ini", "python", "json", "yaml", "markdown", "text", "csv"]

_LANGUAGE_ALIASES = {
    "c++": "cpp",
    "cxx": "cpp",
    "arduino": "cpp",
    "ino": "cpp",
    "h": "cpp",
    "hpp": "cpp",
    "py": "python",
    "micropython": "python",
    "yml": "yaml",
    "md": "markdown",
    "txt": "text",
    "plaintext": "text",
    "platformio": "ini",
    "toml": "text",
}


def _language(value: Any) -> Any:
    if isinstance(value, str):
        key = value.strip().lower()
        return _LANGUAGE_ALIASES.get(key, key) or None
    return value


def _code_text(value: Any) -> Any:
    """File text sent inside one fenced block: the block's inside is the file."""
    if isinstance(value, str) and value.lstrip().startswith("```"):
        inner = unfence(value)
        return inner + "\n" if inner != value.strip() else value
    return value


BOM_MERGE_HELP = (
    "replace: the whole new list. merge: update the parts given (matched by part number or "
    "name), keep the rest. append: add the parts given."
)
WIRING_MERGE_HELP = (
    "replace: the whole new wiring. merge: update the components (by id) and connections "
    "(by their two ends) given, keep the rest. append: add them."
)

# ----------------------------------------------------------------- argument models


class BomDraft(Bom):
    """A parts list as the model writes it; Ohm fills in the project name."""

    project_name: str | None = Field(  # type: ignore[assignment]
        default=None, description=f"{FILLED_BY_OHM} from the project; leave it out."
    )
    total_cost: float | None = Field(
        default=None, ge=0, description=f"{FILLED_BY_OHM} from the unit costs; leave it out."
    )
    components: Annotated[list[BomComponent], BeforeValidator(json_text)] = Field(
        default_factory=list,
        description="Every part to buy, one entry per distinct part (with merge: only the "
        "parts that change).",
    )


class WiringDraft(Wiring):
    """A wiring as the model writes it; with merge, connections may name stored parts."""

    components: Annotated[list[WiringComponent], BeforeValidator(json_text)] = Field(
        default_factory=list,
        description="Every part on the breadboard, each with a unique id (with merge: only "
        "the components that are new or change).",
    )
    connections: Annotated[list[Connection], BeforeValidator(json_text)] = Field(
        default_factory=list, description="One entry per wire, between two component pins."
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> WiringDraft:
        # Checked on the whole wiring after a merge, where stored components count too.
        return self


class CodeFileDraft(BaseModel):
    path: str = Field(description="Relative file path, e.g. 'src/main.cpp'.")
    text: Annotated[str, BeforeValidator(_code_text)] = Field(
        description="The file's whole text, exactly as it should be saved."
    )
    language: Annotated[Language | None, BeforeValidator(_language)] = Field(
        default=None, description=f"{FILLED_BY_OHM} from the file name when left out."
    )


class WriteBomArgs(BaseModel):
    bom: BomDraft = Field(description="The parts list.")
    merge: Merge = Field(default="replace", description=BOM_MERGE_HELP)

    @model_validator(mode="before")
    @classmethod
    def _unwrapped(cls, v: Any) -> Any:
        return _wrap_flat(v, "bom", ("components", "power_analysis", "summary"))


class WriteWiringArgs(BaseModel):
    wiring: WiringDraft = Field(description="The wiring: components, connections, steps.")
    merge: Merge = Field(default="replace", description=WIRING_MERGE_HELP)

    @model_validator(mode="before")
    @classmethod
    def _unwrapped(cls, v: Any) -> Any:
        return _wrap_flat(v, "wiring", ("components", "connections", "instructions"))


class WriteCodeArgs(BaseModel):
    path: str = Field(description="Relative file path, e.g. 'src/main.cpp' or 'platformio.ini'.")
    text: Annotated[str, BeforeValidator(_code_text)] = Field(
        description="The file's whole text, exactly as it should be saved."
    )
    language: Annotated[Language | None, BeforeValidator(_language)] = Field(
        default=None, description=f"{FILLED_BY_OHM} from the file name when left out."
    )
    append: bool = Field(default=False, description="Add the text to the end of the file.")


class WriteCodeFilesArgs(BaseModel):
    files: Annotated[list[CodeFileDraft], BeforeValidator(json_text)] = Field(
        default_factory=list,
        description="Files to save. Files not listed here are left as they are.",
    )
    delete: Annotated[list[str], BeforeValidator(json_text)] = Field(
        default_factory=list, description="Paths of code files to delete, e.g. ['src/old.cpp']."
    )


class WriteDocumentArgs(BaseModel):
    kind: DocumentKind = Field(
        description="context: the project brief. mvp: the smallest version worth building. "
        "prd: testable requirements. conversation_summary: what was decided."
    )
    markdown: Annotated[str, BeforeValidator(_code_text)] = Field(
        description="The document as Markdown."
    )
    merge: Merge = Field(
        default="replace",
        description="replace: the whole document. merge: sections with the same heading are "
        "replaced, new ones added. append: added to the end.",
    )


def _wrap_flat(v: Any, key: str, markers: tuple[str, ...]) -> Any:
    """Arguments that hold the artifact's own fields at the top level (or under ``content``)
    instead of under ``key`` are the artifact: there is nothing else they could mean."""
    if not isinstance(v, dict) or key in v:
        return v
    if "content" in v and not any(m in v for m in markers):
        rest = {k: x for k, x in v.items() if k != "content" and k != "artifact_type"}
        return {key: v["content"], **rest}
    if any(m in v for m in markers):
        inner = {k: x for k, x in v.items() if k not in ("merge", "artifact_type")}
        out: dict[str, Any] = {key: inner}
        if "merge" in v:
            out["merge"] = v["merge"]
        return out
    return v


# ---------------------------------------------------------------- errors for the model


def _json_type(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> str:
    if "$ref" in schema:
        return _json_type(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs, depth)
    if "anyOf" in schema:
        kinds = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _json_type(kinds[0], defs, depth) if len(kinds) == 1 else "any"
    if "enum" in schema:
        return "|".join(json.dumps(e) for e in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    t = schema.get("type")
    if t == "object" and "properties" in schema:
        if depth <= 0:
            return "{...}"
        req = set(schema.get("required", []))
        parts = [
            f"{k}{'' if k in req else '?'}: {_json_type(s, defs, depth - 1)}"
            for k, s in schema["properties"].items()
            if not str(s.get("description", "")).startswith(FILLED_BY_OHM)
        ]
        return "{" + ", ".join(parts) + "}"
    if t == "array":
        return f"[{_json_type(schema.get('items', {}), defs, depth)}]"
    return {"string": "str", "integer": "int", "number": "number", "boolean": "bool"}.get(
        str(t), "any"
    )


def expected_shape(args: type[BaseModel], depth: int = 3) -> str:
    """A one-line picture of the arguments a tool wants (``?`` marks optional fields)."""
    schema = args.model_json_schema()
    return _json_type(schema, schema.get("$defs", {}), depth)


def _got(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def format_arguments_error(tool: str, args: type[BaseModel], err: ValidationError) -> str:
    lines = [f"{tool} was called with invalid arguments ({err.error_count()} problem(s)):"]
    for e in err.errors()[:10]:
        loc = ".".join(str(x) for x in e["loc"]) or "(arguments)"
        got = f" (got {_got(e['input'])})" if e["type"] not in ("missing",) else ""
        lines.append(f"- {loc}: {e['msg']}{got}")
    lines.append(f"expected {tool}({expected_shape(args)})")
    return "\n".join(lines)


# -------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class WriteDeps:
    """What a write tool needs from the graph, bound once per agent."""

    agent: str
    store: StoreProvider
    checker: Checker | None = None


@dataclass(frozen=True)
class TypedWrite:
    name: str
    description: str
    args: type[BaseModel]
    run: Callable[[BaseModel, ArtifactStore, str, WriteMeta], Written]
    """Writes the versions: (arguments, store, project, provenance) -> written."""
    pending: Callable[[BaseModel, ArtifactStore, str], dict[tuple[str, str], str]] | None = None
    """Full replacements this call will leave, for checking sibling calls of one batch."""
    checked: bool = True
    """Run Ohm's checks after the write."""
    report: Callable[[Written], dict[str, Any]] | None = None
    """More for the model to read in the answer, from what was written."""


TYPED_WRITES: dict[str, TypedWrite] = {}


def register(spec: TypedWrite) -> TypedWrite:
    TYPED_WRITES[spec.name] = spec
    return spec


class _LooseArgs(BaseModel):
    """What the tool accepts before its own validation: anything, plus the injected runtime.

    The typed argument model is what the model is shown (``tool_call_schema``); validating
    inside the tool lets a mistake come back as a typed outcome, like any other failure."""

    model_config = ConfigDict(extra="allow")
    runtime: Annotated[Any, InjectedToolArg] = None


class TypedWriteTool(ShownSchemaTool):
    """A structured tool whose model-facing schema is the typed argument model, compacted
    (tools/shown_schema.py)."""

    shown_schema: type[BaseModel]


@cache
def _shown_args_schema(args: type[BaseModel]) -> str:
    return json.dumps(compact_schema(args.model_json_schema()))


def shown_args_schema(args: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema a model is shown for a typed write (a fresh copy each time)."""
    shown: dict[str, Any] = json.loads(_shown_args_schema(args))
    return shown


def _failure(tool: str, message: str, summary: str) -> tuple[str, dict[str, Any]]:
    body = {"ok": False, "error": message, "hint": f"Fix it and call {tool} again."}
    out = ToolOutcome(ok=False, summary=summary, error=message)
    return json.dumps(body, ensure_ascii=False, default=str), out.as_artifact()


def build_typed_write(spec: TypedWrite, deps: WriteDeps) -> BaseTool:
    def run_tool(runtime: Runtime, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        try:
            args = spec.args.model_validate(kwargs)
        except ValidationError as err:
            message = format_arguments_error(spec.name, spec.args, err)
            return _failure(spec.name, message, _problems_line(err))
        project, meta = run_scope(runtime, deps.agent)
        st = deps.store()
        try:
            written = spec.run(args, st, project, meta)
        except (ArtifactContentError, ValueError) as exc:
            message = f"{exc}\nexpected {spec.name}({expected_shape(spec.args)})"
            return _failure(spec.name, message, _first_line(str(exc)))
        findings: list[dict[str, Any]] = []
        if deps.checker is not None and spec.checked and written:
            try:
                pending = batch_writes(runtime, exclude=runtime.tool_call_id, store=st)
                findings = deps.checker(st, project, [v for v, _ in written], pending)
            except Exception as exc:  # a broken check must not lose the write
                log.exception("checks failed")
                findings = [{"rule": "check-failed", "severity": "info", "message": str(exc)}]
        emit_written(runtime, written, findings)
        return finish(written, findings, spec.report(written) if spec.report else None)

    return TypedWriteTool(
        name=spec.name,
        description=spec.description,
        args_schema=_LooseArgs,
        shown_schema=spec.args,
        shown=shown_args_schema(spec.args),
        accepted=tuple(spec.args.model_fields),
        func=run_tool,
        response_format="content_and_artifact",
    )


def _problems_line(err: ValidationError) -> str:
    locs = [".".join(str(x) for x in e["loc"]) or "(arguments)" for e in err.errors()[:3]]
    more = f" and {err.error_count() - 3} more" if err.error_count() > 3 else ""
    return f"invalid arguments: {', '.join(locs)}{more}"


def finish(
    written: Written, findings: list[dict[str, Any]], extra: Mapping[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """The model's JSON answer and the typed outcome of a successful write."""
    versions = [_version(v, c) for v, c in written]
    errors = [f for f in findings if f.get("severity") == "error"]
    body: dict[str, Any] = {
        "ok": True,
        "written": [w.model_dump(exclude_defaults=False) for w in versions],
        "findings": findings,
        **(extra or {}),
    }
    if errors:
        body["next"] = (
            f"{len(errors)} error(s) found by Ohm's checks: fix them and write again "
            "before you answer."
        )
    out = ToolOutcome(
        ok=True, summary=written_summary(versions, findings), written=versions, findings=findings
    )
    return json.dumps(body, ensure_ascii=False, default=str), out.as_artifact()


def _version(v: VersionView, created: bool) -> WrittenVersion:
    return WrittenVersion(
        type=v.type, path=v.path or None, version=v.version, created=created, deleted=v.deleted
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "failed"


# ------------------------------------------------------------------ structured kinds

_HEADING = re.compile(r"^#{1,3}\s+(.+?)\s*#*\s*$", re.M)


def project_title(st: ArtifactStore, project: str) -> str:
    """The project's name for a parts list: the brief's first heading, else the project id."""
    brief = st.latest(project, "context")
    if brief is not None and not brief.deleted:
        m = _HEADING.search(brief.content)
        if m:
            return m.group(1)[:120]
    return project


def _structured_content(
    kind: str, draft: BaseModel, merge: str, prev: VersionView | None, fill: Mapping[str, Any]
) -> str:
    new = draft.model_dump(mode="json", exclude_unset=merge != "replace", exclude_none=True)
    for key, value in fill.items():
        if not new.get(key):
            old = json.loads(prev.content).get(key) if prev and not prev.deleted else None
            new[key] = old or value
    return combine_structured(kind, prev.content if prev and not prev.deleted else None, new, merge)


def _run_bom(args: BaseModel, st: ArtifactStore, project: str, meta: WriteMeta) -> Written:
    assert isinstance(args, WriteBomArgs)
    fill = {"project_name": project_title(st, project)}
    out = st.write(
        project,
        "bom",
        lambda prev: _structured_content("bom", args.bom, args.merge, prev, fill),
        language="json",
        merge_strategy=args.merge,
        meta=meta,
    )
    return [(out.version, out.created)]


def _pending_bom(args: BaseModel, st: ArtifactStore, project: str) -> dict[tuple[str, str], str]:
    assert isinstance(args, WriteBomArgs)
    if args.merge != "replace":
        return {}
    fill = {"project_name": project_title(st, project)}
    return {("bom", ""): _structured_content("bom", args.bom, "replace", None, fill)}


def _run_wiring(args: BaseModel, st: ArtifactStore, project: str, meta: WriteMeta) -> Written:
    assert isinstance(args, WriteWiringArgs)
    out = st.write(
        project,
        "wiring",
        lambda prev: _structured_content("wiring", args.wiring, args.merge, prev, {}),
        language="json",
        merge_strategy=args.merge,
        meta=meta,
    )
    return [(out.version, out.created)]


def _pending_wiring(args: BaseModel, st: ArtifactStore, project: str) -> dict[tuple[str, str], str]:
    assert isinstance(args, WriteWiringArgs)
    if args.merge != "replace":
        return {}
    return {("wiring", ""): _structured_content("wiring", args.wiring, "replace", None, {})}


# ------------------------------------------------------------------------- code


def _save_file(
    st: ArtifactStore,
    project: str,
    meta: WriteMeta,
    path: str,
    text: str,
    language: str | None,
    append: bool,
) -> tuple[VersionView, bool]:
    p = normalize_code_path(path)
    if not text.strip():
        raise ArtifactContentError(f"code file {p} is empty; to remove it, delete it")

    def build(prev: VersionView | None) -> str:
        if append and prev is not None and not prev.deleted:
            return prev.content.rstrip("\n") + "\n" + text
        return text

    strategy = "append" if append else "replace"
    out = st.write(
        project,
        "code",
        build,
        path=p,
        language=language or guess_language(p),
        merge_strategy=strategy,
        meta=meta,
    )
    return out.version, out.created


def _run_code(args: BaseModel, st: ArtifactStore, project: str, meta: WriteMeta) -> Written:
    assert isinstance(args, WriteCodeArgs)
    return [_save_file(st, project, meta, args.path, args.text, args.language, args.append)]


def _pending_code(args: BaseModel, st: ArtifactStore, project: str) -> dict[tuple[str, str], str]:
    assert isinstance(args, WriteCodeArgs)
    if args.append:
        return {}
    return {("code", normalize_code_path(args.path)): args.text}


def _run_code_files(args: BaseModel, st: ArtifactStore, project: str, meta: WriteMeta) -> Written:
    assert isinstance(args, WriteCodeFilesArgs)
    if not args.files and not args.delete:
        raise ArtifactContentError("give at least one file in `files` or one path in `delete`")
    saving = [normalize_code_path(f.path) for f in args.files]
    removing = [normalize_code_path(p) for p in args.delete]
    both = sorted(set(saving) & set(removing))
    if both:
        raise ArtifactContentError(f"{', '.join(both)} is both written and deleted; pick one")
    missing = [p for p in removing if (v := st.latest(project, "code", p)) is None or v.deleted]
    if missing:
        raise ArtifactContentError(
            f"there is no code file {', '.join(missing)} to delete (nothing was written)"
        )
    for f in args.files:  # every file is checked before any is saved
        if not f.text.strip():
            raise ArtifactContentError(f"code file {f.path} is empty; to remove it, delete it")
    out: Written = [
        _save_file(st, project, meta, f.path, f.text, f.language, False) for f in args.files
    ]
    for p in removing:
        r = st.write(project, "code", lambda _prev: "", path=p, meta=meta, deleted=True)
        out.append((r.version, r.created))
    return out


def _pending_code_files(
    args: BaseModel, st: ArtifactStore, project: str
) -> dict[tuple[str, str], str]:
    assert isinstance(args, WriteCodeFilesArgs)
    return {("code", normalize_code_path(f.path)): f.text for f in args.files}


# -------------------------------------------------------------------- documents


def _run_document(args: BaseModel, st: ArtifactStore, project: str, meta: WriteMeta) -> Written:
    assert isinstance(args, WriteDocumentArgs)
    if args.kind not in TEXT_TYPES:  # pragma: no cover - the Literal already says so
        raise ArtifactContentError(f"kind must be one of {', '.join(sorted(TEXT_TYPES))}")
    if not args.markdown.strip():
        raise ArtifactContentError(f"the {args.kind} document is empty")
    text, merge = args.markdown, args.merge

    def build(prev: VersionView | None) -> str:
        old = prev.content if prev is not None and not prev.deleted else None
        return combine_text(old, text, merge)

    out = st.write(project, args.kind, build, language="markdown", merge_strategy=merge, meta=meta)
    return [(out.version, out.created)]


register(
    TypedWrite(
        name="write_bom",
        description=(
            "Save a new version of the project's parts list (BOM). Ohm fills in the project "
            "name and the total cost, then checks the list against the wiring and the parts "
            "catalog and returns any findings."
        ),
        args=WriteBomArgs,
        run=_run_bom,
        pending=_pending_bom,
    )
)
register(
    TypedWrite(
        name="write_wiring",
        description=(
            "Save a new version of the project's wiring: components (catalog part ids), the "
            "wires between their pins, build steps and warnings. Ohm checks it against "
            "datasheet facts and returns any findings."
        ),
        args=WriteWiringArgs,
        run=_run_wiring,
        pending=_pending_wiring,
    )
)
register(
    TypedWrite(
        name="write_code",
        description=(
            "Save one firmware or project file (for example src/main.cpp, include/config.h, "
            "platformio.ini). Other files are not touched. Ohm checks the firmware against "
            "the wiring and returns any findings."
        ),
        args=WriteCodeArgs,
        run=_run_code,
        pending=_pending_code,
    )
)
register(
    TypedWrite(
        name="write_code_files",
        description=(
            "Save several code files at once and delete the ones named in `delete`. Files "
            "that are neither listed nor named in `delete` are left as they are."
        ),
        args=WriteCodeFilesArgs,
        run=_run_code_files,
        pending=_pending_code_files,
    )
)
register(
    TypedWrite(
        name="write_document",
        description=(
            "Save a new version of one of the project's Markdown documents: the brief "
            "(context), the MVP, the PRD or a conversation summary."
        ),
        args=WriteDocumentArgs,
        run=_run_document,
        checked=False,
    )
)

DOCUMENT_KINDS: tuple[str, ...] = get_args(DocumentKind)

# The budget's tools build on the writes above and register themselves.
from . import budget as _budget  # noqa: E402, F401
