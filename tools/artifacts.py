"""The artifact tools the specialists call: read, write, delete and list_artifacts.

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
from .schemas import (
    STRUCTURED_TYPES,
    ArtifactContentError,
    ArtifactType,
    MergeStrategy,
    guess_language,
    normalize_code_path,
    parse_code_bundle,
)

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


def batch_writes(runtime: ToolRuntime, exclude: str | None) -> dict[tuple[str, str], str]:
    """Full replacements written by the other tool calls of the model's current message.

    ToolNode runs a message's calls concurrently; knowing what the siblings write lets
    every call be checked against the state the whole batch leaves. Appends and merges
    depend on the stored version, so they are left to the store.
    """
    state = runtime.state if isinstance(runtime.state, dict) else {}
    messages = state.get("messages") or []
    last = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
    out: dict[tuple[str, str], str] = {}
    for tc in last.tool_calls if last is not None else []:
        args = tc.get("args") or {}
        if tc.get("name") != "write" or tc.get("id") == exclude:
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


def _result(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, default=str)


def _error(message: str, **extra: Any) -> str:
    return _result({"ok": False, "error": message, **extra})


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

    @tool("list_artifacts")
    def list_artifacts(runtime: Runtime) -> str:
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
        return _result({"ok": True, "project": project, "artifacts": rows})

    @tool("read")
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
    ) -> str:
        """Read an artifact of this project (the latest version unless one is given)."""
        project, meta = run_scope(runtime, agent)
        st = store()
        seen = visible_versions(st, runtime, project, meta.run_id)
        if artifact_type == "code" and not path:
            files = [v for v in seen if v.type == "code"]
            if not files:
                return _result({"ok": True, "exists": False, "files": []})
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
                }
            )
        p = _path_for(artifact_type, path)
        v = (
            st.get_version(project, artifact_type, version, p)
            if version
            else next((x for x in seen if x.type == artifact_type and x.path == p), None)
        )
        if v is None or v.deleted:
            return _result({"ok": True, "exists": False, "type": artifact_type, "path": p or None})
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
            }
        )

    @tool("write")
    def write(
        artifact_type: Annotated[ArtifactType, Field(description="Which artifact to write.")],
        content: Annotated[
            str | dict[str, Any] | list[Any],
            Field(
                description=(
                    "Markdown for context/mvp/prd/budget/conversation_summary; a JSON object "
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
    ) -> str:
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
                pending = batch_writes(runtime, exclude=runtime.tool_call_id)
                findings = checker(st, project, [v for v, _ in written], pending)
            except Exception as exc:  # a broken check must not lose the write
                log.exception("checks failed")
                findings = [{"rule": "check-failed", "severity": "info", "message": str(exc)}]
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
                    "findings": sum(1 for f in findings if f.get("severity") == "error"),
                },
            )
        errors = [f for f in findings if f.get("severity") == "error"]
        payload: dict[str, Any] = {
            "ok": True,
            "written": [_written(v, c) for v, c in written],
            "findings": findings,
        }
        if errors:
            payload["next"] = (
                f"{len(errors)} error(s) found by Ohm's checks: fix them and write again "
                "before you answer."
            )
        return _result(payload)

    @tool("delete")
    def delete(
        artifact_type: Annotated[ArtifactType, Field(description="Which artifact to delete.")],
        runtime: Runtime,
        path: Annotated[str | None, Field(description="For code only: the file path.")] = None,
    ) -> str:
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
        _emit(
            runtime,
            {
                "event": "artifact_written",
                "artifact_type": artifact_type,
                "path": p or None,
                "version": out.version.version,
                "created": out.created,
                "deleted": True,
                "findings": 0,
            },
        )
        return _result({"ok": True, "deleted": _written(out.version, out.created)})

    @tool("run_checks")
    def run_checks(runtime: Runtime) -> str:
        """Run Ohm's electrical, parts-list and firmware checks across the whole project
        (wiring against catalog facts, BOM against wiring, firmware against wiring)."""
        project, _ = run_scope(runtime, agent)
        if project_checker is None:
            return _error("checks are not available in this installation")
        return _result({"ok": True, **project_checker(store(), project)})

    available = {
        "list_artifacts": list_artifacts,
        "read": read,
        "write": write,
        "delete": delete,
        "run_checks": run_checks,
        "parts_catalog": build_catalog_tool(),
    }
    return [available[n] for n in names if n in available]


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
