"""Exports of project artifacts: wiring diagrams, BOM tables and PlatformIO projects."""
