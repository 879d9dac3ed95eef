"""The offline simulator's five designs pass every check with no error.

The simulator (providers/offline/) is a stand-in for a real model used offline and in
tests; its designs are what a maker sees in the demo, so they must be correct circuits,
and a new rule that flags one of them has found a real hazard in it.
"""

from __future__ import annotations

import pytest

from exports.bom import bom_csv
from providers.offline import projects
from tools.checks import check_project
from tools.checks.bom_csv import parse_bom_csv
from tools.schemas import CodeFile, parse_bom, parse_wiring


@pytest.mark.parametrize("project", projects.PROJECTS, ids=lambda p: p.key)
def test_offline_design_has_no_error(project: projects.Project) -> None:
    bom = parse_bom(projects.bom(project))
    wiring_obj = projects.wiring(project)
    wiring = parse_wiring(wiring_obj)
    code = [
        CodeFile(path=f.path, language=f.language, content=f.content)
        for f in projects.firmware(project, wiring_obj)
    ]
    findings = check_project(bom, wiring, code)
    errors = [f"{f.rule}: {f.message}" for f in findings if f.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("project", projects.PROJECTS, ids=lambda p: p.key)
def test_exported_bom_csv_reads_back_and_checks_cleanly(project: projects.Project) -> None:
    bom = parse_bom(projects.bom(project))
    wiring = parse_wiring(projects.wiring(project))
    back = parse_bom_csv(bom_csv(bom, wiring))
    assert sum(c.quantity for c in back.components) == sum(c.quantity for c in bom.components)
    assert {c.catalog_id for c in back.components} == {c.catalog_id for c in bom.components}
    findings = check_project(back, wiring, [])
    assert [f.message for f in findings if f.severity == "error"] == []
