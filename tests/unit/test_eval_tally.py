"""The real-model evaluation counts tool traffic from events, whatever the tools are called."""

from __future__ import annotations

from pathlib import Path

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


LOG = """\
srv  params_from_: Chat format: Hermes 2 Pro
slot launch_slot_: id  0 | task 0 | processing task
slot update_slots: id  0 | task 0 | prompt processing, n_tokens =   2048, progress = 0.68
slot print_timing: id  0 | task 0 |
prompt eval time =   60000.00 ms /  3000 tokens (   20.00 ms per token)
       eval time =   25000.00 ms /   200 tokens (  125.00 ms per token)
      total time =   85000.00 ms /  3200 tokens
slot      release: id  0 | task 0 | stop processing: n_tokens = 3200, truncated = 0
srv  update_slots: all slots are idle
slot launch_slot_: id  0 | task 5 | processing task
slot print_timing: id  0 | task 5 | prompt eval time =    4000.00 ms /   400 tokens
slot print_timing: id  0 | task 5 |        eval time =   10000.00 ms /    80 tokens
slot      release: id  0 | task 5 | stop processing: n_tokens = 3680, truncated = 0
"""


def test_request_sizes_are_read_from_the_servers_log() -> None:
    from bench.eval_real import server_requests

    # The first task's timing lines follow the line that names it; the second task found
    # 3200 tokens of its prompt in the server's cache and evaluated 400.
    first, second = server_requests(LOG)
    assert (first.task, first.processed_tokens, first.generated_tokens) == (0, 3000, 200)
    assert first.prompt_tokens == 3000 and first.prompt_seconds == 60.0
    assert (second.task, second.processed_tokens, second.generated_tokens) == (5, 400, 80)
    assert second.prompt_tokens == 3600
    assert second.prompt_seconds == 4.0 and second.generate_seconds == 10.0
    assert server_requests("srv  update_slots: all slots are idle\n") == []


def test_only_what_the_log_gained_is_read(tmp_path: Path) -> None:
    from bench.eval_real import LogTail

    log = tmp_path / "server.log"
    log.write_text("old line\n")
    tail = LogTail(log)
    assert tail.new_text() == ""
    with log.open("a") as fh:
        fh.write("new line\n")
    assert tail.new_text() == "new line\n"
    assert tail.new_text() == ""
    assert LogTail(None).new_text() == ""
