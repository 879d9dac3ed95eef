"""What the nodes need from outside the graph: chat models and the artifact store.

Both are providers (called when needed) so that a graph module can be imported, drawn and
compiled by the dev server before any database or model is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from langchain_core.language_models import BaseChatModel

from persistence.store import ArtifactStore, VersionView
from tools.artifacts import Checker, ProjectChecker

from .agents import AgentSpec

ModelProvider = Callable[[AgentSpec], BaseChatModel]
StoreProvider = Callable[[], ArtifactStore]


def _online() -> bool:
    return False


@dataclass(frozen=True)
class Deps:
    models: ModelProvider
    store: StoreProvider
    checker: Checker | None = None
    project_checker: ProjectChecker | None = None
    offline: Callable[[], bool] = _online
    """True when ``models`` answer from the offline simulator: calls that only make
    things nicer (a thread's model title) are then skipped."""


@cache
def _default_store() -> ArtifactStore:
    return ArtifactStore.open()


def default_models(spec: AgentSpec) -> BaseChatModel:
    from providers.factory import get_factory

    return get_factory().chat_model(spec)


def _factory_offline() -> bool:
    from providers.factory import get_factory

    return get_factory().offline


def _checks_after_write(
    store: ArtifactStore,
    project: str,
    written: list[VersionView],
    pending: Mapping[tuple[str, str], str],
) -> list[dict[str, Any]]:
    from tools.checks.integration import run_checks_after_write

    return run_checks_after_write(store, project, written, pending)


def _project_checks(store: ArtifactStore, project: str) -> dict[str, Any]:
    from tools.checks.integration import run_project_checks

    return run_project_checks(store, project)


def default_deps(store: StoreProvider | None = None) -> Deps:
    # The checks (their rules, catalog and firmware parser) load on the first check.
    return Deps(
        models=default_models,
        store=store or _default_store,
        checker=_checks_after_write,
        project_checker=_project_checks,
        offline=_factory_offline,
    )
