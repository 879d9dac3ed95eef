"""``ohm check``: run Ohm's wiring, BOM and firmware checks on files.

Each command reads a standalone artifact (JSON or YAML in the artifact schema; firmware as
plain source files or folders), prints the findings as a table, or as
``{"findings": [...]}`` with ``--json``, and exits 1 when any finding is an error, 0
otherwise, and 2 when the input cannot be read or does not fit the schema.

The project variant (``ohm check --project P``) reads artifacts from the store and calls
:func:`check_artifacts`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import typer
import yaml
from rich.console import Console
from rich.table import Table

from tools.checks import RULES, Finding, check_bom, check_code, check_project, check_wiring
from tools.checks.findings import SEVERITY, has_errors, sort_findings
from tools.schemas import (
    ArtifactContentError,
    Bom,
    CodeFile,
    Wiring,
    normalize_code_path,
    parse_bom,
    parse_code_bundle,
    parse_wiring,
)

check_app = typer.Typer(
    name="check",
    help="Check wiring, parts lists and firmware for hazards (wrong voltages, missing "
    "resistors and diodes, pin mix-ups, blocking code).",
    no_args_is_help=True,
    add_completion=False,
)

CODE_SUFFIXES = (".ino", ".cpp", ".cc", ".cxx", ".c", ".h", ".hh", ".hpp")
SKIP_DIRS = {".pio", ".git", ".vscode", "node_modules", "build"}


class InputError(Exception):
    """Input that can't be checked; the message is one line for the person at the terminal."""


# --------------------------------------------------------------------------- loading


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _load_data(path: Path) -> Any:
    """JSON or YAML content of a file (by suffix; unknown suffixes try JSON, then YAML)."""
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise InputError(f"{path}: not valid YAML{where}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if suffix == ".json":
            raise InputError(
                f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise InputError(f"{path}: neither JSON nor YAML") from None


def _one_line(exc: ArtifactContentError) -> str:
    lines = [ln.strip("- ").strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] + (" " + "; ".join(lines[1:4]) if len(lines) > 1 else "")


def load_wiring(path: Path) -> Wiring:
    data = _load_data(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: a wiring file must hold an object with components/connections")
    try:
        return parse_wiring(data)
    except ArtifactContentError as exc:
        raise InputError(f"{path}: {_one_line(exc)}") from None


def load_bom(path: Path) -> Bom:
    """A BOM artifact (JSON/YAML), or a BOM CSV (Ohm's export, JLCPCB or KiCad style)."""
    if path.suffix.lower() in (".csv", ".tsv"):
        from tools.checks.bom_csv import BomCsvError, parse_bom_csv

        text = _read_text(path)
        try:
            return parse_bom_csv(text, name=path.stem)
        except BomCsvError as exc:
            raise InputError(f"{path}: {exc}") from None
    data = _load_data(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: a BOM file must hold an object with project_name/components")
    try:
        return parse_bom(data)
    except ArtifactContentError as exc:
        raise InputError(f"{path}: {_one_line(exc)}") from None


def _code_name(path: Path, base: Path | None) -> str:
    if base is not None:
        return path.relative_to(base).as_posix()
    if not path.is_absolute():
        try:
            return normalize_code_path(path.as_posix())
        except ValueError:
            pass
    return path.name


def load_code(paths: Iterable[Path]) -> list[CodeFile]:
    """Source files (and platformio.ini) from files and folders, named relative to them."""
    files: list[CodeFile] = []
    for p in paths:
        pairs: list[tuple[Path, Path | None]]
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and not SKIP_DIRS & set(f.relative_to(p).parts)
                and (f.suffix.lower() in CODE_SUFFIXES or f.name == "platformio.ini")
            )
            if not found:
                raise InputError(f"{p}: no C/C++ source files in this folder")
            pairs = [(f, p) for f in found]
        else:
            if p.suffix.lower() not in CODE_SUFFIXES and p.name != "platformio.ini":
                raise InputError(
                    f"{p}: not a firmware file (expected {', '.join(CODE_SUFFIXES)} "
                    "or platformio.ini)"
                )
            pairs = [(p, None)]
        for f, base in pairs:
            text = _read_text(f)
            try:
                files.append(CodeFile(path=_code_name(f, base), content=text))
            except ValueError:
                files.append(CodeFile(path=f.name, content=text))
    if not any(f.path.lower().endswith(CODE_SUFFIXES) for f in files):
        raise InputError("no C/C++ source files given")
    return files


# --------------------------------------------------------------------------- output


SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _emit(findings: list[Finding], as_json: bool) -> None:
    findings = sort_findings(findings)
    if as_json:
        typer.echo(json.dumps({"findings": [f.model_dump() for f in findings]}, indent=2))
    else:
        console = Console(soft_wrap=False)
        if not findings:
            console.print("[green]No problems found.[/green]")
        else:
            table = Table(show_lines=True)
            table.add_column("Severity")
            table.add_column("Rule")
            table.add_column("Where")
            table.add_column("Problem and fix", overflow="fold")
            for f in findings:
                where = f.location or ", ".join(f.pins[:3]) or ", ".join(f.components[:3])
                body = f.message + (f"\n[dim]Fix:[/dim] {f.fix}" if f.fix else "")
                table.add_row(
                    f"[{SEVERITY_STYLE[f.severity]}]{f.severity}[/]",
                    f.rule,
                    where,
                    body,
                    style=None,
                )
            console.print(table)
            counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_STYLE}
            console.print(", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items()))
    if has_errors(findings):
        raise typer.Exit(1)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _run(check: Callable[[], list[Finding]], what: str) -> list[Finding]:
    """Run a check; a failure inside it becomes one line and exit 2, not a traceback."""
    try:
        return check()
    except Exception as exc:  # a bug in a rule must not bury the terminal in a traceback
        _fail(f"could not check {what}: {type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- commands


JSON_OPT = typer.Option(False, "--json", help='Print {"findings": [...]} as JSON.')


@check_app.callback(invoke_without_command=True)
def check_main(
    ctx: typer.Context,
    project: str | None = typer.Option(
        None, "--project", "-p", help="Check a stored project's current artifacts."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """With --project, check every artifact of a project; otherwise use a subcommand."""
    if ctx.invoked_subcommand is not None:
        if project:
            _fail("--project checks a stored project; leave out the subcommand")
        return
    if project is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    from persistence.store import ArtifactStore, StoreError
    from tools.checks.integration import current_artifacts, project_catalog

    try:
        store = ArtifactStore.open()
        store.get_project(project)
        arts = current_artifacts(store, project)
        catalog = project_catalog(store, project)
    except StoreError as exc:
        _fail(str(exc))
    if arts.unreadable:
        _fail(f"stored artifacts do not fit their schema: {', '.join(arts.unreadable)}")
    _emit(_run(lambda: check_project(arts.bom, arts.wiring, arts.code, catalog), project), as_json)


WIRING_OPT = typer.Option(
    None, "--wiring", "-w", help="Wiring file to cross-check against (JSON or YAML)."
)


@check_app.command("wiring")
def wiring_command(
    file: Path = typer.Argument(..., help="Wiring artifact, JSON or YAML."),
    as_json: bool = JSON_OPT,
) -> None:
    """Electrical checks on a wiring: voltages, currents, diodes, boot pins, grounds, I2C."""
    try:
        wiring = load_wiring(file)
    except InputError as exc:
        _fail(str(exc))
    _emit(_run(lambda: check_wiring(wiring), str(file)), as_json)


@check_app.command("bom")
def bom_command(
    file: Path = typer.Argument(
        ..., help="BOM artifact (JSON or YAML) or BOM CSV (Ohm's export, JLCPCB, KiCad)."
    ),
    wiring_file: Path | None = WIRING_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Parts-list checks: power budget, logic levels, and (with --wiring) parts missing
    from either side."""
    try:
        bom = load_bom(file)
        wiring = load_wiring(wiring_file) if wiring_file else None
    except InputError as exc:
        _fail(str(exc))
    _emit(_run(lambda: check_bom(bom, wiring), str(file)), as_json)


@check_app.command("code")
def code_command(
    files: list[Path] = typer.Argument(..., help="Firmware files or folders (C/C++, .ino)."),
    wiring_file: Path | None = WIRING_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Firmware checks: blocking calls in loop(), and pins against the board and the wiring."""
    try:
        code = load_code(files)
        wiring = load_wiring(wiring_file) if wiring_file else None
    except InputError as exc:
        _fail(str(exc))
    _emit(_run(lambda: check_code(code, wiring), "the firmware"), as_json)


@check_app.command("kicad")
def kicad_command(
    file: Path = typer.Argument(..., help="KiCad 6-8 netlist (.net, File > Export > Netlist)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Voltage-aware checks on a KiCad design: symbols map to catalog parts through an
    Ohm_Part field (else value and footprint); unmapped symbols are listed, not guessed."""
    from tools.checks.kicad import KicadError, check_kicad

    if file.suffix.lower() == ".kicad_sch":
        _fail(f"{file}: schematics are not read yet; export a netlist (File > Export > Netlist)")
    try:
        text = _read_text(file)
    except InputError as exc:
        _fail(str(exc))
    try:
        findings = check_kicad(text)
    except KicadError as exc:
        _fail(f"{file}: {exc}")
    _emit(_run(lambda: findings, str(file)), as_json)


@check_app.command("rules")
def rules_command(as_json: bool = JSON_OPT) -> None:
    """List the rules the checks apply: what each catches, and when it is an error or a
    warning, with the reason."""
    if as_json:
        severity = {
            rule: [{"severity": sev, "when": why} for sev, why in SEVERITY.get(rule, ())]
            for rule in RULES
        }
        typer.echo(json.dumps({"rules": RULES, "severity": severity}, indent=2))
        return
    table = Table("Rule", "What it catches", "Severity: when and why", show_lines=True)
    for rule, meaning in RULES.items():
        levels = "\n".join(
            f"[{SEVERITY_STYLE[sev]}]{sev}[/]: {why}" for sev, why in SEVERITY.get(rule, ())
        )
        table.add_row(rule, meaning, levels)
    Console().print(table)


# --------------------------------------------------------------------------- project


def check_artifacts(
    bom: Bom | str | dict[str, Any] | None,
    wiring: Wiring | str | dict[str, Any] | None,
    code: list[CodeFile] | str | list[Any] | dict[str, Any] | None,
) -> list[Finding]:
    """All checks over a project's current artifacts, for ``ohm check --project``.

    Takes parsed models or the stored artifact content (JSON text or objects); content that
    does not fit its schema raises :class:`~tools.schemas.ArtifactContentError`.
    """
    bom_model = bom if isinstance(bom, Bom) or bom is None else parse_bom(bom)
    wiring_model = wiring if isinstance(wiring, Wiring) or wiring is None else parse_wiring(wiring)
    if code is None:
        code_files: list[CodeFile] = []
    elif isinstance(code, list) and all(isinstance(c, CodeFile) for c in code):
        code_files = list(code)
    else:
        code_files = list(parse_code_bundle(code).files)
    return check_project(bom_model, wiring_model, code_files)
