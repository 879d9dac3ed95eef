"""Deterministic electrical, BOM and firmware checks over Ohm's artifacts.

The public entry points are pure functions of artifact content plus the bundled parts
catalog: the tools layer calls them after every write and hands the findings back to
the model; the CLI and the exports use the same functions.
"""

from tools.checks.bom import check_bom
from tools.checks.catalog import Catalog, Part, Pin, get_part, load_catalog
from tools.checks.code import check_code
from tools.checks.findings import RULES, Finding, Severity, has_errors, sort_findings
from tools.checks.project import check_project
from tools.checks.wiring import check_wiring

__all__ = [
    "RULES",
    "Catalog",
    "Finding",
    "Part",
    "Pin",
    "Severity",
    "check_bom",
    "check_code",
    "check_project",
    "check_wiring",
    "get_part",
    "has_errors",
    "load_catalog",
    "sort_findings",
]
