"""The runtime context of a run: which project, which thread, and what the caller forces.

Studio shows these fields as editable inputs (with these descriptions); every one has a
default so that a run started with only a message works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field


@dataclass
class OhmContext:
    project: Annotated[
        str, Field(description="Project the turn belongs to; every tool acts on it only.")
    ] = "default"
    thread_id: Annotated[
        str | None, Field(description="Thread id when the run config does not carry one.")
    ] = None
    agent: Annotated[
        str | None,
        Field(description="Force a specialist: bom, code, wiring, debug, chat (skips routing)."),
    ] = None
    models: Annotated[
        dict[str, str],
        Field(
            description='Per-agent model ids, e.g. {"bom_generator": "google/gemini-2.5-flash"}.'
        ),
    ] = field(default_factory=dict)
    temperatures: Annotated[
        dict[str, float], Field(description='Per-agent temperatures, e.g. {"debugger": 0.2}.')
    ] = field(default_factory=dict)
    as_of: Annotated[
        str | None,
        Field(
            description="ISO time: agents see the project's artifacts as they were then, plus "
            "what this run writes (replays and forks set it to their checkpoint's time)."
        ),
    ] = None
    as_of_lineage: Annotated[
        list[str] | None,
        Field(
            description="Set with as_of by replays and forks: the checkpoints of this thread's "
            "branch before the one the run starts from; the thread's own artifact versions "
            "count only when written at one of them (persistence/visibility.py)."
        ),
    ] = None
