"""Files a turn names by their upload id (see :mod:`app.web.attachments_api`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from persistence.attachments import load_blob
from persistence.store import ArtifactStore
from tools.attachments import PreparedAttachment, from_stored


class AttachmentIn(BaseModel):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="From the upload's answer.")
    name: str = Field(min_length=1, max_length=255)


def uploaded(store: ArtifactStore, items: list[AttachmentIn]) -> list[PreparedAttachment]:
    """The uploads a turn names, as files to attach (an unknown id raises NotFoundError)."""
    out = []
    for item in items:
        b = load_blob(store, item.sha256)
        out.append(
            from_stored(
                item.name,
                b.kind,
                b.mime,
                b.data,
                width=b.width,
                height=b.height,
                pages=b.pages,
                page_texts=b.page_texts,
            )
        )
    return out
