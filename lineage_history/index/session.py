"""The index side: the index handle (the repository on disk and the store it writes), one
index run under its lock with clean stops on SIGINT/SIGTERM, and the watch loop.

Every function returns data; printing is the CLI's job. Questions live in `queries`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lineage_history.errors import LineageHistoryError
from lineage_history.repo.clone import repository_identity, work_root
from lineage_history.repo.git import GitRepo
from lineage_history.store import repositories
from lineage_history.store.database import (
    database_file,
    open_engine,
    require_writable,
    write_failures,
)
from lineage_history.store.identity import find_repository
from lineage_history.store.urls import database_url
from lineage_history.store.writer import Store

if TYPE_CHECKING:  # the indexer is imported only when a run starts
    from lineage_history.index.remote import RemoteBuilds
    from lineage_history.index.run import Indexer, IndexOptions, IndexResult, ProgressCallback


@dataclass
class IndexHandle:
    """An open repository and the lineage database its history is written to."""

    repo: GitRepo
    store: Store
    repository_id: int
    url: str

    def close(self) -> None:
        self.store.close()
        self.repo.close()


def open_for_index(repo_path: str | None, db: str | None) -> IndexHandle:
    """Open the repository and its database (created or migrated), and record which stored
    repository this clone is."""
    repo = GitRepo(repo_path or ".")
    roots, shallow = repository_identity(repo)
    url = database_url(db, repo.git_dir)
    store = Store(open_engine(url))
    main = repo.main_worktree()  # not a linked worktree's path
    with store.reading() as reader:
        known = find_repository(reader, repo)
    repository_id = repositories.remember_repository(
        store.engine, known, name=main.name, path=str(main), roots=roots, shallow=shallow
    )
    repositories.mend_boundaries(store.engine, repository_id, shallow, repo.parents)
    return IndexHandle(repo, store, repository_id, url)


def indexing(repo_path: str | None, db: str | None) -> contextlib.closing[IndexHandle]:
    """An index handle for the length of a `with` block."""
    return contextlib.closing(open_for_index(repo_path, db))


@contextlib.contextmanager
def index_lock(index: IndexHandle, on_wait: Callable[[str], None]) -> Iterator[None]:
    """One index run at a time per SQLite file; the second waits and says so."""
    database = database_file(index.url)
    if database is None:
        yield
        return
    lock_path = database.with_name(database.name + ".lock")
    with open(lock_path, "a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "unknown"
            on_wait(f"waiting for another index run (pid {holder}) on {lock_path.name} to finish")
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(str(os.getpid()))
        lock_file.flush()
        try:
            yield
        finally:
            lock_file.seek(0)
            lock_file.truncate()
            fcntl.flock(lock_file, fcntl.LOCK_UN)


# -- indexing -------------------------------------------------------------------------------


class _StopRequested:
    """SIGINT/SIGTERM handlers that cancel the running indexer (and end a watch loop)."""

    def __init__(self, notify: Callable[[str], None]) -> None:
        self.notify = notify
        self.requested = threading.Event()
        self.indexer: Indexer | None = None
        self._previous: dict[int, Any] = {}
        self._closed = False  # our output lost its reader

    def __enter__(self) -> _StopRequested:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, _frame: Any) -> None:
        self.request()
        with contextlib.suppress(OSError):  # the reader of our output may be gone too
            self.notify(f"stopping ({signal.Signals(signum).name}) ...")

    def request(self) -> None:
        """Stop the running indexer (and a watch loop) as a signal does."""
        self.requested.set()
        if self.indexer is not None:
            self.indexer.cancel()

    def unless_closed(self, write: Callable[..., None]) -> Callable[..., None]:
        """`write` (a progress or message callback) that stops the run, as a signal does,
        when its output has no reader any more (`index 2>&1 | head -1`) instead of raising
        out of the indexer."""

        def guarded(*args: Any) -> None:
            if self.requested.is_set() and self._closed:
                return
            try:
                write(*args)
            except OSError:  # BrokenPipeError, EIO: nobody reads what we write
                self._closed = True
                self.request()

        return guarded

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def index_once(
    handle: IndexHandle,
    options: IndexOptions,
    *,
    progress: ProgressCallback | None = None,
    notify: Callable[[str], None] = lambda message: None,
    stop: _StopRequested | None = None,
    remote: RemoteBuilds | None = None,
) -> IndexResult:
    """One index run: the lock, the run record, the indexer; SIGINT/SIGTERM stop it cleanly."""
    from lineage_history.index.run import Indexer

    require_writable(handle.url)
    with contextlib.ExitStack() as stack:
        if stop is None:
            stop = stack.enter_context(_StopRequested(notify))
        notify = stop.unless_closed(notify)
        stack.enter_context(index_lock(handle, notify))
        indexer = Indexer(
            handle.repo,
            handle.store,
            handle.repository_id,
            options,
            work_root(handle.repo),
            stop.unless_closed(progress) if progress is not None else None,
            notify,
            remote,
        )
        stop.indexer = indexer
        if stop.requested.is_set():
            indexer.cancel()
        with write_failures(handle.url):
            run_id = handle.store.start_run(handle.repository_id)
            try:
                result = indexer.run()
            except BaseException as exc:
                if stop.requested.is_set():  # what the stop itself raised is no failure
                    handle.store.finish_stopped_run(run_id, exc)
                else:
                    handle.store.finish_failed_run(run_id, exc)
                raise
            finally:
                stop.indexer = None
            status = "interrupted" if result.interrupted else "ok"
            handle.store.finish_run(run_id, status, result.counts(), result.summary())
            if result.new:
                handle.store.analyze()
    return result


def watch(
    handle: IndexHandle,
    options: IndexOptions,
    interval: float,
    *,
    fetch: bool = False,
    notify: Callable[[str], None],
    log: Callable[[str], None],
    remote: RemoteBuilds | None = None,
) -> None:
    """Index, sleep, repeat until SIGINT/SIGTERM; one log line per round."""
    with _StopRequested(notify) as stop:
        while not stop.requested.is_set():
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            try:
                if fetch:
                    handle.repo.fetch()
                result = index_once(handle, options, notify=notify, stop=stop, remote=remote)
                log(f"{stamp} {result.summary()}")
            except LineageHistoryError as exc:  # a bad round is logged; the service goes on
                log(f"{stamp} error: {exc}")
            stop.requested.wait(interval)
