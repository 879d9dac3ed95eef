"""Graph state: the conversation plus how the current turn was routed.

Only plain values and LangChain messages live here, so checkpoints load without any
serializer allow-list.
"""

from __future__ import annotations

from typing import Annotated

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict


class InputState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


class OhmState(InputState, total=False):
    intent: str | None
    """BOM, CODE, WIRING, DEBUG or CHAT; None for the kickoff turn."""
    agent: str | None
    """The specialist answering this turn (after the turn: the one that answered)."""
    previous_agent: str | None
    """The specialist that answered the turn before, for follow-ups."""
    route: str | None
    """How the agent was chosen: initializer, classifier, local, forced or fallback."""
    route_reason: str | None
    route_confidence: float | None
    """The local router's confidence when it chose the agent (route "local")."""
    steps: int
    """Model calls made by the specialist in this turn (bounded by its step limit)."""
    turn: int
