"""The long-lived objects one dashboard process shares between requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from graph.assembly_line import AssemblyLine
from persistence.store import ArtifactStore
from providers.factory import ProviderSettings

from .config import WebConfig
from .turns import TurnRunner


@dataclass
class Services:
    config: WebConfig
    store: ArtifactStore
    line: AssemblyLine
    runner: TurnRunner


def services(request: Request) -> Services:
    found: Services = request.app.state.ohm
    return found


def provider_status() -> dict[str, Any]:
    """Which model service answers, with keys only in their masked form."""
    settings = ProviderSettings.from_env()
    return {
        "offline": settings.offline,
        "keys": [] if settings.offline else [k.masked for k in settings.keys],
    }
