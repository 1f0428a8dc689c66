"""Service functions behind the CLI: open a repository and its database, index, diff, query.

Every function returns data; printing is the CLI's job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from lineage_history.diff import LineageDiff, diff
from lineage_history.errors import (
    BuildFailedError,
    DatabaseError,
    LineageHistoryError,
    NotAGitRepository,
    NotIndexed,
    UnknownDag,
    UnknownRevision,
    UserError,
)
from lineage_history.git import GitRepo
from lineage_history.model import EMPTY, Snapshot
from lineage_history.store import (
    STATUS_FAILED,
    STATUS_OK,
    Store,
    StoredCommit,
    database_url,
    identity,
    open_engine,
)
from lineage_history.store.database import describe

if TYPE_CHECKING:  # the indexer is not needed, nor imported, to answer queries
    from lineage_history.indexer import Indexer, IndexOptions, IndexResult, ProgressCallback

WORK_DIRNAME = "lineage-history-work"
_ANCESTRY = re.compile(r"^(.+?)((?:[~^]\d*)*)$")


@dataclass
class Context:
    """An open repository (when it is on disk) and its lineage database."""

    store: Store
    repository_id: int
    url: str
    repo: GitRepo | None = None

    def close(self) -> None:
        self.store.close()
        if self.repo is not None:
            self.repo.close()


def repository_identity(repo: GitRepo) -> tuple[set[str], set[str]]:
    """What every clone of a repository shares: the root commits of its branches and tags,
    and (in a shallow clone, which has no true root) the shallow boundary commits."""
    if not repo.has_commits():
        raise UserError(f"repository {repo.root} has no commits yet")
    return repo.root_commits(), repo.shallow_commits()


def find_repository(store: Store, repo: GitRepo) -> int | None:
    """The stored repository this clone is: by any root commit, else by a stored commit."""
    roots, shallow = repository_identity(repo)
    return identity.find_repository(store.engine, roots | shallow, shallow | {repo.resolve("HEAD")})


def _open_repo(path: str | None) -> GitRepo | None:
    try:
        return GitRepo(path or ".")
    except NotAGitRepository:
        return None


def open_for_index(repo_path: str | None, db: str | None) -> Context:
    repo = GitRepo(repo_path or ".")
    roots, shallow = repository_identity(repo)
    url = database_url(db, repo.git_dir)
    store = Store(open_engine(url))
    main = repo.main_worktree()  # not a linked worktree's path
    repository_id = identity.remember_repository(
        store.engine,
        find_repository(store, repo),
        name=main.name,
        path=str(main),
        roots=roots,
        shallow=shallow,
    )
    identity.mend_boundaries(store.engine, repository_id, shallow, repo.parents)
    return Context(store, repository_id, url, repo)


def open_for_query(repo_path: str | None, db: str | None) -> Context:
    """Open for reading; works without the repository when the database is named."""
    repo = _open_repo(repo_path)
    if repo is None and not (db or os.environ.get("LINEAGE_HISTORY_DB")):
        raise NotAGitRepository(
            f"not a git repository: {Path(repo_path or '.').resolve()} "
            "(pass --db to read a lineage database without the repository)"
        )
    url = database_url(db, repo.git_dir if repo else None)
    store = Store(open_engine(url, must_exist=True))
    rows = store.repositories()
    match = None
    if repo is not None:
        found = find_repository(store, repo)
        match = next((r for r in rows if r.id == found), None)
    else:
        wanted = str(Path(repo_path).resolve()) if repo_path else None
        match = next(
            (r for r in rows if repo_path and (r.path == wanted or r.name == repo_path)), None
        )
        if match is None and len(rows) == 1:
            match = rows[0]
    if match is None:
        store.close()
        if not rows:
            raise NotIndexed(f"nothing is indexed in {describe(url)}: run `lineage-history index`")
        if repo is not None:
            raise NotIndexed(f"repository {repo.root} is not indexed in {describe(url)}")
        names = ", ".join(f"{r.name} ({r.path})" for r in rows)
        raise UserError(
            f"several repositories in {describe(url)}; pass --repo with one of: {names}"
        )
    return Context(store, match.id, url, repo)


@contextlib.contextmanager
def opened(repo_path: str | None, db: str | None, *, for_index: bool = False) -> Iterator[Context]:
    context = (open_for_index if for_index else open_for_query)(repo_path, db)
    try:
        yield context
    finally:
        context.close()


def work_root(context: Context) -> Path:
    """Where builds materialize commits: inside the git directory, so leaks are findable."""
    assert context.repo is not None
    root = context.repo.git_dir / WORK_DIRNAME
    root.mkdir(exist_ok=True)
    return root


@contextlib.contextmanager
def index_lock(context: Context, on_wait: Callable[[str], None]) -> Iterator[None]:
    """One index run at a time per SQLite file; the second waits and says so."""
    url = make_url(context.url)
    if url.get_backend_name() != "sqlite" or not url.database:
        yield
        return
    lock_path = Path(url.database + ".lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            on_wait(f"waiting for another index run (pid {holder}) on {lock_path.name} to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- revisions and snapshots ------------------------------------------------------------


def resolve(context: Context, rev: str) -> StoredCommit:
    """The indexed commit a revision names, through git when the repository is there."""
    if context.repo is not None:
        return context.store.commit(context.repository_id, context.repo.resolve(rev))
    match = _ANCESTRY.match(rev)
    if match is None or not match.group(2):
        return context.store.commit(
            context.repository_id, context.store.resolve(context.repository_id, rev)
        )
    # `main~2`, `v1^`, `HEAD^2` through the parents stored at index time.
    commit = resolve(context, match.group(1))
    for step in re.findall(r"([~^])(\d*)", match.group(2)):
        operator, count = step[0], int(step[1]) if step[1] else 1
        hops = [(1, count)] if operator == "~" else [(count, 1)]
        for parent_number, times in hops:
            for _ in range(times):
                if len(commit.parents) < parent_number or parent_number == 0:
                    raise UnknownRevision(f"unknown revision: {rev!r} (no such ancestor)")
                commit = context.store.commit(
                    context.repository_id, commit.parents[parent_number - 1]
                )
    return commit


def pick_dag(context: Context, dag: str | None, also: Iterable[str] = ()) -> str:
    """The DAG a question is about: `--dag`, else the only one indexed (or in `also`)."""
    names = sorted(set(context.store.dag_names(context.repository_id)) | set(also))
    if dag is not None:
        if dag not in names:
            known = ", ".join(names) or "none"
            raise UnknownDag(f"unknown DAG {dag!r}; known DAGs: {known}")
        return dag
    if len(names) > 1:
        raise UnknownDag(
            f"this repository defines several DAGs; pass --dag with one of: {', '.join(names)}"
        )
    return names[0] if names else ""


def snapshot_at(context: Context, commit: StoredCommit, dag: str) -> Snapshot:
    """The DAG at a commit: empty where it is not defined; an error where its build failed."""
    state = context.store.dag_states(context.repository_id, dag, [commit.sha]).get(commit.sha)
    if state is None or state.status not in (STATUS_OK, STATUS_FAILED):
        return EMPTY
    if state.status == STATUS_FAILED:
        raise BuildFailedError(
            f"the DAG {dag!r} failed to build at {commit.sha[:12]} ({commit.subject}): "
            f"{state.error}"
        )
    assert state.snapshot_id is not None
    snapshot = context.store.load_snapshot(state.snapshot_id)
    return dataclasses.replace(snapshot, stubbed=state.stubbed) if state.stubbed else snapshot


@dataclass(frozen=True)
class DiffReport:
    dag: str
    base_rev: str
    base: StoredCommit
    head_rev: str
    head: StoredCommit | None  # None: the working tree or the index (see live.py)
    diff: LineageDiff
    old: Snapshot
    new: Snapshot


def diff_revisions(
    context: Context,
    base_rev: str | None,
    head_rev: str | None,
    dag: str | None,
    *,
    staged: bool = False,
) -> DiffReport:
    """The diff `base_rev head_rev`, or of a range `A...B` / `A..B` given alone; with one
    revision (or none: HEAD), that revision against the working tree (`staged`: the index)."""
    from lineage_history.ranges import is_range, resolve_pair

    if base_rev is None or (head_rev is None and not is_range(base_rev)):
        from lineage_history.live import diff_live  # builds: imported only when needed

        return diff_live(context, base_rev, dag, staged=staged)
    if staged:
        raise UserError("--staged compares one revision (default HEAD) with the index")
    name = pick_dag(context, dag)
    pair = resolve_pair(context, base_rev, head_rev)
    base, head = pair.base, pair.head
    old, new = snapshot_at(context, base, name), snapshot_at(context, head, name)
    return DiffReport(name, pair.base_rev, base, pair.head_rev, head, diff(old, new), old, new)


def require_database_writable(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        target = path if path.exists() else path.parent
        if not os.access(target, os.W_OK):
            raise DatabaseError(f"cannot write to database {path}: permission denied")


# -- indexing -------------------------------------------------------------------------------


class _StopRequested:
    """SIGINT/SIGTERM handlers that cancel the running indexer (and end a watch loop)."""

    def __init__(self, notify: Callable[[str], None]) -> None:
        self.notify = notify
        self.requested = threading.Event()
        self.indexer: Indexer | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopRequested:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, _frame: Any) -> None:
        self.notify(f"stopping ({signal.Signals(signum).name}) ...")
        self.requested.set()
        if self.indexer is not None:
            self.indexer.cancel()

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def index_once(
    context: Context,
    options: IndexOptions,
    *,
    progress: ProgressCallback | None = None,
    notify: Callable[[str], None] = lambda message: None,
    stop: _StopRequested | None = None,
) -> IndexResult:
    """One index run: the lock, the run record, the indexer; SIGINT/SIGTERM stop it cleanly."""
    from lineage_history.indexer import Indexer

    require_database_writable(context.url)
    with contextlib.ExitStack() as stack:
        if stop is None:
            stop = stack.enter_context(_StopRequested(notify))
        stack.enter_context(index_lock(context, notify))
        indexer = Indexer(
            context.repo,
            context.store,
            context.repository_id,
            options,
            work_root(context),
            progress,
            notify,
        )
        stop.indexer = indexer
        if stop.requested.is_set():
            indexer.cancel()
        with _database_errors(context.url):
            run_id = context.store.start_run(context.repository_id)
            try:
                result = indexer.run()
            except BaseException as exc:
                _record_failure(context.store, run_id, exc)
                raise
            finally:
                stop.indexer = None
            status = "interrupted" if result.interrupted else "ok"
            context.store.finish_run(run_id, status, result.counts(), result.summary())
            if result.new:
                context.store.analyze()
    return result


def _database_reason(exc: SQLAlchemyError) -> str:
    """The driver's own first line ("database or disk is full"), without SQLAlchemy's noise."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """A database failing under an index run (disk full, server gone) is one line, not a
    traceback; each write is one transaction, so what was written is whole."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = _database_reason(exc)
        raise DatabaseError(f"cannot write to database {describe(url)}: {reason}") from None


def _record_failure(store: Store, run_id: int, exc: BaseException) -> None:
    """Mark the run failed, when the database still takes it (not when the disk is full)."""
    if isinstance(exc, SQLAlchemyError):
        message = _database_reason(exc)
    else:
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
    try:
        store.finish_run(run_id, "failed", {}, message)
    except SQLAlchemyError:
        pass


def watch(
    context: Context,
    options: IndexOptions,
    interval: float,
    *,
    fetch: bool = False,
    notify: Callable[[str], None],
    log: Callable[[str], None],
) -> None:
    """Index, sleep, repeat until SIGINT/SIGTERM; one log line per round."""
    assert context.repo is not None
    with _StopRequested(notify) as stop:
        while not stop.requested.is_set():
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            try:
                if fetch:
                    context.repo.fetch()
                result = index_once(context, options, notify=notify, stop=stop)
                log(f"{stamp} {result.summary()}")
            except LineageHistoryError as exc:  # a bad round is logged; the service goes on
                log(f"{stamp} error: {exc}")
            stop.requested.wait(interval)


# -- status ---------------------------------------------------------------------------------


def _behind(store: Store, repository_id: int, repo: GitRepo | None) -> int | None:
    """Commits reachable from HEAD and the local branches that are not indexed yet."""
    if repo is None or not repo.has_commits():
        return None
    indexed = store.indexed_shas(repository_id)
    return sum(1 for commit in repo.commits() if commit.sha not in indexed)


def repository_status(context: Context) -> dict[str, Any]:
    data = context.store.status(context.repository_id)
    data["behind"] = _behind(context.store, context.repository_id, context.repo)
    data["failures"] = [
        {"sha": sha, "dag": dag, "error": error}
        for sha, dag, error in context.store.failed_commits(context.repository_id)
    ]
    return data


def all_repositories_status(db: str | None) -> list[dict[str, Any]]:
    """`status` of every repository in a database, each checked against its last known path."""
    repo = _open_repo(None)
    url = database_url(db, repo.git_dir if repo else None)
    if repo is not None:
        repo.close()
    store = Store(open_engine(url, must_exist=True))
    try:
        statuses = []
        for row in store.repositories():
            on_disk = _open_repo(row.path) if Path(row.path).is_dir() else None
            data = store.status(row.id)
            data.update(
                name=row.name,
                identity=row.identity,
                path=row.path,
                behind=_behind(store, row.id, on_disk),
            )
            if on_disk is not None:
                on_disk.close()
            statuses.append(data)
        return statuses
    finally:
        store.close()
