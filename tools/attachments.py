"""Files a maker attaches to a message: photos (JPEG, PNG, WebP) and PDF datasheets.

A file is read and checked completely before anything is saved, so a bad one is one
:class:`AttachmentError` line and nothing half-stored:

- the type comes from the file's first bytes, not its name (a ``.jpg`` that is really a
  text file is refused);
- a file over :func:`max_attachment_bytes` is refused before it is decoded;
- an image must decode with Pillow; one whose longer edge is over :data:`MAX_IMAGE_EDGE`
  pixels is scaled down to it (aspect kept) and re-encoded in its own format, because a
  vision model sees no more detail than that and every pixel costs tokens;
- a PDF is read with pypdf page by page, up to :data:`MAX_PDF_PAGES` pages and
  :data:`MAX_PDF_CHARS` characters of text; an encrypted PDF, and one without a text
  layer (a scan: pages that are only pictures), are refused with what to do instead.

What is kept is the prepared bytes (the scaled image, or the PDF as given) under their
SHA-256, plus the PDF's text: see :mod:`persistence.attachments`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

MAX_IMAGE_EDGE = 1568
"""Longest edge, in pixels, of an image sent to a model."""
MAX_PDF_PAGES = 40
MAX_PDF_CHARS = 60_000
DEFAULT_MAX_MB = 10.0
MAX_ATTACHMENTS = 8
"""Files one message may carry."""

AttachmentKind = Literal["image", "pdf"]
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class AttachmentError(ValueError):
    """A file that cannot be attached; the message is one line saying why and what to do."""


def max_attachment_bytes() -> int:
    """The size limit for one file: ``OHM_ATTACHMENT_MAX_MB`` (default 10 MB)."""
    raw = os.environ.get("OHM_ATTACHMENT_MAX_MB")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        raise AttachmentError(f"OHM_ATTACHMENT_MAX_MB must be a number, got {raw!r}") from None
    return int(mb * 1024 * 1024)


@dataclass(frozen=True)
class PreparedAttachment:
    """A checked file, ready to be stored and shown to a model."""

    name: str
    kind: AttachmentKind
    mime: str
    data: bytes
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    """Pages in the PDF (text is read from at most MAX_PDF_PAGES of them)."""
    page_texts: tuple[str, ...] = ()
    original_size: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    """What preparing changed: scaled down, pages or text cut."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def text(self) -> str:
        """The PDF's text with a marker before each page (empty for images)."""
        return pdf_text(self.page_texts)

    def ref(self) -> dict[str, Any]:
        return attachment_ref(self)


class _Described(Protocol):
    @property
    def sha256(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def mime(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def width(self) -> int | None: ...
    @property
    def height(self) -> int | None: ...
    @property
    def pages(self) -> int | None: ...


def attachment_ref(f: _Described) -> dict[str, Any]:
    """What a message carries about a file: enough to show it and to find it again."""
    out: dict[str, Any] = {
        "sha256": f.sha256,
        "name": f.name,
        "kind": f.kind,
        "mime": f.mime,
        "size": f.size,
    }
    if f.kind == "image":
        out["width"], out["height"] = f.width, f.height
    else:
        out["pages"] = f.pages
    return out


def pdf_text(page_texts: tuple[str, ...] | list[str]) -> str:
    return "\n".join(f"--- page {i} ---\n{t.strip()}" for i, t in enumerate(page_texts, 1))


def describe_ref(ref: dict[str, Any]) -> str:
    """One short line for a person: ``board.jpg (image/jpeg, 1568×1176, 212 KB)``."""
    size = human_size(int(ref.get("size") or 0))
    if ref.get("kind") == "image":
        return (
            f"{ref.get('name')} ({ref.get('mime')}, {ref.get('width')}×{ref.get('height')}, {size})"
        )
    pages = ref.get("pages")
    return f"{ref.get('name')} (PDF, {pages} page{'s' if pages != 1 else ''}, {size})"


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def read_attachment(path: str | Path) -> PreparedAttachment:
    """Read and check a file from disk; raises AttachmentError with one line."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise AttachmentError(f"cannot attach {p}: no such file")
    limit = max_attachment_bytes()
    size = p.stat().st_size
    if size > limit:
        raise AttachmentError(
            f"cannot attach {p.name}: it is {human_size(size)}, over the "
            f"{human_size(limit)} limit (OHM_ATTACHMENT_MAX_MB)"
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise AttachmentError(f"cannot attach {p.name}: {exc.strerror or exc}") from None
    return prepare_bytes(p.name, data)


def sniff(data: bytes) -> str | None:
    """The file's type from its first bytes: jpeg, png, webp, pdf or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    return None


def prepare_bytes(name: str, data: bytes) -> PreparedAttachment:
    """Check ``data`` (a file called ``name``) and prepare it; raises AttachmentError."""
    name = Path(name).name or "attachment"
    limit = max_attachment_bytes()
    if len(data) > limit:
        raise AttachmentError(
            f"cannot attach {name}: it is {human_size(len(data))}, over the "
            f"{human_size(limit)} limit (OHM_ATTACHMENT_MAX_MB)"
        )
    if not data:
        raise AttachmentError(f"cannot attach {name}: the file is empty")
    kind = sniff(data)
    if kind is None:
        suffix = Path(name).suffix or "this file"
        raise AttachmentError(
            f"cannot attach {name}: unsupported type ({suffix}); attach a JPEG, PNG or WebP "
            "photo or a PDF"
        )
    if kind == "pdf":
        return _prepare_pdf(name, data)
    return _prepare_image(name, data)


def _prepare_image(name: str, data: bytes) -> PreparedAttachment:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # checks the structure; the image must be opened again after
        with Image.open(io.BytesIO(data)) as img:
            fmt = str(img.format)
            img.load()  # decodes every pixel: a truncated file fails here
            width, height = img.size
            if fmt not in IMAGE_FORMATS:
                raise AttachmentError(
                    f"cannot attach {name}: unsupported image format {fmt}; use JPEG, PNG or WebP"
                )
            notes: list[str] = []
            out = data
            if max(width, height) > MAX_IMAGE_EDGE:
                scale = MAX_IMAGE_EDGE / max(width, height)
                size = (max(1, round(width * scale)), max(1, round(height * scale)))
                small = img.resize(size, Image.Resampling.LANCZOS)
                if fmt == "JPEG" and small.mode not in ("RGB", "L"):
                    small = small.convert("RGB")
                buf = io.BytesIO()
                options: dict[str, Any] = {"quality": 85} if fmt in ("JPEG", "WEBP") else {}
                small.save(buf, format=fmt, **options)
                out = buf.getvalue()
                notes.append(f"scaled from {width}×{height} to {size[0]}×{size[1]}")
                width, height = size
    except AttachmentError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AttachmentError(
            f"cannot attach {name}: it is not a readable image ({detail})"
        ) from None
    return PreparedAttachment(
        name=name,
        kind="image",
        mime=IMAGE_FORMATS[fmt],
        data=out,
        width=width,
        height=height,
        original_size=len(data),
        notes=tuple(notes),
    )


def _prepare_pdf(name: str, data: bytes) -> PreparedAttachment:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise AttachmentError(
                f"cannot attach {name}: the PDF is encrypted; attach an unprotected copy"
            )
        total = len(reader.pages)
        texts: list[str] = []
        chars = 0
        notes: list[str] = []
        for i, page in enumerate(reader.pages):
            if i >= MAX_PDF_PAGES:
                notes.append(f"text read from the first {MAX_PDF_PAGES} of {total} pages")
                break
            text = page.extract_text() or ""
            if chars + len(text) > MAX_PDF_CHARS:
                text = text[: max(0, MAX_PDF_CHARS - chars)]
                texts.append(text)
                notes.append(f"text cut at {MAX_PDF_CHARS:,} characters on page {i + 1}")
                break
            chars += len(text)
            texts.append(text)
    except AttachmentError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AttachmentError(
            f"cannot attach {name}: it is not a readable PDF ({detail})"
        ) from None
    if total == 0:
        raise AttachmentError(f"cannot attach {name}: the PDF has no pages")
    if not any(t.strip() for t in texts):
        raise AttachmentError(
            f"cannot attach {name}: the PDF has no text layer (scanned or image-only pages); "
            "attach a PDF with selectable text, or paste the datasheet's text"
        )
    return PreparedAttachment(
        name=name,
        kind="pdf",
        mime="application/pdf",
        data=data,
        pages=total,
        page_texts=tuple(texts),
        original_size=len(data),
        notes=tuple(notes),
    )


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def prepare_all(paths: list[str] | list[Path] | list[str | Path]) -> list[PreparedAttachment]:
    """Check every file before any is kept: the first bad one raises, none are returned."""
    if len(paths) > MAX_ATTACHMENTS:
        raise AttachmentError(f"a message can carry at most {MAX_ATTACHMENTS} attachments")
    return [read_attachment(p) for p in paths]


def from_stored(
    name: str,
    kind: str,
    mime: str,
    data: bytes,
    *,
    width: int | None = None,
    height: int | None = None,
    pages: int | None = None,
    page_texts: tuple[str, ...] = (),
) -> PreparedAttachment:
    """A file kept earlier (already checked), to attach to a new message."""
    return PreparedAttachment(
        name=Path(name).name or "attachment",
        kind="image" if kind == "image" else "pdf",
        mime=mime,
        data=data,
        width=width,
        height=height,
        pages=pages,
        page_texts=page_texts,
        original_size=len(data),
    )
