"""Rules that stand in for a language model when Ohm runs offline.

This is a simulator, not a model: it recognises a handful of common maker projects by
keyword, and plays each agent's part the way the agent's instructions ask (read what the
project has, write schema-valid artifacts, then reply). It exists so the whole assembly
line runs with no key and so tests can drive real HTTP round trips. Its answers are
deterministic for a given request, apart from tool-call ids, which are fresh like a real
model's. It must never be tuned to pass a check that a real model would fail.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import projects
from .attachments import circuit_inspector, datasheet_analyst
from .budget import budget_optimizer
from .summary import summarizer


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]
    id: str = field(default_factory=lambda: "call_" + uuid.uuid4().hex[:24])


@dataclass
class Reply:
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)


# ------------------------------------------------------------------ reading a request


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


@dataclass
class Conversation:
    system: str
    messages: list[dict[str, Any]]
    tools: list[str]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Conversation:
        msgs = list(body.get("messages") or [])
        system = "\n".join(_text(m.get("content")) for m in msgs if m.get("role") == "system")
        rest = [m for m in msgs if m.get("role") != "system"]
        tools = [
            t.get("function", {}).get("name", "")
            for t in body.get("tools") or []
            if isinstance(t, dict)
        ]
        return cls(system=system, messages=rest, tools=tools)

    @property
    def user_texts(self) -> list[str]:
        return [_text(m.get("content")) for m in self.messages if m.get("role") == "user"]

    @property
    def last_user(self) -> str:
        texts = self.user_texts
        return texts[-1] if texts else ""

    @property
    def turn(self) -> list[dict[str, Any]]:
        """Messages after the last user message (this turn's tool traffic)."""
        idx = max((i for i, m in enumerate(self.messages) if m.get("role") == "user"), default=-1)
        return self.messages[idx + 1 :]

    def tool_results(self) -> list[tuple[str, dict[str, Any]]]:
        """(tool name, parsed result) for every tool answer in this turn."""
        names: dict[str, str] = {}
        for m in self.turn:
            for tc in m.get("tool_calls") or []:
                names[tc.get("id", "")] = tc.get("function", {}).get("name", "")
        out: list[tuple[str, dict[str, Any]]] = []
        for m in self.turn:
            if m.get("role") == "tool":
                try:
                    data = json.loads(_text(m.get("content")))
                except json.JSONDecodeError:
                    data = {"ok": False, "error": _text(m.get("content"))}
                out.append((names.get(m.get("tool_call_id", ""), ""), data))
        return out

    def read_results(self) -> dict[str, Any]:
        """Artifacts read this turn: type (or 'code') -> content."""
        found: dict[str, Any] = {}
        for name, data in self.tool_results():
            if name != "read" or not data.get("exists"):
                continue
            if "files" in data:
                found["code"] = data["files"]
            elif data.get("type"):
                found[data["type"]] = data.get("content")
        return found

    def called(self, name: str) -> bool:
        return any(n == name for n, _ in self.tool_results())


# ------------------------------------------------------------------------- routing

_AGENT_BY_PROMPT = (
    ("conversation summarizer", "summarizer"),
    ("route messages", "orchestrator"),
    ("kickoff", "project_initializer"),
    ("parts specialist", "bom_generator"),
    ("firmware specialist", "code_generator"),
    ("wiring specialist", "wiring_diagram"),
    ("debugging specialist", "debugger"),
    ("mentor", "conversational"),
    ("circuit inspector", "circuit_inspector"),
    ("datasheet analyst", "datasheet_analyst"),
    ("budget optimizer", "budget_optimizer"),
)


def infer_agent(conv: Conversation, hint: str | None) -> str:
    if "IntentDecision" in conv.tools:
        return "orchestrator"
    if hint:
        return hint
    low = conv.system.lower()
    for needle, agent in _AGENT_BY_PROMPT:
        if needle in low:
            return agent
    return "conversational"


def respond(body: dict[str, Any], agent_hint: str | None = None) -> Reply:
    conv = Conversation.parse(body)
    agent = infer_agent(conv, agent_hint)
    handler = _HANDLERS.get(agent, conversational)
    return handler(conv)


# ---------------------------------------------------------------------- classifier

_FOLLOW_UP = re.compile(
    r"^\s*(yes|yep|yeah|sure|ok(ay)?|go ahead|do it|sounds good|please( do)?|great|"
    r"perfect|let'?s do (it|that)|continue|go on|proceed)\b[\s.!,]*"
    r"(please|thanks|thank you|go ahead|do it)?[\s.!]*$",
    re.IGNORECASE,
)

_INTENT_WORDS: dict[str, tuple[str, ...]] = {
    "DEBUG": (
        "not working",
        "doesn't work",
        "does not work",
        "isn't working",
        "won't",
        "broken",
        "error",
        "bug",
        "debug",
        "fails",
        "failing",
        "wrong",
        "stuck",
        "resets",
        "reboot",
        "brownout",
        "nan",
        "reads 0",
        "reading 0",
        "garbage",
        "hot",
        "smoke",
        "why does",
        "why is",
        "nothing happens",
        "no output",
        "crash",
        "guru meditation",
        "upload fail",
        "shows nothing",
        "stays blank",
        "is blank",
        "always 0",
        "always zero",
        "no data",
        "not responding",
        "flicker",
        "what's wrong",
        "what is wrong",
    ),
    "WIRING": (
        "wire",
        "wiring",
        "connect",
        "pinout",
        "pin ",
        "pins",
        "hook up",
        "hook it up",
        "schematic",
        "diagram",
        "breadboard",
        "solder",
        "level shift",
        "divider",
    ),
    "CODE": (
        "code",
        "firmware",
        "sketch",
        "program",
        "platformio",
        "library",
        "function",
        "arduino ide",
        "compile",
        "loop()",
        "write the software",
        "c++",
        "micropython",
    ),
    "BOM": (
        "parts",
        "part list",
        "parts list",
        "bom",
        "bill of materials",
        "components",
        "buy",
        "order",
        "cost",
        "price",
        "shopping",
        "what do i need",
        "supplier",
        "budget",
        "battery",
        "power supply",
    ),
    "VERIFY": ("does this match", "match my wiring", "check my build", "photo of"),
    "DATASHEET": ("datasheet", "absolute maximum", "part number:"),
    "BUDGET": (
        "cheaper",
        "save money",
        "savings",
        "cut the cost",
        "cut costs",
        "less expensive",
        "costs less",
        "cost down",
    ),
}


def classify_text(message: str, previous_intent: str | None) -> tuple[str, str]:
    if previous_intent and previous_intent in _INTENT_WORDS and _FOLLOW_UP.match(message):
        return previous_intent, "a short follow-up continues the previous exchange"
    low = f" {message.lower()} "
    scores = {intent: sum(1 for w in words if w in low) for intent, words in _INTENT_WORDS.items()}
    # Symptoms outrank topics: "the code doesn't work" is a debugging question.
    if scores["DEBUG"]:
        return "DEBUG", "the message describes something that does not work as expected"
    # Making the list cheaper is a budget question even when it names parts or prices.
    if scores["BUDGET"] and scores["BUDGET"] >= scores["BOM"]:
        return "BUDGET", "the message asks to make the parts list cheaper"
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        return "CHAT", "a general question or idea"
    reasons = {
        "WIRING": "the message asks how parts connect",
        "CODE": "the message asks for firmware",
        "BOM": "the message asks about parts",
        "VERIFY": "the message asks to check the build against the plan",
        "DATASHEET": "the message is about a datasheet",
    }
    return best, reasons[best]


def orchestrator(conv: Conversation) -> Reply:
    user = conv.last_user
    m = re.search(r"New message:\s*(.*)\Z", user, re.S)
    new = m.group(1).strip() if m else user
    prev = re.search(r"intent: ([A-Z]+)\)", user)
    intent, reason = classify_text(new, prev.group(1) if prev else None)
    return Reply(tool_calls=[ToolCall("IntentDecision", {"intent": intent, "reason": reason})])


# ---------------------------------------------------------------------- specialists


def _project(conv: Conversation, reads: dict[str, Any] | None = None) -> projects.Project:
    text = " ".join(conv.user_texts)
    if reads and isinstance(reads.get("context"), str):
        text += " " + reads["context"]
    return projects.pick(text)


def _is_write(name: str) -> bool:
    return name == "write" or name.startswith("write_")


def _write_failed(conv: Conversation) -> list[str]:
    return [
        str(d.get("error"))
        for n, d in conv.tool_results()
        if _is_write(n) and not d.get("ok", True)
    ]


def _wrote(conv: Conversation) -> bool:
    return any(_is_write(n) for n, _ in conv.tool_results())


def _findings(conv: Conversation) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, d in conv.tool_results():
        if _is_write(n) or n == "run_checks":
            out.extend(f for f in d.get("findings") or [] if isinstance(f, dict))
    return out


def _finding_lines(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return ""
    lines = ["", "Ohm's checks reported:"]
    for f in findings[:8]:
        lines.append(f"- [{f.get('severity')}] {f.get('rule')}: {f.get('message')}")
    return "\n".join(lines)


def project_initializer(conv: Conversation) -> Reply:
    proj = _project(conv)
    if not _wrote(conv):
        return Reply(
            content="",
            tool_calls=[
                ToolCall(
                    "write_document",
                    {"kind": "context", "markdown": projects.context_doc(proj, conv.last_user)},
                )
            ],
        )
    return Reply(content=projects.kickoff_reply(proj))


def bom_generator(conv: Conversation) -> Reply:
    reads = conv.read_results()
    if not conv.called("read"):
        return Reply(
            tool_calls=[
                ToolCall("read", {"artifact_type": "context"}),
                ToolCall("read", {"artifact_type": "bom"}),
            ]
        )
    proj = _project(conv, reads)
    if not _wrote(conv):
        # The project name and the total are Ohm's to fill in, as the tool's schema says.
        bom = {k: v for k, v in projects.bom(proj).items() if k != "project_name"}
        return Reply(tool_calls=[ToolCall("write_bom", {"bom": bom})])
    failed = _write_failed(conv)
    if failed:
        return Reply(content="I could not save the parts list: " + failed[-1])
    return Reply(content=projects.bom_reply(proj) + _finding_lines(_findings(conv)))


def wiring_diagram(conv: Conversation) -> Reply:
    reads = conv.read_results()
    if not conv.called("read"):
        return Reply(
            tool_calls=[
                ToolCall("read", {"artifact_type": "bom"}),
                ToolCall("read", {"artifact_type": "context"}),
            ]
        )
    proj = _project(conv, reads)
    if not _wrote(conv):
        return Reply(tool_calls=[ToolCall("write_wiring", {"wiring": projects.wiring(proj)})])
    failed = _write_failed(conv)
    if failed:
        return Reply(content="I could not save the wiring: " + failed[-1])
    return Reply(content=projects.wiring_reply(proj) + _finding_lines(_findings(conv)))


def code_generator(conv: Conversation) -> Reply:
    reads = conv.read_results()
    if not conv.called("read"):
        return Reply(
            tool_calls=[
                ToolCall("read", {"artifact_type": "wiring"}),
                ToolCall("read", {"artifact_type": "context"}),
            ]
        )
    proj = _project(conv, reads)
    if not _wrote(conv):
        wiring = reads.get("wiring") if isinstance(reads.get("wiring"), dict) else None
        files = projects.firmware(proj, wiring)
        return Reply(
            tool_calls=[
                ToolCall("write_code", {"path": f.path, "language": f.language, "text": f.content})
                for f in files
            ]
        )
    failed = _write_failed(conv)
    if failed:
        return Reply(content="I could not save the firmware: " + failed[-1])
    return Reply(content=projects.code_reply(proj) + _finding_lines(_findings(conv)))


def debugger(conv: Conversation) -> Reply:
    # The artifact list is in the system prompt; the debugger reads what it needs.
    if not conv.called("read"):
        return Reply(
            tool_calls=[
                ToolCall("read", {"artifact_type": t}) for t in ("wiring", "bom", "code", "context")
            ]
        )
    if "run_checks" in conv.tools and not conv.called("run_checks"):
        return Reply(tool_calls=[ToolCall("run_checks", {})])
    reads = conv.read_results()
    return Reply(content=projects.diagnosis(conv.last_user, reads, _findings(conv)))


_DOC_WORDS = (
    "prd",
    "mvp",
    "requirements",
    "spec",
    "document",
    "plan",
    "write it up",
    "summar",
    "brief",
    "roadmap",
)


def conversational(conv: Conversation) -> Reply:
    wants_docs = any(w in conv.last_user.lower() for w in _DOC_WORDS)
    if wants_docs and "write_document" in conv.tools:
        if not conv.called("read"):
            return Reply(
                tool_calls=[
                    ToolCall("read", {"artifact_type": "context"}),
                    ToolCall("read", {"artifact_type": "bom"}),
                ]
            )
        proj = _project(conv, conv.read_results())
        if not _wrote(conv):
            return Reply(
                tool_calls=[
                    ToolCall("write_document", {"kind": t, "markdown": projects.document(proj, t)})
                    for t in ("context", "mvp", "prd")
                ]
            )
        failed = _write_failed(conv)
        if failed:
            return Reply(content="I could not save the documents: " + failed[-1])
        return Reply(content=projects.documents_reply(proj))
    return Reply(content=projects.chat_answer(conv.last_user, _project(conv)))


_HANDLERS = {
    "orchestrator": orchestrator,
    "project_initializer": project_initializer,
    "bom_generator": bom_generator,
    "wiring_diagram": wiring_diagram,
    "code_generator": code_generator,
    "debugger": debugger,
    "conversational": conversational,
    "circuit_inspector": circuit_inspector,
    "datasheet_analyst": datasheet_analyst,
    "budget_optimizer": budget_optimizer,
    "summarizer": summarizer,
}
