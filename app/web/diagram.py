"""The hook for the rendered wiring diagram.

Rendering a ``Wiring`` to SVG belongs to the ``exports`` package. The dashboard asks that
package for a renderer at run time and shows the diagram when one exists; without it the
wiring drawer shows the connection table alone. The SVG is only ever served as an image
(``<img src=...>``) with a policy that forbids scripts, so whatever text it contains
cannot run in the page.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any, cast

from markupsafe import Markup

from tools.schemas import Wiring

log = logging.getLogger(__name__)

WiringSvgRenderer = Callable[[Wiring], str]

# Names a renderer is looked up by, most specific first.
CANDIDATES: tuple[tuple[str, str], ...] = (
    ("exports.svg", "render_wiring_svg"),
    ("exports", "render_wiring_svg"),
    ("exports", "wiring_svg"),
    ("exports", "wiring_to_svg"),
    ("exports.svg", "render_wiring"),
    ("exports.svg", "wiring_svg"),
    ("exports.wiring_svg", "render_wiring_svg"),
    ("exports.wiring_svg", "render"),
    ("exports.wiring", "render_svg"),
    ("exports.wiring", "to_svg"),
)


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:  # a missing or half-built package just means "no diagram"
        return None


def _looks_like_renderer(name: str, obj: Any) -> bool:
    low = name.lower()
    return callable(obj) and inspect.isfunction(obj) and "svg" in low and "wiring" in low


@cache
def wiring_svg_renderer() -> WiringSvgRenderer | None:
    """The ``exports`` function that draws a ``Wiring`` as SVG, if there is one."""
    for module_name, attr in CANDIDATES:
        module = _import(module_name)
        fn = getattr(module, attr, None) if module else None
        if callable(fn):
            return fn
    package = _import("exports")
    if package is None or not hasattr(package, "__path__"):
        return None
    modules = [package]
    for info in pkgutil.iter_modules(package.__path__, "exports."):
        found = _import(info.name)
        if found is not None:
            modules.append(found)
    for module in modules:
        for name, obj in vars(module).items():
            if _looks_like_renderer(name, obj) and obj.__module__.startswith("exports"):
                return obj
    return None


def _as_findings(findings: list[dict[str, Any]]) -> list[Any]:
    """Stored findings as the checks' own model, for renderers that mark them."""
    try:
        from tools.checks.findings import Finding
    except ImportError:
        return []
    out = []
    for f in findings:
        try:
            out.append(Finding.model_validate(f))
        except ValueError:
            continue
    return out


def _takes_findings(renderer: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(renderer).parameters.values())
    except (TypeError, ValueError):
        return False
    return len(params) > 1 and params[1].name == "findings"


def _takes_pins(renderer: Callable[..., Any]) -> bool:
    try:
        return "pins" in inspect.signature(renderer).parameters
    except (TypeError, ValueError):
        return False


def render_wiring_svg(
    wiring: Wiring, findings: list[dict[str, Any]] | None = None, *, pins: str = "used"
) -> str | None:
    """The diagram as SVG text (with the version's findings marked when the renderer can),
    or None when no renderer exists or it failed. ``pins="all"`` asks for every pin of
    each board rather than the pins in use, where the renderer offers the choice."""
    renderer = wiring_svg_renderer()
    if renderer is None:
        return None
    try:
        extra: dict[str, Any] = {"pins": pins} if _takes_pins(renderer) else {}
        if findings and _takes_findings(renderer):
            svg: Any = cast(Callable[..., Any], renderer)(wiring, _as_findings(findings), **extra)
        else:
            svg = cast(Callable[..., Any], renderer)(wiring, **extra)
    except Exception:
        log.exception("the wiring diagram could not be rendered")
        return None
    if isinstance(svg, bytes):
        svg = svg.decode("utf-8", "replace")
    return svg if isinstance(svg, str) and "<svg" in svg else None


def inline_wiring_svg(
    wiring: Wiring, findings: list[dict[str, Any]] | None = None
) -> Markup | None:
    """The diagram as markup to place straight into the page (so it can be zoomed and its
    text measured), or None when the page should fall back to the image.

    Only Ohm's own renderer (``exports.svg``) is inlined: it escapes every piece of text
    and writes no script, style element, link or event attribute. Any other renderer's
    output stays behind an ``<img>``.
    """
    renderer = wiring_svg_renderer()
    if renderer is None or renderer.__module__ != "exports.svg":
        return None
    svg = render_wiring_svg(wiring, findings)
    return Markup(svg) if svg else None  # produced by exports.svg, which escapes all text
