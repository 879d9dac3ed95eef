"""The one guard every export write goes through: stay inside the output folder."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath


class ExportPathError(ValueError):
    """A file of the export would be written outside the output folder."""


def safe_target(root: Path, rel: str) -> Path:
    """``root / rel`` resolved, refusing anything that lands outside ``root``.

    ``root`` must already be resolved. Absolute paths, drive letters and ``..`` are refused
    outright; everything else is resolved (following symlinks, including ones already in
    the output folder) and compared with ``root``.
    """
    text = rel.replace("\\", "/")
    if not text or text.startswith("/") or PureWindowsPath(rel).drive or ":" in text[:3]:
        raise ExportPathError(f"refusing to write '{rel}': only relative paths are allowed")
    if ".." in PurePosixPath(text).parts:
        raise ExportPathError(f"refusing to write '{rel}': it would land outside {root}")
    target = (root / text).resolve()
    if target == root or not target.is_relative_to(root):
        raise ExportPathError(f"refusing to write '{rel}': it resolves to {target}, outside {root}")
    return target
