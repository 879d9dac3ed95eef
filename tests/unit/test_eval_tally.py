"""The real-model evaluation counts tool traffic from events, whatever the tools are called."""

from __future__ import annotations

from bench.eval_real import AgentTally, tally_events
from graph.events import AgentSelected, ArtifactWritten, ToolCalled, ToolResult


def test_calls_failures_saves_and_checks_are_counted_per_agent() -> None:
    events = [
        AgentSelected(agent="bom_generator", intent="BOM", route="local"),
        ToolCalled(agent="bom_generator", tool="write_bom", call_id="1", args={}),
        ToolResult(agent="bom_generator", tool="write_bom", call_id="1", ok=False, summary="x"),
        ToolCalled(agent="bom_generator", tool="anything", call_id="2", args={}),
        ToolResult(agent="bom_generator", tool="anything", call_id="2", ok=True, summary="ok"),
        ArtifactWritten(agent="bom_generator", artifact_type="bom", path=None, version=1),
        ArtifactWritten(
            agent="bom_generator", artifact_type="wiring", path=None, version=1, errors=2
        ),
        ArtifactWritten(
            agent="bom_generator", artifact_type="bom", path=None, version=1, created=False
        ),
    ]
    tallies: dict[str, AgentTally] = {}
    assert tally_events(events, tallies, "unknown") == "bom_generator"
    t = tallies["bom_generator"]
    assert (t.tool_calls, t.failed_calls, t.saved, t.checks_passed) == (2, 1, 2, 1)
    assert t.saved_types == ["bom", "wiring"]
