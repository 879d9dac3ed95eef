"""The artifact store: projects, threads and versioned artifacts behind one session factory.

Every write is a new version; nothing is overwritten. Writes take the database's write
lock at the start of their transaction (``BEGIN IMMEDIATE`` on SQLite, a row lock
elsewhere) so that two writers on one artifact never read the same previous version, and a
retry loop covers the unique-constraint race on other databases.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, func, select
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .models import Artifact, ArtifactVersion, Project, Thread
from .visibility import CheckpointCut, newest_visible

PROJECT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
THREAD_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
DEFAULT_PROJECT = "default"

# Every SQLite connection Ohm opens (artifacts and checkpoints): wait for a busy writer
# instead of failing at once, let readers and one writer work side by side (WAL), and sync
# at checkpoints of the log rather than at every commit (safe in WAL mode; a power cut can
# lose only the last commits, never corrupt the file). The wait is long because SQLite's
# waiters are not served in order: with 64 turns at once on 2 cores, an unlucky writer
# waited over 30 s while the others kept the lock busy.
SQLITE_BUSY_TIMEOUT_S = 60.0
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
)


class StoreError(Exception):
    """A problem a person can act on; the message is one line."""


class NotFoundError(StoreError):
    pass


class DatabaseBusyError(StoreError):
    """SQLite's write lock stayed taken by other writers for the whole busy timeout."""

    def __init__(self) -> None:
        super().__init__(f"the artifact database {BUSY_DETAIL}")


BUSY_DETAIL = f"stayed locked by other writers for {SQLITE_BUSY_TIMEOUT_S:.0f} s; try again"


class InvalidIdError(StoreError):
    pass


def default_data_dir() -> Path:
    return Path(os.environ.get("OHM_DATA_DIR") or ".ohm").expanduser()


def database_url(data_dir: Path | None = None) -> str:
    url = os.environ.get("OHM_DATABASE_URL")
    if url:
        return url
    d = data_dir or default_data_dir()
    return f"sqlite:///{(d / 'ohm.db').resolve()}"


def ensure_data_dir(data_dir: Path) -> Path:
    """Create the data directory or explain in one line why it cannot be used."""
    if data_dir.exists() and not data_dir.is_dir():
        raise StoreError(
            f"cannot use data directory {data_dir}: it is a file, not a folder; "
            "set OHM_DATA_DIR to a folder (it is created if missing)"
        )
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot use data directory {data_dir}: {exc.strerror or exc}; "
            "set OHM_DATA_DIR to a writable folder"
        ) from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise StoreError(
            f"data directory {data_dir} is not writable; set OHM_DATA_DIR to a writable folder"
        )
    return data_dir


def parse_as_of(value: object) -> datetime | None:
    """A point in time from an ISO string (naive means UTC); None when absent or unreadable."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def validate_project_id(project_id: str) -> str:
    if not PROJECT_ID_RE.match(project_id or ""):
        raise InvalidIdError(
            f"invalid project id {project_id!r}: use 1-64 lowercase letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return project_id


def validate_thread_id(thread_id: str) -> str:
    if not THREAD_ID_RE.match(thread_id or ""):
        raise InvalidIdError(
            f"invalid thread id {thread_id!r}: use letters, digits, '.', '_', ':' or '-'"
        )
    return thread_id


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ProjectView:
    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    thread_count: int = 0
    artifact_count: int = 0
    latest_thread: str | None = None
    """The thread with the newest activity, and its title ("" when it has none)."""
    latest_title: str = ""


@dataclass(frozen=True)
class ThreadView:
    id: str
    project_id: str
    title: str
    current_agent: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WriteMeta:
    """Who and what wrote a version: the agent, the thread, the tool call and the step."""

    agent: str | None = None
    thread_id: str | None = None
    tool_call_id: str | None = None
    run_id: str | None = None
    checkpoint_id: str | None = None


@dataclass(frozen=True)
class VersionView:
    id: int
    project_id: str
    type: str
    path: str
    version: int
    content: str
    language: str | None
    deleted: bool
    merge_strategy: str
    agent: str | None
    thread_id: str | None
    tool_call_id: str | None
    run_id: str | None
    checkpoint_id: str | None
    created_at: datetime
    findings: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "path": self.path or None,
            "version": self.version,
            "agent": self.agent,
            "deleted": self.deleted,
        }


@dataclass(frozen=True)
class WriteOutcome:
    version: VersionView
    created: bool  # False when this tool call id had already written this artifact


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _version_view(av: Any, art: Any) -> VersionView:
    """A version for callers: ``av`` has the version's fields (an ``ArtifactVersion`` or a
    Core row), ``art`` the artifact's project, type and path (an ``Artifact`` or the same
    row)."""
    return VersionView(
        id=av.id,
        project_id=art.project_id,
        type=art.type,
        path=art.path,
        version=av.version,
        content=av.content,
        language=av.language,
        deleted=bool(av.deleted),
        merge_strategy=av.merge_strategy,
        agent=av.agent,
        thread_id=av.thread_id,
        tool_call_id=av.tool_call_id,
        run_id=av.run_id,
        checkpoint_id=av.checkpoint_id,
        created_at=_aware(av.created_at),
        findings=json.loads(av.findings) if av.findings else [],
    )


_VERSION_COLUMNS = (
    "id", "version", "content", "language", "deleted", "merge_strategy", "agent",
    "thread_id", "tool_call_id", "run_id", "checkpoint_id", "created_at", "findings",
)  # fmt: skip


@cache
def _latest_statement() -> Any:
    """The newest version of each artifact of one project (``:project``), by type then path."""
    av, art = ArtifactVersion.__table__.c, Artifact.__table__.c
    newest = (
        select(av.artifact_id, func.max(av.version).label("v"))
        .join(Artifact.__table__, art.id == av.artifact_id)
        .where(art.project_id == bindparam("project"))
        .group_by(av.artifact_id)
        .subquery()
    )
    return (
        select(*(av[name] for name in _VERSION_COLUMNS), art.project_id, art.type, art.path)
        .join(Artifact.__table__, art.id == av.artifact_id)
        .join(newest, (newest.c.artifact_id == av.artifact_id) & (newest.c.v == av.version))
        .order_by(art.type, art.path)
    )


# --------------------------------------------------------------------------- store


class ArtifactStore:
    """Projects, threads and artifact versions in one SQL database."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self._is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self._is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        self.engine: Engine = create_engine(url, **kwargs)
        if self._is_sqlite:
            self._configure_sqlite(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Within this process, writers queue on this lock
        # instead of in SQLite's busy handler, which sleeps in growing steps (up to 100 ms)
        # and wakes in no fair order; other processes still meet the busy timeout.
        self._write_lock = threading.RLock()
        # Threads this process knows to exist: (project, has a title, current agent). A
        # turn then skips the write that would only confirm what is already there.
        self._known: dict[str, tuple[str, bool, str | None]] = {}
        from . import migrations  # imports this module, so not at the top

        try:
            migrations.upgrade(self.engine)
        except DatabaseBusyError:
            raise StoreError(f"cannot open the artifact database: it {BUSY_DETAIL}") from None
        except OperationalError as exc:
            raise StoreError(f"cannot open the artifact database: {exc.orig}") from None

    @classmethod
    def open(cls, data_dir: Path | None = None, url: str | None = None) -> ArtifactStore:
        """Open the store named by ``url``, ``OHM_DATABASE_URL`` or the data directory."""
        if url is None and not os.environ.get("OHM_DATABASE_URL"):
            ensure_data_dir(data_dir or default_data_dir())
        return cls(url or database_url(data_dir))

    @staticmethod
    def _configure_sqlite(engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transaction control from the driver so writes can BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            for pragma in SQLITE_PRAGMAS:
                cur.execute(pragma)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "handle_error")
        def _on_error(ctx: ExceptionContext) -> BaseException | None:
            # One line for the person instead of a driver traceback.
            if "database is locked" in str(ctx.original_exception):
                return DatabaseBusyError()
            return None

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            mode = "IMMEDIATE" if conn.info.pop("ohm_write", False) else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._session() as s:
            yield s

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction that holds the database write lock from its first statement."""
        if not self._is_sqlite:
            with self._session.begin() as s:
                yield s
            return
        with self.write_connection() as conn, Session(bind=conn, expire_on_commit=False) as s:
            yield s
            s.flush()

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A connection in a write transaction (committed at the end, rolled back on error).

        On SQLite the transaction takes the database's write lock at ``BEGIN`` and this
        process's writers take turns on an in-process lock first."""
        if not self._is_sqlite:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.connect() as conn:
            conn.info["ohm_write"] = True
            with conn.begin():
                yield conn

    # ----------------------------------------------------------------- projects

    def ensure_project(self, project_id: str, name: str | None = None) -> ProjectView:
        validate_project_id(project_id)
        with self.transaction() as s:
            p = s.get(Project, project_id)
            if p is None:
                p = Project(id=project_id, name=name or project_id)
                s.add(p)
                s.flush()
            return self._project_view(s, p)

    def create_project(self, project_id: str, name: str | None = None) -> ProjectView:
        validate_project_id(project_id)
        with self.transaction() as s:
            if s.get(Project, project_id) is not None:
                raise StoreError(f"project {project_id!r} already exists")
            p = Project(id=project_id, name=name or project_id)
            s.add(p)
            s.flush()
            return self._project_view(s, p)

    def get_project(self, project_id: str) -> ProjectView:
        with self._read() as s:
            p = s.get(Project, project_id)
            if p is None:
                raise NotFoundError(f"unknown project {project_id!r}")
            return self._project_view(s, p)

    def has_project(self, project_id: str) -> bool:
        with self._read() as s:
            return s.get(Project, project_id) is not None

    def list_projects(self) -> list[ProjectView]:
        with self._read() as s:
            rows = s.scalars(select(Project).order_by(Project.created_at, Project.id)).all()
            return [self._project_view(s, p) for p in rows]

    def rename_project(self, project_id: str, name: str) -> ProjectView:
        name = name.strip()
        if not name or len(name) > 200:
            raise StoreError("a project name must be 1-200 characters")
        with self.transaction() as s:
            p = s.get(Project, project_id)
            if p is None:
                raise NotFoundError(f"unknown project {project_id!r}")
            p.name = name
            s.flush()
            return self._project_view(s, p)

    def delete_project(self, project_id: str) -> None:
        self._known.clear()
        with self.transaction() as s:
            p = s.get(Project, project_id)
            if p is None:
                raise NotFoundError(f"unknown project {project_id!r}")
            s.delete(p)

    @staticmethod
    def _project_view(s: Session, p: Project) -> ProjectView:
        threads = s.scalar(select(func.count()).where(Thread.project_id == p.id)) or 0
        arts = s.scalar(select(func.count()).where(Artifact.project_id == p.id)) or 0
        latest = s.execute(
            select(Thread.id, Thread.title)
            .where(Thread.project_id == p.id)
            .order_by(Thread.updated_at.desc(), Thread.id)
            .limit(1)
        ).first()
        return ProjectView(
            id=p.id,
            name=p.name,
            created_at=_aware(p.created_at),
            updated_at=_aware(p.updated_at),
            thread_count=threads,
            artifact_count=arts,
            latest_thread=latest[0] if latest else None,
            latest_title=latest[1] if latest else "",
        )

    # ------------------------------------------------------------------ threads

    def ensure_thread(self, thread_id: str, project_id: str, title: str = "") -> ThreadView:
        """The thread, created in ``project_id`` if new; a thread never changes project."""
        validate_thread_id(thread_id)
        validate_project_id(project_id)
        with self.transaction() as s:
            if s.get(Project, project_id) is None:
                s.add(Project(id=project_id, name=project_id))
                s.flush()
            t = s.get(Thread, thread_id)
            if t is None:
                t = Thread(id=thread_id, project_id=project_id, title=title[:200])
                s.add(t)
                s.flush()
            elif t.project_id != project_id:
                raise StoreError(
                    f"thread {thread_id!r} belongs to project {t.project_id!r}, not {project_id!r}"
                )
            elif title and not t.title:
                t.title = title[:200]
            self._known[t.id] = (t.project_id, bool(t.title), t.current_agent)
            return _thread_view(t)

    def retitle_thread(self, thread_id: str, expected: str, title: str) -> bool:
        """Give the thread ``title`` if its title is still ``expected`` (the one it was
        given automatically); False, and no change, when someone renamed it meanwhile."""
        title = title.strip()[:200]
        if not title:
            return False
        with self.transaction() as s:
            t = s.get(Thread, thread_id)
            if t is None or t.title != expected:
                return False
            t.title = title
            return True

    def rename_thread(self, thread_id: str, title: str) -> ThreadView:
        """The user's own name for a thread; automatic titles never replace it."""
        title = " ".join(title.split())
        if not title or len(title) > 200:
            raise StoreError("a thread title must be 1-200 characters")
        with self.transaction() as s:
            t = s.get(Thread, thread_id)
            if t is None:
                raise NotFoundError(f"unknown thread {thread_id!r}")
            t.title = title
            self._known[t.id] = (t.project_id, True, t.current_agent)
            return _thread_view(t)

    def thread_is_known(self, thread_id: str, project_id: str, titled: bool = False) -> bool:
        """True when this process already knows the thread is there in this project (and,
        with ``titled``, that it has a title), so ``ensure_thread`` would change nothing;
        no database call."""
        known = self._known.get(thread_id)
        return known is not None and known[0] == project_id and (known[1] or not titled)

    def agent_is_known(self, thread_id: str, agent: str | None) -> bool:
        """True when ``set_thread_agent`` would change nothing; no database call."""
        known = self._known.get(thread_id)
        return known is not None and known[2] == agent

    def known_thread_project(self, thread_id: str) -> str | None:
        """The thread's project if this process has seen the thread (no database call)."""
        known = self._known.get(thread_id)
        return known[0] if known is not None else None

    def thread_project(self, thread_id: str) -> str | None:
        """The thread's project, or None for a thread not yet created."""
        known = self._known.get(thread_id)
        if known is not None:
            return known[0]
        t = self.find_thread(thread_id)
        return t.project_id if t else None

    def get_thread(self, thread_id: str) -> ThreadView:
        with self._read() as s:
            t = s.get(Thread, thread_id)
            if t is None:
                raise NotFoundError(f"unknown thread {thread_id!r}")
            return _thread_view(t)

    def find_thread(self, thread_id: str) -> ThreadView | None:
        with self._read() as s:
            t = s.get(Thread, thread_id)
            return _thread_view(t) if t else None

    def list_threads(self, project_id: str | None = None) -> list[ThreadView]:
        with self._read() as s:
            q = select(Thread).order_by(Thread.updated_at.desc(), Thread.id)
            if project_id is not None:
                q = q.where(Thread.project_id == project_id)
            return [_thread_view(t) for t in s.scalars(q).all()]

    def set_thread_agent(self, thread_id: str, agent: str | None) -> None:
        if self.agent_is_known(thread_id, agent):
            return  # unchanged; the turn's end (lease release) moves updated_at
        with self.transaction() as s:
            t = s.get(Thread, thread_id)
            if t is not None:
                t.current_agent = agent
                t.updated_at = datetime.now(UTC)
                self._known[t.id] = (t.project_id, bool(t.title), agent)

    # ---------------------------------------------------------------- artifacts

    def write(
        self,
        project_id: str,
        artifact_type: str,
        build: Callable[[VersionView | None], str],
        *,
        path: str = "",
        language: str | None = None,
        merge_strategy: str = "replace",
        meta: WriteMeta | None = None,
        deleted: bool = False,
    ) -> WriteOutcome:
        """Write a new version whose content is ``build(previous latest version)``.

        ``build`` runs inside the write transaction, so merges and appends see the version
        they extend. A tool call id that already wrote this artifact returns that version
        and writes nothing.
        """
        meta = meta or WriteMeta()
        for attempt in range(5):
            try:
                with self.transaction() as s:
                    if s.get(Project, project_id) is None:
                        raise NotFoundError(f"unknown project {project_id!r}")
                    art = s.scalar(
                        select(Artifact)
                        .where(
                            Artifact.project_id == project_id,
                            Artifact.type == artifact_type,
                            Artifact.path == path,
                        )
                        .with_for_update()
                    )
                    if art is None:
                        art = Artifact(project_id=project_id, type=artifact_type, path=path)
                        s.add(art)
                        s.flush()
                    if meta.tool_call_id:
                        done = s.scalar(
                            select(ArtifactVersion).where(
                                ArtifactVersion.artifact_id == art.id,
                                ArtifactVersion.tool_call_id == meta.tool_call_id,
                            )
                        )
                        if done is not None:
                            return WriteOutcome(_version_view(done, art), created=False)
                    latest = s.scalar(
                        select(ArtifactVersion)
                        .where(ArtifactVersion.artifact_id == art.id)
                        .order_by(ArtifactVersion.version.desc())
                        .limit(1)
                    )
                    prev = _version_view(latest, art) if latest is not None else None
                    content = build(prev if prev is None or not prev.deleted else None)
                    av = ArtifactVersion(
                        artifact_id=art.id,
                        version=(latest.version + 1) if latest is not None else 1,
                        content=content,
                        language=language,
                        deleted=deleted,
                        merge_strategy=merge_strategy,
                        agent=meta.agent,
                        thread_id=meta.thread_id,
                        tool_call_id=meta.tool_call_id,
                        run_id=meta.run_id,
                        checkpoint_id=meta.checkpoint_id,
                    )
                    s.add(av)
                    s.flush()
                    return WriteOutcome(_version_view(av, art), created=True)
            except IntegrityError:
                if attempt == 4:
                    raise
                continue
        raise AssertionError("unreachable")

    def set_findings(self, version_id: int, findings: Sequence[dict[str, Any]]) -> None:
        """Attach check findings to a version (the only field set after a write)."""
        with self.transaction() as s:
            av = s.get(ArtifactVersion, version_id)
            if av is not None:
                av.findings = json.dumps(list(findings))

    def _versions(
        self, *where: Any, order: Sequence[Any] = (), limit: int | None = None
    ) -> list[VersionView]:
        """Versions (with their artifact) matching ``where``, as detached views."""
        q = select(ArtifactVersion, Artifact).join(Artifact).where(*where).order_by(*order)
        if limit is not None:
            q = q.limit(limit)
        with self._read() as s:
            return [_version_view(v, a) for v, a in s.execute(q).all()]

    @staticmethod
    def _identity(project_id: str, artifact_type: str, path: str) -> tuple[Any, ...]:
        return (
            Artifact.project_id == project_id,
            Artifact.type == artifact_type,
            Artifact.path == path,
        )

    def latest(
        self, project_id: str, artifact_type: str, path: str = "", *, include_deleted: bool = False
    ) -> VersionView | None:
        rows = self._versions(
            *self._identity(project_id, artifact_type, path),
            order=[ArtifactVersion.version.desc()],
            limit=1,
        )
        if not rows or (rows[0].deleted and not include_deleted):
            return None
        return rows[0]

    def get_version(
        self, project_id: str, artifact_type: str, version: int, path: str = ""
    ) -> VersionView | None:
        rows = self._versions(
            *self._identity(project_id, artifact_type, path), ArtifactVersion.version == version
        )
        return rows[0] if rows else None

    def history(self, project_id: str, artifact_type: str, path: str = "") -> list[VersionView]:
        return self._versions(
            *self._identity(project_id, artifact_type, path), order=[ArtifactVersion.version]
        )

    def all_versions(self, project_id: str) -> list[VersionView]:
        """Every version of every artifact in the project, oldest first."""
        return self._versions(
            Artifact.project_id == project_id,
            order=[ArtifactVersion.created_at, ArtifactVersion.id],
        )

    def list_latest(self, project_id: str, *, include_deleted: bool = False) -> list[VersionView]:
        """The newest version of each artifact in the project, by type then path.

        Every specialist step reads this, so it runs as one Core statement, built once,
        on a plain connection: the ORM session and entity loading cost several times the
        query itself."""
        with self.engine.connect() as conn:
            rows = conn.execute(_latest_statement(), {"project": project_id}).all()
        views = [_version_view(r, r) for r in rows]
        return views if include_deleted else [v for v in views if not v.deleted]

    def list_as_of(
        self, project_id: str, as_of: datetime, run_id: str | None = None
    ) -> list[VersionView]:
        """The project as it was at the moment ``as_of`` (no thread's branches considered),
        plus whatever run ``run_id`` wrote since; see ``visible_at``."""
        return self.visible_at(project_id, CheckpointCut(until=as_of), run_id)

    def visible_at(
        self, project_id: str, cut: CheckpointCut, run_id: str | None = None
    ) -> list[VersionView]:
        """The versions visible at checkpoint ``cut`` (of its thread), plus what run
        ``run_id`` wrote: the one answer replays, forks, tools and history views share
        (the rule is in ``persistence.visibility``)."""
        return newest_visible(self.all_versions(project_id), cut, run_id)

    def visible(
        self, project_id: str, as_of: datetime | None = None, run_id: str | None = None
    ) -> list[VersionView]:
        """What an agent sees: the latest artifacts, or the project as of a time."""
        if as_of is None:
            return self.list_latest(project_id)
        return self.list_as_of(project_id, as_of, run_id)

    def versions_by_thread(self, thread_id: str) -> list[VersionView]:
        return self._versions(
            ArtifactVersion.thread_id == thread_id,
            order=[ArtifactVersion.created_at, ArtifactVersion.id],
        )


def _thread_view(t: Thread) -> ThreadView:
    return ThreadView(
        id=t.id,
        project_id=t.project_id,
        title=t.title,
        current_agent=t.current_agent,
        created_at=_aware(t.created_at),
        updated_at=_aware(t.updated_at),
    )
