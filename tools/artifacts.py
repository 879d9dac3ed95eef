"""The artifact tools the specialists call: read, delete, list_artifacts and the writes.

The typed write tools (``write_bom``, ``write_wiring``, ``write_code``, ...) live in
``tools/typed_writes.py``; the generic ``write`` here is kept for conversations recorded
before them and is bound to no agent.

The project a tool acts on comes from the run's context, never from the model's
arguments, so no model output can reach another project. Every result, including a
validation error, goes back to the model as the tool's answer so it can correct itself in
the same turn.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool, tool
from langgraph.prebuilt import ToolRuntime
from pydantic import Field

from persistence.store import ArtifactStore, StoreError, VersionView, WriteMeta, parse_as_of
from persistence.visibility import context_cut

from .catalog_tool import build_catalog_tool
from .merge import combine_structured, combine_text
from .results import ToolOutcome, WrittenVersion, written_summary
from .schemas import (
    STRUCTURED_TYPES,
    ArtifactContentError,
    ArtifactType,
    MergeStrategy,
    guess_language,
    normalize_code_path,
    parse_code_bundle,
)
from .shown_schema import compacted

log = logging.getLogger(__name__)

StoreProvider = Callable[[], ArtifactStore]
# Called after a bom, wiring or code write with (store, project, written versions); returns
# findings (dicts) to store with the versions and show the model.
# The last argument is what sibling calls of the same batch are writing ((type, path) ->
# content), so findings do not depend on the order concurrent calls finish in.
Checker = Callable[
    [ArtifactStore, str, list[VersionView], Mapping[tuple[str, str], str]], list[dict[str, Any]]
]
# Runs every check across the project's current artifacts (the debugger's tool).
ProjectChecker = Callable[[ArtifactStore, str], dict[str, Any]]

MAX_READ_CHARS = 24_000

# Parametrised so that pydantic does not try to serialize the context as None when the
# tool's arguments are dumped.
Runtime = ToolRuntime[Any, Any]


class ToolUsageError(ValueError):
    """A mistake in how the model called a tool; the message tells it what to change."""


def _ctx_value(runtime: ToolRuntime, name: str) -> Any:
    ctx = runtime.context
    if isinstance(ctx, dict):
        return ctx.get(name)
    return getattr(ctx, name, None)


def run_scope(runtime: ToolRuntime, agent: str) -> tuple[str, WriteMeta]:
    """The project and the provenance of a write, from the run (never from the model)."""
    project = _ctx_value(runtime, "project") or "default"
    conf = (runtime.config or {}).get("configurable", {})
    info = runtime.execution_info
    meta = WriteMeta(
        agent=agent,
        thread_id=conf.get("thread_id") or _ctx_value(runtime, "thread_id"),
        tool_call_id=runtime.tool_call_id,
        run_id=str(conf.get("run_id") or (info.run_id if info else "") or "") or None,
        checkpoint_id=(info.checkpoint_id if info else None) or conf.get("checkpoint_id"),
    )
    return str(project), meta


def visible_versions(
    st: ArtifactStore, runtime: ToolRuntime, project: str, run_id: str | None
) -> list[VersionView]:
    """The artifacts this run sees: the latest, or (replays and forks) the project as of
    the checkpoint they start from plus what this run wrote."""
    conf = (runtime.config or {}).get("configurable", {})
    cut = context_cut(
        parse_as_of(_ctx_value(runtime, "as_of")),
        conf.get("thread_id") or _ctx_value(runtime, "thread_id"),
        _ctx_value(runtime, "as_of_lineage"),
    )
    return st.list_latest(project) if cut is None else st.visible_at(project, cut, run_id)


def batch_writes(
    runtime: ToolRuntime, exclude: str | None, store: ArtifactStore | None = None
) -> dict[tuple[str, str], str]:
    """Full replacements written by the other tool calls of the model's current message.

    ToolNode runs a message's calls concurrently; knowing what the siblings write lets
    every call be checked against the state the whole batch leaves. Appends and merges
    depend on the stored version, so they are left to the store.
    """
    state = runtime.state if isinstance(runtime.state, dict) else {}
    messages = state.get("messages") or []
    last = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
    out: dict[tuple[str, str], str] = {}
    from .typed_writes import TYPED_WRITES

    project = ""
    for tc in last.tool_calls if last is not None else []:
        args = tc.get("args") or {}
        if tc.get("id") == exclude:
            continue
        spec = TYPED_WRITES.get(str(tc.get("name")))
        if spec is not None and spec.pending is not None and store is not None:
            project = project or run_scope(runtime, "")[0]
            try:
                parsed = spec.args.model_validate(args)
                out.update(spec.pending(parsed, store, project))
            except (ArtifactContentError, ValueError):
                pass  # that call reports its own error; check against what is stored
            continue
        if tc.get("name") != "write":
            continue
        if args.get("merge_strategy", "replace") != "replace":
            continue
        kind, content, path = args.get("artifact_type"), args.get("content"), args.get("path")
        try:
            if kind == "code" and path and isinstance(content, str):
                out[("code", normalize_code_path(path))] = content
            elif kind == "code" and not path and content is not None:
                for f in parse_code_bundle(content).files:
                    out[("code", f.path)] = f.content
            elif kind in STRUCTURED_TYPES:
                out[(kind, "")] = content if isinstance(content, str) else json.dumps(content)
        except (ArtifactContentError, ValueError):
            continue  # that call reports its own error; check against what is stored
    return out


Result = tuple[str, dict[str, Any]]


def _result(payload: dict[str, Any], summary: str = "") -> Result:
    out = ToolOutcome(ok=bool(payload.get("ok", True)), summary=summary)
    return json.dumps(payload, ensure_ascii=False, default=str), out.as_artifact()


def _error(message: str, **extra: Any) -> Result:
    text = json.dumps({"ok": False, "error": message, **extra}, ensure_ascii=False)
    return text, ToolOutcome(ok=False, summary=message, error=message).as_artifact()


def emit_written(
    runtime: ToolRuntime, written: list[tuple[VersionView, bool]], findings: list[dict[str, Any]]
) -> None:
    """One ``artifact_written`` event per saved version, for the caller's stream."""
    errors = sum(1 for f in findings if f.get("severity") == "error")
    for v, created in written:
        _emit(
            runtime,
            {
                "event": "artifact_written",
                "artifact_type": v.type,
                "path": v.path or None,
                "version": v.version,
                "created": created,
                "deleted": v.deleted,
                "findings": errors,
            },
        )


def _path_for(artifact_type: str, path: str | None) -> str:
    if artifact_type == "code":
        if not path:
            raise ToolUsageError(
                "code artifacts need a `path` such as 'src/main.cpp' (or, for write, content "
                'as {"files": [{"path", "language", "content"}]})'
            )
        return normalize_code_path(path)
    if path:
        raise ToolUsageError(f"`path` is only used with code; {artifact_type} has one document")
    return ""


def _emit(runtime: ToolRuntime, event: dict[str, Any]) -> None:
    try:
        runtime.stream_writer({"ohm": event})
    except Exception:  # pragma: no cover - a missing stream must never fail a tool
        log.debug("stream writer unavailable", exc_info=True)


def _written(v: VersionView, created: bool) -> dict[str, Any]:
    return {"type": v.type, "path": v.path or None, "version": v.version, "created": created}


def build_tools(
    agent: str,
    names: tuple[str, ...],
    store: StoreProvider,
    checker: Checker | None = None,
    project_checker: ProjectChecker | None = None,
) -> list[BaseTool]:
    """The tools ``agent`` may use, bound to the artifact store."""

    @tool("list_artifacts", response_format="content_and_artifact")
    def list_artifacts(runtime: Runtime) -> Result:
        """List the project's artifacts: type, path (for code), latest version and writer."""
        project, meta = run_scope(runtime, agent)
        rows = [
            {
                "type": v.type,
                "path": v.path or None,
                "version": v.version,
                "agent": v.agent,
                "updated": v.created_at.isoformat(timespec="seconds"),
                "chars": len(v.content),
                "errors": sum(1 for f in v.findings if f.get("severity") == "error"),
            }
            for v in visible_versions(store(), runtime, project, meta.run_id)
        ]
        return _result(
            {"ok": True, "project": project, "artifacts": rows}, f"{len(rows)} artifact(s)"
        )

    @tool("read", response_format="content_and_artifact")
    def read(
        artifact_type: Annotated[ArtifactType, Field(description="Which artifact to read.")],
        runtime: Runtime,
        path: Annotated[
            str | None,
            Field(description="For code: the file path. Leave empty to get every code file."),
        ] = None,
        version: Annotated[
            int | None, Field(description="A past version number; empty for the latest.", ge=1)
        ] = None,
    ) -> Result:
        """Read an artifact of this project (the latest version unless one is given)."""
        project, meta = run_scope(runtime, agent)
        st = store()
        seen = visible_versions(st, runtime, project, meta.run_id)
        if artifact_type == "code" and not path:
            files = [v for v in seen if v.type == "code"]
            if not files:
                return _result({"ok": True, "exists": False, "files": []}, "not found")
            return _result(
                {
                    "ok": True,
                    "exists": True,
                    "files": [
                        {
                            "path": f.path,
                            "language": f.language,
                            "version": f.version,
                            "content": f.content[:MAX_READ_CHARS],
                        }
                        for f in files
                    ],
                },
                f"found {len(files)} code file(s)",
            )
        p = _path_for(artifact_type, path)
        v = (
            st.get_version(project, artifact_type, version, p)
            if version
            else next((x for x in seen if x.type == artifact_type and x.path == p), None)
        )
        if v is None or v.deleted:
            return _result(
                {"ok": True, "exists": False, "type": artifact_type, "path": p or None},
                "not found",
            )
        content: Any = v.content
        if artifact_type in STRUCTURED_TYPES:
            content = json.loads(v.content)
        elif len(v.content) > MAX_READ_CHARS:
            content = v.content[:MAX_READ_CHARS] + "\n[... truncated ...]"
        return _result(
            {
                "ok": True,
                "exists": True,
                "type": artifact_type,
                "path": p or None,
                "version": v.version,
                "language": v.language,
                "agent": v.agent,
                "content": content,
                "findings": v.findings,
            },
            "found",
        )

    @tool("write", response_format="content_and_artifact")
    def write(
        artifact_type: Annotated[ArtifactType, Field(description="Which artifact to write.")],
        content: Annotated[
            str | dict[str, Any] | list[Any],
            Field(
                description=(
                    "Markdown for context/mvp/prd/conversation_summary; a JSON object "
                    "for bom and wiring (see your instructions); file text for code."
                )
            ),
        ],
        runtime: Runtime,
        merge_strategy: Annotated[
            MergeStrategy,
            Field(
                description=(
                    "replace: new version is exactly this. append: add to the end (text) or "
                    "add components/connections. merge: update matching bom components (by "
                    "part number or name), wiring components (by id) and connections, "
                    "Markdown sections (by heading), code files (by path)."
                )
            ),
        ] = "replace",
        path: Annotated[
            str | None, Field(description="For code only: relative file path, e.g. src/main.cpp")
        ] = None,
        language: Annotated[
            str | None, Field(description="For code only: cpp, c, ini, python, json ...")
        ] = None,
    ) -> Result:
        """Save a new version of a project artifact. Earlier versions are always kept."""
        project, meta = run_scope(runtime, agent)
        st = store()
        try:
            if artifact_type == "code":
                written = _write_code(st, project, content, path, language, merge_strategy, meta)
            else:
                written = [
                    _write_doc(st, project, artifact_type, content, path, merge_strategy, meta)
                ]
        except (ArtifactContentError, ToolUsageError, ValueError) as exc:
            return _error(str(exc), hint="Fix the content and call write again.")
        findings: list[dict[str, Any]] = []
        if checker and artifact_type in ("bom", "wiring", "code"):
            try:
                pending = batch_writes(runtime, exclude=runtime.tool_call_id, store=st)
                findings = checker(st, project, [v for v, _ in written], pending)
            except Exception as exc:  # a broken check must not lose the write
                log.exception("checks failed")
                findings = [{"rule": "check-failed", "severity": "info", "message": str(exc)}]
        emit_written(runtime, written, findings)
        return finish(written, findings)

    @tool("delete", response_format="content_and_artifact")
    def delete(
        artifact_type: Annotated[ArtifactType, Field(description="Which artifact to delete.")],
        runtime: Runtime,
        path: Annotated[str | None, Field(description="For code only: the file path.")] = None,
    ) -> Result:
        """Delete an artifact. Its past versions stay readable in the history."""
        project, meta = run_scope(runtime, agent)
        try:
            p = _path_for(artifact_type, path)
        except (ToolUsageError, ValueError) as exc:
            return _error(str(exc))
        st = store()
        if st.latest(project, artifact_type, p) is None:
            return _error(f"there is no {artifact_type}{' ' + p if p else ''} to delete")
        out = st.write(project, artifact_type, lambda _prev: "", path=p, meta=meta, deleted=True)
        emit_written(runtime, [(out.version, out.created)], [])
        text = json.dumps({"ok": True, "deleted": _written(out.version, out.created)})
        version = WrittenVersion(
            type=artifact_type, path=p or None, version=out.version.version, deleted=True
        )
        outcome = ToolOutcome(summary=written_summary([version], []), written=[version])
        return text, outcome.as_artifact()

    @tool("run_checks", response_format="content_and_artifact")
    def run_checks(runtime: Runtime) -> Result:
        """Run Ohm's electrical, parts-list and firmware checks across the whole project
        (wiring against catalog facts, BOM against wiring, firmware against wiring)."""
        project, _ = run_scope(runtime, agent)
        if project_checker is None:
            return _error("checks are not available in this installation")
        report = project_checker(store(), project)
        text, _ = _result({"ok": True, **report})
        findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
        errors = sum(1 for f in findings if f.get("severity") == "error")
        outcome = ToolOutcome(summary=f"{errors} check error(s)", findings=findings)
        return text, outcome.as_artifact()

    from .typed_writes import TYPED_WRITES, WriteDeps, build_typed_write, finish

    deps = WriteDeps(agent=agent, store=store, checker=checker)
    fixed: dict[str, BaseTool] = {
        "list_artifacts": list_artifacts,
        "read": read,
        "write": write,
        "delete": delete,
        "run_checks": run_checks,
        "parts_catalog": build_catalog_tool(),
        **_attachment_tools(agent, names, store),
    }
    out: list[BaseTool] = []
    for n in names:
        if n in fixed:
            out.append(compacted(fixed[n]))
        elif n in TYPED_WRITES:
            out.append(build_typed_write(TYPED_WRITES[n], deps))
    return out


def _attachment_tools(
    agent: str, names: tuple[str, ...], store: StoreProvider
) -> dict[str, BaseTool]:
    """The circuit inspector's and datasheet analyst's typed write tools, when asked for."""
    from .inspection import build_inspection_tool
    from .project_parts import build_project_part_tool

    out: dict[str, BaseTool] = {}
    if "write_inspection" in names:
        out["write_inspection"] = build_inspection_tool(agent, store)
    if "save_project_part" in names:
        out["save_project_part"] = build_project_part_tool(agent, store)
    return out


def _write_doc(
    st: ArtifactStore,
    project: str,
    artifact_type: str,
    content: str | dict[str, Any] | list[Any],
    path: str | None,
    strategy: str,
    meta: WriteMeta,
) -> tuple[VersionView, bool]:
    _path_for(artifact_type, path)
    if artifact_type in STRUCTURED_TYPES:
        if isinstance(content, list):
            raise ArtifactContentError(f"{artifact_type} content must be a JSON object")

        def build(prev: VersionView | None) -> str:
            return combine_structured(
                artifact_type, prev.content if prev else None, content, strategy
            )

        language = "json"
    else:
        if not isinstance(content, str):
            raise ArtifactContentError(f"{artifact_type} content must be Markdown text")
        if not content.strip():
            raise ArtifactContentError(f"{artifact_type} content is empty")

        def build(prev: VersionView | None) -> str:
            return combine_text(prev.content if prev else None, content, strategy)

        language = "markdown"
    out = st.write(
        project, artifact_type, build, language=language, merge_strategy=strategy, meta=meta
    )
    return out.version, out.created


def _write_code(
    st: ArtifactStore,
    project: str,
    content: str | dict[str, Any] | list[Any],
    path: str | None,
    language: str | None,
    strategy: str,
    meta: WriteMeta,
) -> list[tuple[VersionView, bool]]:
    if path:
        if not isinstance(content, str):
            raise ArtifactContentError("with a `path`, code content must be the file's text")
        p = normalize_code_path(path)
        files = [(p, language or guess_language(p), content)]
        bundle = False
    else:
        if isinstance(content, str) and not content.lstrip().startswith(("{", "[")):
            _path_for("code", None)  # raises: plain source text needs a path
        parsed = parse_code_bundle(content)
        files = [(f.path, f.language or guess_language(f.path), f.content) for f in parsed.files]
        bundle = True
    if not any(text.strip() for _, _, text in files):
        raise ArtifactContentError("code content is empty")
    out: list[tuple[VersionView, bool]] = []
    for p, lang, text in files:

        def build(prev: VersionView | None, text: str = text) -> str:
            if prev is not None and strategy == "append":
                return prev.content.rstrip("\n") + "\n" + text
            return text

        r = st.write(
            project, "code", build, path=p, language=lang, merge_strategy=strategy, meta=meta
        )
        out.append((r.version, r.created))
    if bundle and strategy == "replace":
        # A full bundle replaces the code set: files it no longer has are deleted.
        keep = {p for p, _, _ in files}
        for v in st.list_latest(project):
            if v.type == "code" and v.path not in keep:
                r = st.write(project, "code", lambda _p: "", path=v.path, meta=meta, deleted=True)
                out.append((r.version, r.created))
    return out


def describe_error(exc: BaseException) -> str:
    """One line for a tool failure that was not the model's fault."""
    if isinstance(exc, StoreError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
