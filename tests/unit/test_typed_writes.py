"""Typed write tools: quirks read where the meaning is clear, errors that name the field,
fields Ohm fills in, typed outcomes on the tool messages, and the prompts' examples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from pydantic import ValidationError

from graph.assembly_line import AssemblyLine
from nodes.agents import AGENTS, SPECIALISTS
from nodes.deps import Deps
from persistence.store import ArtifactStore
from tests.fakes import ModelBook, call, tools_msg
from tools.checks.wiring import check_wiring
from tools.results import outcome_of
from tools.schemas import Wiring
from tools.typed_writes import TYPED_WRITES, WriteBomArgs, WriteCodeArgs, WriteWiringArgs

PART = {"name": "ESP32 dev board", "part_number": "ESP32-DEVKITC-32E", "manufacturer": "Espressif"}


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")


async def run_agent(
    store: ArtifactStore, tmp_path: Path, agent: str, *steps: AIMessage
) -> ModelBook:
    book = ModelBook(**{agent: [*steps, AIMessage("done")]})
    line = AssemblyLine(data_dir=tmp_path / "d", deps=Deps(models=book, store=lambda: store))
    async with line:
        await line.achat("start", thread="t", agent=agent)
    return book


def tool_messages(book: ModelBook, agent: str) -> list[ToolMessage]:
    return [m for m in book.models[agent].prompts[-1] if isinstance(m, ToolMessage)]


# ------------------------------------------------------------------------ quirks


def test_numbers_with_units_are_read_in_the_fields_unit() -> None:
    args = WriteBomArgs.model_validate(
        {
            "bom": {
                "components": [{**PART, "quantity": "2 pcs", "unit_cost": "$4.50"}],
                "power_analysis": {
                    "supply_voltage": "5 V",
                    "supply_current_ma": "2 A",
                    "typical_current_ma": "85mA",
                    "peak_current_ma": "250",
                },
            }
        }
    )
    (c,) = args.bom.components
    assert (c.quantity, c.unit_cost) == (2, 4.5)
    pa = args.bom.power_analysis
    assert pa is not None
    assert (pa.supply_voltage, pa.supply_current_ma, pa.typical_current_ma) == (5.0, 2000.0, 85.0)
    assert pa.peak_current_ma == 250.0
    assert args.bom.total_cost == 9.0  # computed, not asked for


@pytest.mark.parametrize(
    "bom",
    [
        json.dumps({"components": [PART]}),
        "```json\n" + json.dumps({"components": [PART]}) + "\n```",
        {"components": json.dumps([PART])},
    ],
    ids=["object-as-string", "fenced-block", "list-as-string"],
)
def test_objects_sent_as_text_are_read(bom: Any) -> None:
    args = WriteBomArgs.model_validate({"bom": bom})
    assert [c.part_number for c in args.bom.components] == ["ESP32-DEVKITC-32E"]


def test_artifact_fields_at_the_top_level_are_the_artifact() -> None:
    args = WriteWiringArgs.model_validate(
        {"components": [{"id": "mcu", "part": "esp32-devkit-v1"}], "merge": "merge"}
    )
    assert args.merge == "merge" and args.wiring.components[0].id == "mcu"
    legacy = WriteBomArgs.model_validate(
        {"artifact_type": "bom", "content": {"components": [PART]}}
    )
    assert legacy.bom.components[0].name == "ESP32 dev board"


@pytest.mark.parametrize(
    ("value", "field"),
    [("five volts", "supply_voltage"), ("5 A", "supply_voltage"), ("3 V", "peak_current_ma")],
)
def test_numbers_whose_unit_does_not_fit_are_refused(value: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        WriteBomArgs.model_validate(
            {"bom": {"components": [PART], "power_analysis": {field: value}}}
        )
    assert err.value.errors()[0]["loc"] == ("bom", "power_analysis", field)


def test_code_language_aliases_and_a_fenced_file() -> None:
    args = WriteCodeArgs.model_validate(
        {"path": "src/main.cpp", "language": "C++", "text": "```cpp\nvoid loop() {}\n```"}
    )
    assert args.language == "cpp" and args.text == "void loop() {}\n"


# --------------------------------------------------------- through the real ToolNode


async def test_validation_errors_name_the_field_and_show_the_shape(
    store: ArtifactStore, tmp_path: Path
) -> None:
    bad = {
        "components": [{"name": "ESP32", "quantity": 0}],
        "power_analysis": {"supply_voltage": "lots"},
    }
    book = await run_agent(store, tmp_path, "bom_generator", tools_msg(call("write_bom", bom=bad)))
    (msg,) = tool_messages(book, "bom_generator")
    body = json.loads(str(msg.content))
    assert body["ok"] is False
    for loc in (
        "bom.components.0.part_number",
        "bom.components.0.manufacturer",
        "bom.components.0.quantity",
        "bom.power_analysis.supply_voltage",
    ):
        assert f"- {loc}:" in body["error"]
    assert '(got "lots")' in body["error"]
    assert "expected write_bom({bom: {" in body["error"] and "part_number: str" in body["error"]
    assert len(body["error"]) < 2500  # compact enough to fit a small model's context
    outcome = outcome_of(msg)
    assert outcome.ok is False and "bom.components.0.part_number" in outcome.summary
    assert store.latest("default", "bom") is None


async def test_ohm_fills_the_project_name_total_and_language(
    store: ArtifactStore, tmp_path: Path
) -> None:
    await run_agent(
        store,
        tmp_path,
        "project_initializer",
        tools_msg(call("write_document", kind="context", markdown="# Soil monitor\n\nGoal")),
    )
    parts = [
        {**PART, "quantity": 2, "unit_cost": 4.0},
        {**PART, "part_number": "X1", "unit_cost": 1.5},
    ]
    book = await run_agent(
        store, tmp_path, "bom_generator", tools_msg(call("write_bom", bom={"components": parts}))
    )
    saved = json.loads(store.latest("default", "bom").content)  # type: ignore[union-attr]
    assert saved["project_name"] == "Soil monitor" and saved["total_cost"] == 9.5
    (msg,) = tool_messages(book, "bom_generator")
    outcome = outcome_of(msg)
    assert outcome.ok and [(w.type, w.version) for w in outcome.written] == [("bom", 1)]

    await run_agent(
        store,
        tmp_path,
        "code_generator",
        tools_msg(call("write_code", path="platformio.ini", text="[env:x]\n")),
    )
    assert store.latest("default", "code", "platformio.ini").language == "ini"  # type: ignore[union-attr]


async def test_bom_merge_changes_one_part_and_keeps_the_name(
    store: ArtifactStore, tmp_path: Path
) -> None:
    first = {
        "components": [{**PART, "unit_cost": 4.0}, {**PART, "part_number": "X1", "name": "LED"}]
    }
    change = {
        "components": [{"name": "LED", "part_number": "X1", "manufacturer": "K", "quantity": 3}]
    }
    await run_agent(
        store,
        tmp_path,
        "bom_generator",
        tools_msg(call("write_bom", bom=first)),
        tools_msg(call("write_bom", bom=change, merge="merge")),
    )
    saved = json.loads(store.latest("default", "bom").content)  # type: ignore[union-attr]
    assert saved["project_name"] == "default"  # no brief: the project's id
    assert [(c["part_number"], c["quantity"]) for c in saved["components"]] == [
        ("ESP32-DEVKITC-32E", 1),
        ("X1", 3),
    ]


async def test_wiring_merge_may_name_stored_components(
    store: ArtifactStore, tmp_path: Path
) -> None:
    wiring = {
        "components": [{"id": "mcu", "part": "esp32-devkit-v1"}, {"id": "env", "part": "bme280"}]
    }
    wire = {"from_component": "mcu", "from_pin": "GND", "to_component": "env", "to_pin": "GND"}
    dangling = {**wire, "to_component": "ghost"}
    book = await run_agent(
        store,
        tmp_path,
        "wiring_diagram",
        tools_msg(call("write_wiring", wiring=wiring)),
        tools_msg(call("write_wiring", wiring={"connections": [wire]}, merge="merge")),
        tools_msg(call("write_wiring", wiring={"connections": [dangling]}, merge="merge")),
    )
    saved = json.loads(store.latest("default", "wiring").content)  # type: ignore[union-attr]
    assert saved["connections"] == [{**wire, "wire_color": None, "notes": None}]
    last = json.loads(str(tool_messages(book, "wiring_diagram")[-1].content))
    assert last["ok"] is False and "ghost" in last["error"]


async def test_outcomes_of_old_messages_without_an_artifact_are_still_read() -> None:
    old = ToolMessage(
        content=json.dumps(
            {"ok": True, "written": [{"type": "bom", "path": None, "version": 2, "created": True}]}
        ),
        tool_call_id="c1",
        name="write",
    )
    assert old.artifact is None
    outcome = outcome_of(old)
    assert outcome.ok and outcome.summary == "wrote bom v2"
    failed = outcome_of(ToolMessage(content="Error: boom", tool_call_id="c2", status="error"))
    assert failed.ok is False and failed.error == "Error: boom"


# ----------------------------------------------------------------------- prompts


def _examples(agent: str) -> list[dict[str, Any]]:
    text = AGENTS[agent].prompt
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]


@pytest.mark.parametrize("agent", SPECIALISTS)
def test_each_prompt_states_its_context_and_step_budget(agent: str) -> None:
    prompt = " ".join(AGENTS[agent].prompt.split())
    assert "{max_steps}" not in prompt
    assert f"at most {AGENTS[agent].max_steps} model steps" in prompt
    assert "end of this prompt lists the project's artifacts" in prompt
    assert "list_artifacts" not in prompt  # the snapshot makes that round trip needless


@pytest.mark.parametrize("agent", SPECIALISTS)
def test_prompt_examples_are_valid_calls_of_the_agents_write_tool(agent: str) -> None:
    writes = [TYPED_WRITES[n] for n in AGENTS[agent].tools if n in TYPED_WRITES]
    examples = _examples(agent)
    if not writes:
        assert examples == []  # a read-only agent has nothing to show
        return
    assert len(examples) == 1, "one compact example per prompt"
    (example,) = examples
    accepted = []
    for spec in writes:
        try:
            spec.args.model_validate(example)
            accepted.append(spec.name)
        except ValidationError:
            continue
    assert accepted, f"the {agent} example fits none of {[w.name for w in writes]}"


def test_the_wiring_example_passes_ohms_checks() -> None:
    (example,) = _examples("wiring_diagram")
    errors = [
        f for f in check_wiring(Wiring.model_validate(example["wiring"])) if f.severity == "error"
    ]
    assert errors == []


def test_the_wiring_prompt_keeps_unknown_parts_unknown() -> None:
    prompt = " ".join(AGENTS["wiring_diagram"].prompt.split())
    assert "closest catalog part" not in prompt
    assert "reported as unknown, never swapped" in prompt


def test_a_document_with_several_code_blocks_is_kept_as_written() -> None:
    from tools.typed_writes import WriteDocumentArgs

    doc = "```\nfirst\n```\n\nBetween the blocks.\n\n```\nsecond\n```"
    args = WriteDocumentArgs.model_validate({"kind": "prd", "markdown": doc})
    assert args.markdown == doc
    fenced = WriteDocumentArgs.model_validate(
        {"kind": "prd", "markdown": "```markdown\n# PRD\n```"}
    )
    assert fenced.markdown == "# PRD\n"
