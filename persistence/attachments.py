"""Attached files and project parts in the artifact database.

Files are content-addressed: one ``attachment_blobs`` row per SHA-256 of the prepared
bytes, and one ``thread_attachments`` row each time a message of a thread carries it. The
message in the graph state holds only the reference, so a photo is stored once, not in
every checkpoint; the model request is built from the blob when it is made.

Project parts are one row per (project, part id) holding the part as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .models import AttachmentBlob, Project, ThreadAttachment
from .models import ProjectPart as ProjectPartRow
from .store import ArtifactStore, NotFoundError, _aware

if TYPE_CHECKING:
    from tools.attachments import PreparedAttachment


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    kind: str
    mime: str
    size: int
    data: bytes
    page_texts: tuple[str, ...]
    pages: int | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class AttachmentView:
    thread_id: str
    project_id: str
    sha256: str
    name: str
    kind: str
    mime: str
    size: int
    pages: int | None
    width: int | None
    height: int | None
    created_at: datetime

    def ref(self) -> dict[str, Any]:
        from tools.attachments import attachment_ref

        return attachment_ref(self)


@dataclass(frozen=True)
class PartRecord:
    project_id: str
    part_id: str
    data: dict[str, Any]
    source: str | None
    agent: str | None
    created_at: datetime
    updated_at: datetime


def save_attachments(
    store: ArtifactStore, project: str, thread: str, files: list[PreparedAttachment]
) -> list[dict[str, Any]]:
    """Keep every file for the thread in one transaction (all or none); return the refs."""
    if not files:
        return []
    with store.transaction() as s:
        if s.get(Project, project) is None:
            raise NotFoundError(f"unknown project {project!r}")
        for f in files:
            if s.get(AttachmentBlob, f.sha256) is None:
                s.add(_blob_row(f))
                s.flush()
            s.add(
                ThreadAttachment(project_id=project, thread_id=thread, sha256=f.sha256, name=f.name)
            )
    return [f.ref() for f in files]


def load_blob(store: ArtifactStore, sha256: str) -> StoredBlob:
    with store._read() as s:
        b = s.get(AttachmentBlob, sha256)
        if b is None:
            raise NotFoundError(f"unknown attachment {sha256[:12]}")
        texts = tuple(json.loads(b.text)) if b.text else ()
        return StoredBlob(
            b.sha256, b.kind, b.mime, b.size, b.data, texts, b.pages, b.width, b.height
        )


def thread_attachments(store: ArtifactStore, thread: str) -> list[AttachmentView]:
    """Files attached in a thread, oldest first."""
    with store._read() as s:
        rows = s.execute(
            select(ThreadAttachment, AttachmentBlob)
            .join(AttachmentBlob, AttachmentBlob.sha256 == ThreadAttachment.sha256)
            .where(ThreadAttachment.thread_id == thread)
            .order_by(ThreadAttachment.id)
        ).all()
        return [
            AttachmentView(
                t.thread_id,
                t.project_id,
                b.sha256,
                t.name,
                b.kind,
                b.mime,
                b.size,
                b.pages,
                b.width,
                b.height,
                _aware(t.created_at),
            )
            for t, b in rows
        ]


# ------------------------------------------------------------------ project parts


def _part_record(r: ProjectPartRow) -> PartRecord:
    return PartRecord(
        r.project_id,
        r.part_id,
        json.loads(r.data),
        r.source,
        r.agent,
        _aware(r.created_at),
        _aware(r.updated_at),
    )


def list_project_parts(store: ArtifactStore, project: str) -> list[PartRecord]:
    with store._read() as s:
        rows = s.scalars(
            select(ProjectPartRow)
            .where(ProjectPartRow.project_id == project)
            .order_by(ProjectPartRow.part_id)
        ).all()
        return [_part_record(r) for r in rows]


def get_project_part(store: ArtifactStore, project: str, part_id: str) -> PartRecord | None:
    with store._read() as s:
        row = s.scalar(
            select(ProjectPartRow).where(
                ProjectPartRow.project_id == project, ProjectPartRow.part_id == part_id
            )
        )
        return _part_record(row) if row else None


def put_project_part(
    store: ArtifactStore,
    project: str,
    part_id: str,
    data: dict[str, Any],
    *,
    source: str | None = None,
    agent: str | None = None,
) -> tuple[PartRecord, bool]:
    """Add or replace a project part; returns (the record, whether it is new)."""
    with store.transaction() as s:
        if s.get(Project, project) is None:
            raise NotFoundError(f"unknown project {project!r}")
        row = s.scalar(
            select(ProjectPartRow).where(
                ProjectPartRow.project_id == project, ProjectPartRow.part_id == part_id
            )
        )
        created = row is None
        if row is None:
            row = ProjectPartRow(project_id=project, part_id=part_id)
            s.add(row)
        row.data = json.dumps(data, ensure_ascii=False, sort_keys=True)
        row.source = (source or "")[:255] or None
        row.agent = agent
        s.flush()
        return _part_record(row), created


def delete_project_part(store: ArtifactStore, project: str, part_id: str) -> bool:
    with store.transaction() as s:
        row = s.scalar(
            select(ProjectPartRow).where(
                ProjectPartRow.project_id == project, ProjectPartRow.part_id == part_id
            )
        )
        if row is None:
            return False
        s.delete(row)
        return True


def _blob_row(f: PreparedAttachment) -> AttachmentBlob:
    return AttachmentBlob(
        sha256=f.sha256,
        kind=f.kind,
        mime=f.mime,
        size=f.size,
        data=f.data,
        text=json.dumps(list(f.page_texts)) if f.kind == "pdf" else None,
        pages=f.pages,
        width=f.width,
        height=f.height,
    )


def store_blob(store: ArtifactStore, f: PreparedAttachment) -> dict[str, Any]:
    """Keep a checked file's bytes before any message carries it (a dashboard upload);
    a later turn links it to its thread. Returns the file's reference."""
    with store.transaction() as s:
        if s.get(AttachmentBlob, f.sha256) is None:
            s.add(_blob_row(f))
    return f.ref()


def project_has_attachment(store: ArtifactStore, project: str, sha256: str) -> bool:
    with store._read() as s:
        row = s.scalar(
            select(ThreadAttachment.id)
            .where(ThreadAttachment.project_id == project, ThreadAttachment.sha256 == sha256)
            .limit(1)
        )
        return row is not None
