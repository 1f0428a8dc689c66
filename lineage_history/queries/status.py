"""`status`: what is indexed, what failed, how far behind the repository the index is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lineage_history.queries.handle import QueryHandle
from lineage_history.repo.clone import head_of, open_repo
from lineage_history.repo.git import GitRepo
from lineage_history.store.connect import open_reader
from lineage_history.store.reader import Reader
from lineage_history.store.records import DagFailure, IndexCounts, RepositoryRow
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


@dataclass(frozen=True)
class RepositoryStatus:
    """What is indexed of one repository, and how far its refs are ahead of the index."""

    counts: IndexCounts
    behind: int | None  # None: the repository is not on disk
    failures: tuple[DagFailure, ...] = ()
    repository: RepositoryRow | None = None  # named in `status --all-repos`


def repository_status(handle: QueryHandle) -> RepositoryStatus:
    reader = handle.reader
    return RepositoryStatus(
        reader.status(handle.repository_id),
        _behind(reader, handle.repository_id, handle.repo, handle.head),
        tuple(reader.failed_states(handle.repository_id)),
    )


def all_repositories_status(db: str | None) -> list[RepositoryStatus]:
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
            behind = _behind(reader, row.id, on_disk, head_of(on_disk))
            statuses.append(RepositoryStatus(reader.status(row.id), behind, repository=row))
            if on_disk is not None:
                on_disk.close()
        return statuses
    finally:
        reader.close()
