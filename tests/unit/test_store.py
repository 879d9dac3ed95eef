"""Versioned artifacts: nothing overwritten, no duplicate numbers, idempotent tool calls."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from persistence.store import ArtifactStore, InvalidIdError, StoreError, WriteMeta
from tests.support import append_from_threads


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    s = ArtifactStore(f"sqlite:///{tmp_path / 'ohm.db'}")
    s.ensure_project("p")
    return s


def test_every_write_is_a_new_version_and_old_ones_stay(store: ArtifactStore) -> None:
    for n in range(3):
        store.write("p", "prd", partial(_draft, n), meta=WriteMeta(agent="a"))
    hist = store.history("p", "prd")
    assert [v.version for v in hist] == [1, 2, 3]
    assert [v.content for v in hist] == ["draft 0", "draft 1", "draft 2"]
    assert store.latest("p", "prd").content == "draft 2"  # type: ignore[union-attr]
    assert store.get_version("p", "prd", 1).content == "draft 0"  # type: ignore[union-attr]


def test_a_repeated_tool_call_id_writes_nothing(store: ArtifactStore) -> None:
    meta = WriteMeta(agent="a", tool_call_id="call_1", thread_id="t")
    first = store.write("p", "context", lambda _p: "one", meta=meta)
    again = store.write("p", "context", lambda _p: "two", meta=meta)
    assert first.created and not again.created
    assert again.version.version == 1 and again.version.content == "one"
    assert len(store.history("p", "context")) == 1
    # The same id on another artifact is a different write.
    other = store.write("p", "mvp", lambda _p: "x", meta=meta)
    assert other.created


def test_concurrent_writers_never_share_a_version_number(store: ArtifactStore) -> None:
    append_from_threads([store], writers=5, each=15)


def test_delete_is_a_tombstone_version(store: ArtifactStore) -> None:
    store.write("p", "code", lambda _p: "int x;", path="src/a.cpp")
    store.write("p", "code", lambda _p: "", path="src/a.cpp", deleted=True)
    assert store.latest("p", "code", "src/a.cpp") is None
    assert [v.deleted for v in store.history("p", "code", "src/a.cpp")] == [False, True]
    assert store.list_latest("p") == []
    # Writing again after a delete starts from nothing, as a new version.
    out = store.write(
        "p", "code", lambda prev: "again" if prev is None else "bad", path="src/a.cpp"
    )
    assert out.version.version == 3 and out.version.content == "again"


def test_writes_need_an_existing_project(store: ArtifactStore) -> None:
    with pytest.raises(StoreError, match="unknown project"):
        store.write("nope", "context", lambda _p: "x")


@pytest.mark.parametrize("bad", ["", "Has Space", "../etc", "UPPER", "x" * 65])
def test_project_ids_are_validated(store: ArtifactStore, bad: str) -> None:
    with pytest.raises(InvalidIdError):
        store.ensure_project(bad)


def test_threads_belong_to_one_project(store: ArtifactStore) -> None:
    store.ensure_thread("t1", "p", title="first")
    with pytest.raises(StoreError, match="belongs to project 'p'"):
        store.ensure_thread("t1", "q")
    assert store.get_thread("t1").title == "first"


def test_projects_rename_and_delete_cascade(store: ArtifactStore) -> None:
    store.ensure_thread("t1", "p")
    store.write("p", "context", lambda _p: "x")
    assert store.rename_project("p", "Plant monitor").name == "Plant monitor"
    store.delete_project("p")
    assert not store.has_project("p")
    assert store.list_threads() == []
    assert store.all_versions("p") == []


def test_unwritable_data_dir_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot use data directory"):
        ArtifactStore.open(blocker / "sub")


def _draft(n: int, _prev: object) -> str:
    return f"draft {n}"
