"""What LangGraph's dev server and Studio get from Ohm, checked without starting a server.

``langgraph.json`` names the graph (compiled without a checkpointer) and a checkpointer
factory; the server loads both the way these tests do. The server itself is exercised in
``tests/integration/test_studio_server.py``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from graph.assembly_line import AssemblyLine
from graph.builder import compile_graph
from nodes.agents import SPECIALISTS
from nodes.deps import Deps
from persistence.store import ArtifactStore
from tests.fakes import ModelBook, call, intent, tools_msg

REPO = Path(__file__).resolve().parents[2]
CONFIG = json.loads((REPO / "langgraph.json").read_text())


def studio_graph() -> object:
    module_name, variable = CONFIG["graphs"]["ohm"].split(":")
    return getattr(importlib.import_module(module_name), variable)


def load_checkpointer_module() -> ModuleType:
    """Load the checkpointer file by path, outside the package, as the dev server does."""
    path, _ = CONFIG["checkpointer"]["path"].rsplit(":", 1)
    spec = importlib.util.spec_from_file_location("persistence__studio", REPO / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def book() -> ModelBook:
    return ModelBook(
        project_initializer=[
            tools_msg(call("write_document", kind="context", markdown="# Greenhouse\n")),
            AIMessage("Welcome!"),
        ],
        orchestrator=[intent("CHAT")],
        conversational=[AIMessage("Happy to help.")],
    )


def test_the_configured_graph_has_no_checkpointer_and_draws_every_route() -> None:
    graph = studio_graph()
    assert getattr(graph, "checkpointer", "missing") is None  # the dev server refuses one
    edges = {(e.source, e.target, e.conditional) for e in graph.get_graph().edges}  # type: ignore[attr-defined]
    assert ("__start__", "classify", False) in edges
    # The entry node of older threads is kept for their checkpoints, with no way into it.
    assert not any(target == "entry" for _, target, _ in edges)
    for agent in SPECIALISTS:
        assert ("classify", agent, True) in edges
        assert (agent, f"{agent}_tools", True) in edges
        assert (f"{agent}_tools", agent, False) in edges
        assert (agent, "__end__", True) in edges
        assert (agent, "summarize", True) in edges  # only on turns a summary is due
    assert ("summarize", "__end__", False) in edges


def test_the_context_studio_shows_has_a_default_for_every_field() -> None:
    graph = studio_graph()
    schema = graph.get_context_jsonschema()  # type: ignore[attr-defined]
    assert not schema.get("required")
    assert schema["properties"]["project"]["default"] == "default"
    assert {"project", "agent", "models", "temperatures"} <= set(schema["properties"])
    assert set(graph.get_input_jsonschema()["properties"]) == {"messages"}  # type: ignore[attr-defined]


async def test_a_run_with_only_a_message_creates_the_rows_ohm_needs(tmp_path: Path) -> None:
    """No context and no prior setup, as in Studio: entry creates the project and thread."""
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    assert not store.has_project("default")
    graph = compile_graph(Deps(models=book(), store=lambda: store), InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": "studio-1"}}
    await graph.ainvoke({"messages": [HumanMessage("A greenhouse fan controller")]}, config)
    out = await graph.ainvoke({"messages": [HumanMessage("Thanks!")]}, config)

    assert out["agent"] == "conversational" and out["route"] == "classifier"
    thread = store.get_thread("studio-1")
    assert (thread.project_id, thread.current_agent) == ("default", "conversational")
    [context] = store.history("default", "context")
    assert (context.thread_id, context.agent) == ("studio-1", "project_initializer")
    assert context.checkpoint_id is not None


async def test_the_checkpointer_factory_saves_where_ohm_history_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("OHM_DATA_DIR", str(data_dir))
    store = ArtifactStore.open(data_dir)
    factory = load_checkpointer_module().checkpointer
    async with factory() as saver:
        assert isinstance(saver, BaseCheckpointSaver)
        graph = compile_graph(Deps(models=book(), store=lambda: store), saver)
        await graph.ainvoke(
            {"messages": [HumanMessage("A greenhouse fan controller")]},
            {"configurable": {"thread_id": "studio-2"}},
        )
    assert (data_dir / "checkpoints.db").is_file()

    async with AssemblyLine(data_dir=data_dir, store=store) as line:
        history = await line.ahistory("studio-2")
    tools = next(h for h in history if h.node == "project_initializer_tools")
    assert [(a["type"], a["version"]) for a in tools.artifacts] == [("context", 1)]
    assert history[-1].agent == "project_initializer" and history[-1].next == ()


class BlockingCall(Exception):
    """A blocking call the dev server would have refused."""


def blocking_error(exc: BaseException | None) -> BaseException | None:
    while exc is not None and type(exc).__name__ != "BlockingError":
        exc = exc.__cause__ or getattr(exc, "orig", None) or exc.__context__
    return exc


async def test_the_graph_does_not_block_the_event_loop(tmp_path: Path) -> None:
    """The dev server's check, limited to SQLite calls made on the event loop thread."""
    blockbuster = pytest.importorskip("blockbuster")
    store = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    graph = compile_graph(Deps(models=book(), store=lambda: store), InMemorySaver())
    buster = blockbuster.BlockBuster()
    for name, function in buster.functions.items():
        if name.startswith("sqlite3."):
            function.activate()
    try:
        await graph.ainvoke(
            {"messages": [HumanMessage("A greenhouse fan controller")]},
            {"configurable": {"thread_id": "studio-3"}},
        )
    except Exception as exc:
        found = blocking_error(exc)
        if found is None:
            raise
        raise BlockingCall(str(found).splitlines()[0]) from exc
    finally:
        buster.deactivate()
