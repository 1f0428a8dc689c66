"""The commits where a DAG's lineage changed: its snapshot differs from the one its first
parent (or the nearest built commit below it) had. What an export to a lineage catalog sends,
one event each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lineage_history.dag.model import Snapshot
from lineage_history.errors import UserError
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import History
from lineage_history.store.records import StoredCommit


@dataclass(frozen=True)
class LineageChange:
    """One DAG at one commit whose lineage differs from its parent's."""

    dag: str
    commit: StoredCommit
    snapshot: Snapshot
    before: Snapshot  # the DAG at the first parent's nearest built commit (empty: none)


def _changes(history: History, dag: str, commits: list[StoredCommit]) -> Iterator[LineageChange]:
    for commit in commits:
        snapshot_id = history.snapshot_id(commit.sha)
        if snapshot_id is None:
            continue  # not built here (absent, or failed: it changed no known lineage)
        base = history.first_base(commit.sha)
        if history.snapshot_id(base) == snapshot_id:
            continue
        yield LineageChange(dag, commit, history.snapshot(commit.sha), history.snapshot(base))


def lineage_changes(
    handle: QueryHandle,
    first: str | None = None,
    second: str | None = None,
    *,
    every_commit: bool = False,
    dag: str | None = None,
) -> list[LineageChange]:
    """The lineage changes at `first` (default HEAD); of the commits in `first..second`
    (reachable from `second`, not from `first`); or of every indexed commit. Oldest first,
    for every DAG unless `dag` names one."""
    if every_commit and (first or second):
        raise UserError("give a revision, a range A B, or --all, not both")
    dags = [handle.pick_dag(dag)] if dag else handle.reader.dag_names(handle.repository_id)
    found: list[LineageChange] = []
    for name in dags:
        history = History(handle, name)
        if every_commit:
            commits = list(history.commits.values())
        elif second is None:
            commits = [handle.resolve(first or "HEAD")]
        else:
            head = handle.resolve(second)
            excluded = {c.sha for c in history.reachable(handle.resolve(first or "HEAD").sha)}
            commits = [c for c in history.reachable(head.sha) if c.sha not in excluded]
        found += _changes(history, name, commits)
    return sorted(found, key=lambda change: (change.commit.position, change.dag))
