"""The artifact tools as the model sees them: results, merges, code bundles, replays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from graph.assembly_line import AssemblyLine
from nodes.deps import Deps
from persistence.store import ArtifactStore
from tests.fakes import ModelBook, call, tools_msg


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")


async def run_initializer(store: ArtifactStore, tmp_path: Path, *steps: AIMessage) -> ModelBook:
    """Run one kickoff turn whose initializer performs ``steps`` then replies."""
    book = ModelBook(project_initializer=[*steps, AIMessage("done")])
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store))
    async with line:
        await line.achat("start", thread="t")
    return book


def tool_results(
    book: ModelBook, agent: str = "project_initializer", *, last_batch: bool = True
) -> list[dict]:
    """Tool results the model saw: the latest batch, or every one this turn."""
    prompt = book.models[agent].prompts[-1]
    out: list[dict] = []
    for m in prompt:
        if isinstance(m, AIMessage) and last_batch:
            out = []
        elif isinstance(m, ToolMessage):
            out.append(json.loads(str(m.content)))
    return out


async def test_code_bundle_replace_merge_and_append(store: ArtifactStore, tmp_path: Path) -> None:
    bundle = {
        "files": [
            {"path": "src/main.cpp", "content": "void loop() {}"},
            {"path": "include/config.h", "content": "#define LED_PIN 2"},
        ]
    }
    await run_initializer(
        store,
        tmp_path,
        tools_msg(call("write", artifact_type="code", content=bundle)),
        tools_msg(
            call(
                "write",
                artifact_type="code",
                path="include/config.h",
                content="#define BUZZER_PIN 4",
                merge_strategy="append",
            )
        ),
        tools_msg(
            call(
                "write",
                artifact_type="code",
                merge_strategy="merge",
                content={"files": [{"path": "platformio.ini", "content": "[env:x]"}]},
            )
        ),
        tools_msg(
            call(
                "write",
                artifact_type="code",
                merge_strategy="replace",
                content={"files": [{"path": "src/main.cpp", "content": "// v2"}]},
            )
        ),
    )
    latest = {v.path: v for v in store.list_latest("default") if v.type == "code"}
    assert set(latest) == {"src/main.cpp"}  # the full bundle replaced the set
    assert latest["src/main.cpp"].content == "// v2" and latest["src/main.cpp"].language == "cpp"
    config = store.history("default", "code", "include/config.h")
    assert config[1].content == "#define LED_PIN 2\n#define BUZZER_PIN 4"
    assert config[-1].deleted
    ini = store.history("default", "code", "platformio.ini")
    assert ini[0].language == "ini" and ini[-1].deleted


@pytest.mark.parametrize("path", ["../escape.cpp", "/etc/passwd", "src/../../x.h", "C:/x.ino"])
async def test_code_paths_cannot_leave_the_project(
    store: ArtifactStore, tmp_path: Path, path: str
) -> None:
    book = await run_initializer(
        store, tmp_path, tools_msg(call("write", artifact_type="code", path=path, content="x"))
    )
    (result,) = tool_results(book)
    assert result["ok"] is False and "path" in result["error"]
    assert store.list_latest("default") == []


async def test_text_needs_no_path_and_code_needs_one(store: ArtifactStore, tmp_path: Path) -> None:
    book = await run_initializer(
        store,
        tmp_path,
        tools_msg(
            call("write", artifact_type="context", content="# x", path="notes.md"),
            call("write", artifact_type="code", content="int x;"),
            call("write", artifact_type="prd", content="   "),
        ),
    )
    results = tool_results(book)
    assert [r["ok"] for r in results] == [False, False, False]
    assert "only used with code" in results[0]["error"]
    assert "need a `path`" in results[1]["error"]
    assert "empty" in results[2]["error"]


async def test_read_list_and_delete(store: ArtifactStore, tmp_path: Path) -> None:
    book = await run_initializer(
        store,
        tmp_path,
        tools_msg(call("write", artifact_type="prd", content="# PRD v1")),
        tools_msg(call("write", artifact_type="prd", content="## Extra", merge_strategy="append")),
        tools_msg(
            call("read", artifact_type="prd"),
            call("read", artifact_type="prd", version=1),
            call("list_artifacts"),
            call("delete", artifact_type="prd"),
            call("read", artifact_type="mvp"),
        ),
    )
    latest, first, listing, deleted, missing = tool_results(book)
    assert latest["version"] == 2 and latest["content"] == "# PRD v1\n\n## Extra"
    assert first["version"] == 1 and first["content"] == "# PRD v1"
    assert [(a["type"], a["version"]) for a in listing["artifacts"]] == [("prd", 2)]
    assert deleted["deleted"]["version"] == 3
    assert missing["exists"] is False
    assert store.latest("default", "prd") is None


async def test_replayed_tool_call_id_is_a_no_op(store: ArtifactStore, tmp_path: Path) -> None:
    same = call("write", artifact_type="context", content="# once")
    book = await run_initializer(
        store,
        tmp_path,
        tools_msg(same),
        tools_msg({**same, "args": {"artifact_type": "context", "content": "# twice"}}),
    )
    first, second = tool_results(book, last_batch=False)
    assert first["written"][0]["created"] is True
    assert second["written"][0] == {"type": "context", "path": None, "version": 1, "created": False}
    assert [v.content for v in store.history("default", "context")] == ["# once"]


async def test_debugger_cannot_write(store: ArtifactStore, tmp_path: Path) -> None:
    from tests.fakes import intent

    book = ModelBook(
        project_initializer=[AIMessage("hi")],
        orchestrator=[intent("DEBUG")],
        debugger=[
            tools_msg(call("write", artifact_type="context", content="x")),
            AIMessage("read-only"),
        ],
    )
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store))
    async with line:
        await line.achat("start", thread="t")
        await line.achat("broken", thread="t")
    names = {getattr(t, "name", None) for t in book.models["debugger"].bound_tools[-1]}
    assert names == {"read", "list_artifacts", "run_checks", "parts_catalog"}
    result = book.models["debugger"].prompts[-1][-1]
    assert isinstance(result, ToolMessage) and "write" in result.content
    assert store.latest("default", "context") is None
