"""Deterministic electrical, BOM and firmware checks over Ohm's artifacts.

The public entry points are pure functions of artifact content plus the bundled parts
catalog: the tools layer calls them after every write and hands the findings back to
the model; the CLI and the exports use the same functions.

The names below are imported on first use, so that importing one submodule (the parts
catalog, say) does not load every rule and the firmware parser with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.checks.bom import check_bom
    from tools.checks.catalog import Catalog, Part, Pin, get_part, load_catalog
    from tools.checks.code import check_code
    from tools.checks.findings import RULES, Finding, Severity, has_errors, sort_findings
    from tools.checks.project import check_project
    from tools.checks.wiring import check_wiring

_WHERE = {
    "check_bom": "bom",
    "Catalog": "catalog",
    "Part": "catalog",
    "Pin": "catalog",
    "get_part": "catalog",
    "load_catalog": "catalog",
    "check_code": "code",
    "RULES": "findings",
    "Finding": "findings",
    "Severity": "findings",
    "has_errors": "findings",
    "sort_findings": "findings",
    "check_project": "project",
    "check_wiring": "wiring",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
