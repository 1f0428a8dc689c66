"""Review questions answered from the database: lineage rules checked at a revision or over
a change (`check`), and the commits where one node started or stopped reaching another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lineage_history.dag import policy
from lineage_history.dag.graph import shortest_paths
from lineage_history.dag.policy import Violation
from lineage_history.dag.rules import RuleSet
from lineage_history.queries.at_commit import unknown_node
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import History
from lineage_history.queries.ranges import is_range, resolve_pair
from lineage_history.store.records import StoredCommit

__all__ = ["CheckReport", "ReachEntry", "ReachLog", "check", "reach_log"]


@dataclass(frozen=True)
class CheckReport:
    """The violations at `head`, or those the change from `base` to `head` introduces."""

    dag: str
    rules: RuleSet
    head_rev: str
    head: StoredCommit
    base_rev: str | None
    base: StoredCommit | None
    violations: tuple[Violation, ...]


def check(
    handle: QueryHandle,
    rules: RuleSet,
    first: str | None = None,
    second: str | None = None,
    dag: str | None = None,
) -> CheckReport:
    """`check [REV | A B | A...B | A..B]`: with one revision (default HEAD) every violation
    there; with two, only the violations the change introduces."""
    name = handle.pick_dag(dag)
    if second is None and not is_range(first):
        rev = first or "HEAD"
        commit = handle.resolve(rev)
        found = policy.violations(rules.rules, handle.snapshot_at(commit, name))
        return CheckReport(name, rules, rev, commit, None, None, tuple(found))
    assert first is not None
    pair = resolve_pair(handle, first, second)
    before = handle.snapshot_at(pair.base, name)
    after = handle.snapshot_at(pair.head, name)
    found = policy.introduced(rules.rules, before, after)
    found += policy.breaking_changes(rules.rules, before, after, rules.contract_tags)
    return CheckReport(
        name, rules, pair.head_rev, pair.head, pair.base_rev, pair.base, tuple(found)
    )


# -- log --reach ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReachEntry:
    """A commit where FROM started or stopped reaching TO, with the path that (dis)appeared."""

    commit: StoredCommit
    change: str  # "started" | "stopped"
    path: tuple[str, ...]


@dataclass(frozen=True)
class ReachLog:
    dag: str
    rev: str
    head: StoredCommit
    source: str
    target: str
    entries: tuple[ReachEntry, ...]


class _Reach:
    """The path FROM -> TO at each commit of one DAG's history, computed once per snapshot."""

    def __init__(self, history: History, source: str, target: str) -> None:
        self.history, self.source, self.target = history, source, target
        self._by_snapshot: dict[int, tuple[str, ...] | None] = {}

    def path(self, sha: str | None) -> tuple[str, ...] | None:
        snapshot_id = self.history.snapshot_id(sha)
        if snapshot_id is None:
            return None
        if snapshot_id not in self._by_snapshot:
            snapshot = self.history.reader.load_snapshot(snapshot_id)
            found = shortest_paths(snapshot, self.source).get(self.target)
            self._by_snapshot[snapshot_id] = found
        return self._by_snapshot[snapshot_id]

    def kept_parent(self, commit: StoredCommit) -> str | None:
        """The parent of a merge whose (nearest built) reach the merge kept, if any."""
        if len(commit.parents) < 2:
            return None
        now = self.path(commit.sha) is not None
        built = self.history.built_base
        return next((p for p in commit.parents if (self.path(built(p)) is not None) == now), None)

    def entry(self, commit: StoredCommit) -> ReachEntry | None:
        before = self.path(self.history.first_base(commit.sha))
        now = self.path(commit.sha)
        if (before is None) == (now is None):
            return None
        if now is not None:
            return ReachEntry(commit, "started", now)
        assert before is not None
        return ReachEntry(commit, "stopped", before)


def reach_log(
    handle: QueryHandle, source: str, target: str, rev: str = "HEAD", dag: str | None = None
) -> ReachLog:
    """The commits reachable from `rev`, newest first, where `source` started or stopped
    reaching `target`; like `log`, across failed builds and down the side a merge kept."""
    name = handle.pick_dag(dag)
    head = handle.resolve(rev)
    history = History(handle, name)
    commits = history.reachable(head.sha)
    known = history.names(c.sha for c in commits)
    for node in (source, target):
        if node not in known:
            where = f"in the history of {rev} ({head.sha[:10]})"
            raise unknown_node(node, known, where)
    reach = _Reach(history, source, target)
    walked = {head.sha}
    entries = []
    for commit in commits:  # children before parents
        if commit.sha not in walked:
            continue
        parents: Sequence[str] = commit.parents
        if not history.failed(commit.sha):
            kept = reach.kept_parent(commit)
            if kept is not None:
                parents = [kept]
            elif (found := reach.entry(commit)) is not None:
                entries.append(found)
        walked.update(parents)
    return ReachLog(name, rev, head, source, target, tuple(entries))
