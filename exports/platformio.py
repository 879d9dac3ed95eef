"""Firmware files laid out as a PlatformIO project: platformio.ini, src/, include/.

Files already under ``src/``, ``include/``, ``lib/``, ``test/`` or ``data/`` keep their
place; a loose sketch or source file goes to ``src/`` and a loose header to ``include/``.
When the code has no ``platformio.ini``, one is written for the wiring's board.
"""

from __future__ import annotations

import posixpath

from exports.paths import ExportPathError
from tools.checks.catalog import Part
from tools.schemas import CodeFile, normalize_code_path

PIO_DIRS = ("src", "include", "lib", "test", "data")
SOURCE_SUFFIXES = (".ino", ".cpp", ".cc", ".cxx", ".c", ".s", ".S")
HEADER_SUFFIXES = (".h", ".hh", ".hpp")


def project_path(path: str) -> str:
    """Where a code file belongs in a PlatformIO project (a normalised relative path)."""
    try:
        norm = normalize_code_path(path)
    except ValueError as exc:
        raise ExportPathError(f"refusing to write '{path}': {exc}") from None
    top = norm.split("/", 1)[0]
    if top in PIO_DIRS or "/" in norm or norm == "platformio.ini":
        return norm
    if norm.endswith(SOURCE_SUFFIXES):
        return f"src/{norm}"
    if norm.endswith(HEADER_SUFFIXES):
        return f"include/{norm}"
    return norm


def platformio_ini(board: Part | None, project_name: str = "project") -> str:
    """A minimal platformio.ini for the board (ESP32 DevKit when the board is unknown)."""
    info = board.board if board is not None else None
    env, platform = (info.platformio, info.platform) if info else ("esp32dev", "espressif32")
    name = " ".join(project_name.split())[:80] or "project"
    return "\n".join(
        [
            f"; PlatformIO project for {name}",
            f"[env:{env}]",
            f"platform = {platform}",
            f"board = {env}",
            "framework = arduino",
            "monitor_speed = 115200",
            "",
        ]
    )


def platformio_files(
    code_files: list[CodeFile], board: Part | None = None, project_name: str = "project"
) -> dict[str, str]:
    """Relative path -> text of every file in the PlatformIO project."""
    out: dict[str, str] = {}
    for f in code_files:
        text = f.content
        out[project_path(f.path)] = text if not text or text.endswith("\n") else text + "\n"
    if "platformio.ini" not in out:
        out["platformio.ini"] = platformio_ini(board, project_name)
    for d in ("src", "include"):
        if not any(p.startswith(d + "/") for p in out):
            out[posixpath.join(d, ".gitkeep")] = ""
    return out


def exportable(files: list[CodeFile]) -> tuple[list[CodeFile], list[str]]:
    """The files whose stored path can be exported, and one line for each that cannot
    (absolute, ``..``, a NUL byte or another control character), so one bad path does
    not stop the export of the rest."""
    good: list[CodeFile] = []
    skipped: list[str] = []
    for f in files:
        shown = f.path.encode("unicode_escape").decode("ascii")
        if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in f.path):
            skipped.append(f"skipped code file '{shown}': its path has a control character")
            continue
        try:
            project_path(f.path)
        except ExportPathError as exc:
            skipped.append(f"skipped code file '{shown}': {str(exc).split(': ', 1)[-1]}")
            continue
        good.append(f)
    return good, skipped
