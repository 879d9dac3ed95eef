"""Attachments in a turn: how they route it, and how they reach the model.

A user message with attachments carries only references in
``additional_kwargs["attachments"]`` (sha256, name, type, size); the bytes live in the
artifact database (:mod:`persistence.attachments`). When a specialist calls its model,
:func:`with_attachments` turns the turn's user message into OpenAI-style content parts:
the text, each PDF's text page by page, and each image as an ``image_url`` part holding a
base64 data URL.

Routing is decided before any classifier, by the files themselves: a photo goes to the
circuit inspector (VERIFY), a PDF to the datasheet analyst (DATASHEET).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import AnyMessage, BaseMessage, HumanMessage

from persistence.store import ArtifactStore

from .agents import INTENT_TO_AGENT

ATTACHMENTS_KEY = "attachments"


def attachment_refs(msg: BaseMessage) -> list[dict[str, Any]]:
    refs = msg.additional_kwargs.get(ATTACHMENTS_KEY) if msg.additional_kwargs else None
    return [r for r in refs or [] if isinstance(r, dict) and r.get("sha256")]


def attachment_route(msg: BaseMessage) -> dict[str, Any] | None:
    """The state update that routes a message by its attachments, or None."""
    refs = attachment_refs(msg)
    if not refs:
        return None
    images = [r for r in refs if r.get("kind") == "image"]
    if images:
        intent, why = "VERIFY", f"the message carries a photo ({images[0].get('name')})"
    else:
        intent, why = "DATASHEET", f"the message carries a PDF ({refs[0].get('name')})"
    return {
        "intent": intent,
        "agent": INTENT_TO_AGENT[intent],
        "route": "attachment",
        "route_reason": why,
    }


def attachment_note(msg: BaseMessage) -> str:
    """`` [attached: board.jpg, ds.pdf]`` for a message with files (timelines), else ''."""
    names = [str(r.get("name")) for r in attachment_refs(msg)]
    return f" [attached: {', '.join(names)}]" if names else ""


def has_attachments(turn: list[AnyMessage]) -> bool:
    return any(isinstance(m, HumanMessage) and attachment_refs(m) for m in turn)


def with_attachments(
    turn: list[AnyMessage], store: Callable[[], ArtifactStore]
) -> list[AnyMessage]:
    """The turn with its user message's attachments expanded into content parts."""
    from persistence.attachments import load_blob
    from tools.attachments import data_url, describe_ref, pdf_text

    out: list[AnyMessage] = []
    for m in turn:
        refs = attachment_refs(m) if isinstance(m, HumanMessage) else []
        if not refs:
            out.append(m)
            continue
        text = m.content if isinstance(m.content, str) else ""
        parts: list[str | dict[Any, Any]] = []
        images: list[dict[str, Any]] = []
        notes: list[str] = []
        st = store()
        for ref in refs:
            blob = load_blob(st, str(ref["sha256"]))
            if blob.kind == "image":
                notes.append(f"[attached photo: {describe_ref(ref)}]")
                images.append(
                    {"type": "image_url", "image_url": {"url": data_url(blob.mime, blob.data)}}
                )
            else:
                notes.append(
                    f"[attached PDF: {describe_ref(ref)}; its text follows]\n"
                    + pdf_text(blob.page_texts)
                )
        parts.append({"type": "text", "text": "\n\n".join([text, *notes])})
        parts.extend(images)
        out.append(
            HumanMessage(content=parts, id=m.id, additional_kwargs=dict(m.additional_kwargs))
        )
    return out


def prepare_files(items: Any) -> list[Any]:
    """Check every file (paths, or files already prepared) before any is kept."""
    from tools.attachments import (
        MAX_ATTACHMENTS,
        AttachmentError,
        PreparedAttachment,
        read_attachment,
    )

    items = list(items)
    if len(items) > MAX_ATTACHMENTS:
        raise AttachmentError(f"a message can carry at most {MAX_ATTACHMENTS} attachments")
    return [i if isinstance(i, PreparedAttachment) else read_attachment(i) for i in items]


def save_attachments(
    store: ArtifactStore, project: str, thread: str, files: list[Any]
) -> list[dict[str, Any]]:
    from persistence.attachments import save_attachments as save

    return save(store, project, thread, files)
