"""A scripted chat model for unit tests: no network, real tool-calling message shapes.

``bind_tools`` returns the model itself (the fakes in langchain_core refuse it), so the
graph's real ToolNodes run the real tools against whatever the script asks for.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

Step = AIMessage | Callable[[list[BaseMessage]], AIMessage]

_ids = itertools.count(1)


def call(name: str, **args: Any) -> dict[str, Any]:
    """A tool call as a model would emit it, with a fresh id."""
    return {"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}


def tools_msg(*calls: dict[str, Any], text: str = "") -> AIMessage:
    return AIMessage(content=text, tool_calls=list(calls))


def intent(value: str, reason: str = "scripted") -> AIMessage:
    return tools_msg(call("IntentDecision", intent=value, reason=reason))


class ScriptedChatModel(BaseChatModel):
    """Answers with the next scripted step; records every prompt it was given."""

    script: list[Any] = Field(default_factory=list)  # AIMessage or a callable (Step)
    repeat_last: bool = False
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[Sequence[Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        self.bound_tools.append(tools)
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append(list(messages))
        if not self.script:
            raise AssertionError("the scripted model ran out of answers")
        step = (
            self.script[0] if (self.repeat_last and len(self.script) == 1) else self.script.pop(0)
        )
        msg = step(messages) if callable(step) else step
        # A copy; a repeated step gets fresh tool call ids, as a real model's would be.
        fresh = self.repeat_last and len(self.script) == 1
        msg = AIMessage(
            content=msg.content,
            tool_calls=[
                {**tc, "id": f"call_{next(_ids)}" if fresh else tc["id"]} for tc in msg.tool_calls
            ],
        )
        return ChatResult(generations=[ChatGeneration(message=msg)])


class ModelBook:
    """One scripted model per agent name, handed out by the graph's model provider."""

    def __init__(self, **scripts: Sequence[Step]) -> None:
        self.models = {name: ScriptedChatModel(script=list(s)) for name, s in scripts.items()}

    def __call__(self, spec: Any) -> ScriptedChatModel:
        if spec.name not in self.models:
            raise AssertionError(f"no script for agent {spec.name}")
        return self.models[spec.name]

    def add(self, agent: str, *steps: Step) -> None:
        self.models.setdefault(agent, ScriptedChatModel()).script.extend(steps)


async def assert_index_matches_langgraph(line: Any, thread_id: str) -> int:
    """Ohm's light checkpoint index agrees with LangGraph's own, fully hydrated history
    (parents, what runs next, routing values, the newest message); returns the count."""
    from graph.timeline import checkpoint_index

    config = {"configurable": {"thread_id": thread_id}}
    full = [s async for s in line.graph.aget_state_history(config)]
    full.reverse()
    light = await checkpoint_index(line.graph, line.graph.checkpointer, thread_id)
    assert [c.id for c in light] == [s.config["configurable"]["checkpoint_id"] for s in full]
    for c, s in zip(light, full, strict=True):
        parent = (s.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        assert c.parent_id == parent
        assert c.next == tuple(s.next), (c.id, c.next, s.next)
        for key in ("intent", "agent", "route", "steps", "turn"):
            assert c.values.get(key) == s.values.get(key), key
        msgs = s.values.get("messages") or []
        newest = msgs[-1].content if msgs else None
        assert (c.newest.content if c.newest is not None else None) == newest, c.id
    return len(light)
