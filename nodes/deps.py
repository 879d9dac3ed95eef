"""What the nodes need from outside the graph: chat models and the artifact store.

Both are providers (called when needed) so that a graph module can be imported, drawn and
compiled by the dev server before any database or model is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from langchain_core.language_models import BaseChatModel

from persistence.store import ArtifactStore
from tools.artifacts import Checker, ProjectChecker

from .agents import AgentSpec

ModelProvider = Callable[[AgentSpec], BaseChatModel]
StoreProvider = Callable[[], ArtifactStore]


@dataclass(frozen=True)
class Deps:
    models: ModelProvider
    store: StoreProvider
    checker: Checker | None = None
    project_checker: ProjectChecker | None = None


@cache
def _default_store() -> ArtifactStore:
    return ArtifactStore.open()


def default_models(spec: AgentSpec) -> BaseChatModel:
    from providers.factory import get_factory

    return get_factory().chat_model(spec)


def default_deps(store: StoreProvider | None = None) -> Deps:
    from tools.checks.integration import run_checks_after_write, run_project_checks

    return Deps(
        models=default_models,
        store=store or _default_store,
        checker=run_checks_after_write,
        project_checker=run_project_checks,
    )
