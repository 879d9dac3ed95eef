"""Exports of project artifacts: wiring diagrams, BOM tables and PlatformIO projects."""

from exports.bom import bom_csv, bom_markdown, bom_rows
from exports.paths import ExportPathError, safe_target
from exports.platformio import platformio_files, platformio_ini
from exports.project import export_project
from exports.svg import render_wiring_svg

__all__ = [
    "ExportPathError",
    "bom_csv",
    "bom_markdown",
    "bom_rows",
    "export_project",
    "platformio_files",
    "platformio_ini",
    "render_wiring_svg",
    "safe_target",
]
