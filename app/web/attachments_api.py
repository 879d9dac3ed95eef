"""Attachments in the dashboard and the HTTP API.

The browser uploads each file first (``POST /api/projects/{id}/attachments``, multipart):
it is checked like ``ohm ask --attach`` (type by content, size limit, image decodes, PDF
has a text layer) and kept under its SHA-256; a bad file is a 400 with one line and
nothing kept. The turn then names the uploads in its ``attachments`` field. ``GET`` on an
attachment returns its bytes, for the chat to show.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.responses import Response

from persistence.attachments import load_blob, project_has_attachment, store_blob
from persistence.store import NotFoundError
from tools.attachments import AttachmentError, max_attachment_bytes, prepare_bytes

from .api import Svc, changes
from .data import checked_project

router = APIRouter(prefix="/api", tags=["api"])


@router.post(
    "/projects/{project_id}/attachments",
    dependencies=changes,
    summary="Upload a photo (JPEG, PNG, WebP) or PDF to attach to the next message",
)
async def upload_attachment(
    project_id: str, svc: Svc, file: UploadFile = File(...)
) -> dict[str, Any]:
    checked_project(svc.store, project_id)
    limit = max_attachment_bytes()
    data = await file.read(limit + 1)
    try:
        prepared = await asyncio.to_thread(prepare_bytes, file.filename or "attachment", data)
    except AttachmentError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return await asyncio.to_thread(store_blob, svc.store, prepared)


@router.get(
    "/projects/{project_id}/attachments/{sha256}",
    summary="An attached file's bytes",
    response_class=Response,
)
async def get_attachment(project_id: str, sha256: str, svc: Svc) -> Response:
    checked_project(svc.store, project_id)
    if not await asyncio.to_thread(project_has_attachment, svc.store, project_id, sha256):
        raise NotFoundError(f"unknown attachment {sha256[:12]!r} in project {project_id!r}")
    blob = await asyncio.to_thread(load_blob, svc.store, sha256)
    return Response(
        blob.data, media_type=blob.mime, headers={"cache-control": "private, max-age=86400"}
    )
