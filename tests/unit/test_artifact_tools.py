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


async def run_agent(
    store: ArtifactStore, tmp_path: Path, agent: str, *steps: AIMessage
) -> ModelBook:
    """Run one turn forced to ``agent``, which performs ``steps`` then replies."""
    book = ModelBook(**{agent: [*steps, AIMessage("done")]})
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store))
    async with line:
        await line.achat("start", thread="t", agent=agent)
    return book


async def run_initializer(store: ArtifactStore, tmp_path: Path, *steps: AIMessage) -> ModelBook:
    return await run_agent(store, tmp_path, "project_initializer", *steps)


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


async def test_code_files_append_and_replace_only_touch_named_files(
    store: ArtifactStore, tmp_path: Path
) -> None:
    await run_agent(
        store,
        tmp_path,
        "code_generator",
        tools_msg(
            call(
                "write_code_files",
                files=[
                    {"path": "src/main.cpp", "text": "void loop() {}"},
                    {"path": "include/config.h", "text": "#define LED_PIN 2"},
                ],
            )
        ),
        tools_msg(
            call("write_code", path="include/config.h", text="#define BUZZER_PIN 4", append=True)
        ),
        tools_msg(call("write_code", path="platformio.ini", text="[env:x]")),
        # Replacing one file of three leaves the other two as they were.
        tools_msg(call("write_code_files", files=[{"path": "src/main.cpp", "text": "// v2"}])),
    )
    latest = {v.path: v for v in store.list_latest("default") if v.type == "code"}
    assert set(latest) == {"src/main.cpp", "include/config.h", "platformio.ini"}
    assert latest["src/main.cpp"].content == "// v2" and latest["src/main.cpp"].language == "cpp"
    assert latest["include/config.h"].content == "#define LED_PIN 2\n#define BUZZER_PIN 4"
    assert latest["platformio.ini"].language == "ini"


async def test_code_files_delete_only_the_paths_named(store: ArtifactStore, tmp_path: Path) -> None:
    files = [{"path": p, "text": f"// {p}"} for p in ("src/main.cpp", "src/old.cpp", "a.ini")]
    book = await run_agent(
        store,
        tmp_path,
        "code_generator",
        tools_msg(call("write_code_files", files=files)),
        tools_msg(
            call(
                "write_code_files",
                files=[{"path": "src/main.cpp", "text": "// new"}],
                delete=["src/old.cpp"],
            ),
            call("write_code_files", delete=["src/never.cpp"]),
        ),
    )
    replaced, missing = tool_results(book, "code_generator")
    assert [(w["path"], w["deleted"]) for w in replaced["written"]] == [
        ("src/main.cpp", False),
        ("src/old.cpp", True),
    ]
    assert missing["ok"] is False and "src/never.cpp" in missing["error"]
    latest = {v.path: v.content for v in store.list_latest("default") if v.type == "code"}
    assert latest == {"src/main.cpp": "// new", "a.ini": "// a.ini"}


@pytest.mark.parametrize(
    "path",
    ["../escape.cpp", "/etc/passwd", "src/../../x.h", "C:/x.ino", "src/ma\x00in.cpp", "a\nb.h"],
)
async def test_code_paths_cannot_leave_the_project(
    store: ArtifactStore, tmp_path: Path, path: str
) -> None:
    book = await run_agent(
        store,
        tmp_path,
        "code_generator",
        tools_msg(call("write_code", path=path, text="x")),
        tools_msg(call("write_code_files", files=[{"path": path, "text": "x"}])),
    )
    (single,) = tool_results(book, "code_generator", last_batch=False)[:1]
    (batch,) = tool_results(book, "code_generator")
    for result in (single, batch):
        assert result["ok"] is False and "path" in result["error"]
    if "\x00" in path or "\n" in path:
        assert "control character" in single["error"]
    assert store.list_latest("default") == []


async def test_documents_need_a_known_kind_and_text(store: ArtifactStore, tmp_path: Path) -> None:
    book = await run_initializer(
        store,
        tmp_path,
        tools_msg(
            call("write_document", kind="notes", markdown="# x"),
            call("write_document", kind="prd", markdown="   "),
            call("write_document", kind="context"),
        ),
    )
    results = tool_results(book)
    assert [r["ok"] for r in results] == [False, False, False]
    assert "kind" in results[0]["error"] and "'context'" in results[0]["error"]
    assert "empty" in results[1]["error"]
    assert "markdown: Field required" in results[2]["error"]


async def test_read_list_and_delete(store: ArtifactStore, tmp_path: Path) -> None:
    book = await run_initializer(
        store,
        tmp_path,
        tools_msg(call("write_document", kind="prd", markdown="# PRD v1")),
        tools_msg(call("write_document", kind="prd", markdown="## Extra", merge="append")),
        tools_msg(
            call("read", artifact_type="prd"),
            call("read", artifact_type="prd", version=1),
            call("list_artifacts"),
        ),
        # Calls of one answer run concurrently: the delete comes in the next answer, so
        # the listing above cannot race it.
        tools_msg(call("delete", artifact_type="prd"), call("read", artifact_type="mvp")),
    )
    latest, first, listing, deleted, missing = tool_results(book, last_batch=False)[-5:]
    assert latest["version"] == 2 and latest["content"] == "# PRD v1\n\n## Extra"
    assert first["version"] == 1 and first["content"] == "# PRD v1"
    assert [(a["type"], a["version"]) for a in listing["artifacts"]] == [("prd", 2)]
    assert deleted["deleted"]["version"] == 3
    assert missing["exists"] is False
    assert store.latest("default", "prd") is None


async def test_replayed_tool_call_id_is_a_no_op(store: ArtifactStore, tmp_path: Path) -> None:
    same = call("write_document", kind="context", markdown="# once")
    book = await run_initializer(
        store,
        tmp_path,
        tools_msg(same),
        tools_msg({**same, "args": {"kind": "context", "markdown": "# twice"}}),
    )
    first, second = tool_results(book, last_batch=False)
    assert first["written"][0]["created"] is True
    assert second["written"][0] == {
        "type": "context",
        "path": None,
        "version": 1,
        "created": False,
        "deleted": False,
    }
    assert [v.content for v in store.history("default", "context")] == ["# once"]


async def test_debugger_cannot_write(store: ArtifactStore, tmp_path: Path) -> None:
    from tests.fakes import intent

    book = ModelBook(
        project_initializer=[AIMessage("hi")],
        orchestrator=[intent("DEBUG")],
        debugger=[
            tools_msg(call("write_document", kind="context", markdown="x")),
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
