"""What the two commands call: `index --workers` opens a `RemoteBuilds` on the broker for
the repository it indexes, `worker` serves a clone's queue into the shared database. Both
check their inputs first: a reachable broker and a database every machine can reach."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from lineage_history.errors import UserError
from lineage_history.repo.clone import repository_identity, work_root
from lineage_history.repo.git import GitRepo
from lineage_history.store.database import open_engine
from lineage_history.store.urls import ENV_VAR, database_url, describe
from lineage_history.store.writer import Store
from lineage_history.workers.builder import WorkerBuilder

if TYPE_CHECKING:
    from lineage_history.workers.celery_app import CeleryBuilds


def _celery(flag: str) -> ModuleType:
    """The Celery side, imported here so that a missing extra is one line, not a traceback."""
    try:
        from lineage_history.workers import celery_app
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("celery", "kombu", "redis", "amqp"):
            raise
        raise UserError(f"{flag} needs Celery: pip install 'lineage-history[workers]'") from None
    return celery_app


def shared_database(db: str | None, flag: str) -> str:
    """The database URL, which must not be an SQLite file: workers on other machines write
    to the database the indexer reads."""
    if not (db or os.environ.get(ENV_VAR)):
        raise UserError(
            f"{flag} needs a database the workers share: pass --db postgresql://... "
            f"(or set {ENV_VAR})"
        )
    url = database_url(db, None)
    if url.startswith("sqlite"):
        raise UserError(
            f"{flag} needs a database the workers share, not the SQLite file {describe(url)}: "
            "pass --db postgresql://..."
        )
    return url


def connect(
    broker: str, db: str | None
) -> tuple[str, Callable[[GitRepo, Callable[[str], None]], CeleryBuilds]]:
    """The indexer's side, checked before anything is opened: the shared database's URL, and
    what gives the `RemoteBuilds` of a repository (its queue on the reachable broker)."""
    url = shared_database(db, "--workers")
    celery = _celery("--workers")
    app = celery.make_app(broker)
    celery.check_broker(app)

    def bind(repo: GitRepo, notify: Callable[[str], None]) -> CeleryBuilds:
        roots, _ = repository_identity(repo)
        return celery.CeleryBuilds(app, celery.queue_name(roots), notify)

    return url, bind


def run_worker(
    broker: str,
    repo_path: str | None,
    db: str | None,
    *,
    concurrency: int,
    timeout: float,
    memory_mb: int,
    log: Callable[[str], None],
) -> None:
    """Serve the queue of the clone at `repo_path`, storing into `db`, until stopped."""
    url = shared_database(db, "`worker`")
    celery = _celery("`worker`")
    app = celery.make_app(broker)
    celery.check_broker(app)
    repo = GitRepo(repo_path or ".")
    roots, _ = repository_identity(repo)
    queue = celery.queue_name(roots)
    store = Store(open_engine(url))
    try:
        builder = WorkerBuilder(
            repo,
            store,
            work_root(repo),
            concurrency=concurrency,
            timeout=timeout,
            memory_mb=memory_mb,
            log=log,
        )
        ready = (
            f"worker {os.getpid()}: serving {queue} ({Path(repo.root).name}) into "
            f"{describe(url)}, {concurrency} build(s) at a time"
        )
        celery.serve(app, builder, queue, concurrency, ready)
    finally:
        store.close()
        repo.close()
