"""`status`: what is indexed, what failed, how far behind the repository the index is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lineage_history.queries.handle import QueryHandle
from lineage_history.repo.clone import head_of, open_repo
from lineage_history.repo.git import GitRepo
from lineage_history.store.connect import open_reader
from lineage_history.store.reader import Reader
from lineage_history.store.urls import database_url


def _behind(
    reader: Reader, repository_id: int, repo: GitRepo | None, head: str | None
) -> int | None:
    """Commits reachable from HEAD and the local branches that are not indexed yet.

    An index run stores a commit only after its parents, so when every branch tip is stored
    nothing behind them is missing: the usual answer (0) costs no walk of the history.
    """
    if repo is None or head is None:
        return None
    tips = repo.branch_tips() | {head}
    if reader.indexed_shas(repository_id, among=tips) == tips:
        return 0
    return len(repo.reachable_shas() - reader.indexed_shas(repository_id))


def repository_status(handle: QueryHandle) -> dict[str, Any]:
    data = handle.reader.status(handle.repository_id)
    data["behind"] = _behind(handle.reader, handle.repository_id, handle.repo, handle.head)
    data["failures"] = [
        {"sha": sha, "dag": dag, "error": error}
        for sha, dag, error in handle.reader.failed_states(handle.repository_id)
    ]
    return data


def all_repositories_status(db: str | None) -> list[dict[str, Any]]:
    """`status` of every repository in a database, each checked against its last known path."""
    repo = open_repo(None)
    url = database_url(db, repo.git_dir if repo else None)
    if repo is not None:
        repo.close()
    reader = open_reader(url)
    try:
        statuses = []
        for row in reader.repositories():
            on_disk = open_repo(row.path) if Path(row.path).is_dir() else None
            data = reader.status(row.id)
            data.update(
                name=row.name,
                identity=row.identity,
                path=row.path,
                behind=_behind(reader, row.id, on_disk, head_of(on_disk)),
            )
            if on_disk is not None:
                on_disk.close()
            statuses.append(data)
        return statuses
    finally:
        reader.close()
