"""The runtime context of a run: which project, which thread, and what the caller forces.

Studio shows these fields as editable inputs; every one has a default so that a run
started with only a message works.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OhmContext:
    project: str = "default"
    """Project the turn belongs to; every tool call acts on this project only."""

    thread_id: str | None = None
    """Thread id when the run has no checkpointer config to take it from."""

    agent: str | None = None
    """Force a specialist (bom, code, wiring, debug, chat, or a full agent name)."""

    models: dict[str, str] = field(default_factory=dict)
    """Per-agent model ids for this run, e.g. {"bom_generator": "google/gemini-2.5-flash"}."""

    temperatures: dict[str, float] = field(default_factory=dict)
    """Per-agent temperatures for this run."""
