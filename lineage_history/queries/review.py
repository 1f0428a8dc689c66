"""Review questions answered from the database: lineage rules checked at a revision or over
a change (`check`), and the commits where one node started or stopped reaching another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lineage_history.dag import policy
from lineage_history.dag.graph import shortest_paths
from lineage_history.dag.model import Snapshot
from lineage_history.dag.policy import Violation
from lineage_history.dag.rules import RuleSet
from lineage_history.errors import UserError
from lineage_history.queries.at_commit import unknown_node
from lineage_history.queries.diffs import LiveSides
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import UNKNOWN, Gap, GapWalk, History
from lineage_history.queries.ranges import is_range, resolve_pair
from lineage_history.store.records import StoredCommit

__all__ = [
    "CheckReport",
    "ReachEntry",
    "ReachLog",
    "check",
    "check_live",
    "checks_live",
    "reach_log",
]


@dataclass(frozen=True)
class CheckReport:
    """The violations at `head`, or those the change from `base` to `head` introduces."""

    dag: str
    rules: RuleSet
    head_rev: str  # a revision, or "working tree" / "index"
    head: StoredCommit | None  # None: the working tree or the index
    base_rev: str | None
    base: StoredCommit | None
    violations: tuple[Violation, ...]


def checks_live(
    first: str | None, second: str | None, staged: bool, handle: QueryHandle, rules: RuleSet
) -> bool:
    """Whether `check` judges the working tree (or, `staged`, the index) against HEAD: with no
    revision, in a repository on disk, when there are rules to judge by (none: nothing to
    build). Without the repository it judges HEAD as indexed."""
    if staged and (first is not None or second is not None):
        raise UserError("check --staged takes no revision: it judges the index against HEAD")
    if staged and handle.repo is None:
        raise UserError("check --staged needs the repository")
    return first is None and second is None and handle.repo is not None and bool(rules.rules)


def check(
    handle: QueryHandle,
    rules: RuleSet,
    first: str | None = None,
    second: str | None = None,
    dag: str | None = None,
) -> CheckReport:
    """`check REV | A B | A...B | A..B` from the database: with one revision (default HEAD)
    every violation there; with two, only the violations the change introduces (those that
    were not violations at the base). The working tree is `check_live`'s."""
    if second is None and not is_range(first):
        rev = first or "HEAD"
        commit = handle.resolve(rev)
        name = handle.pick_dag(dag, [(rev, commit)])
        found = policy.violations(rules.rules, handle.snapshot_at(commit, name))
        return CheckReport(name, rules, rev, commit, None, None, tuple(found))
    assert first is not None
    pair = resolve_pair(handle, first, second)
    name = handle.pick_dag(dag, [(pair.base_rev, pair.base), (pair.head_rev, pair.head)])
    before = handle.snapshot_at(pair.base, name)
    after = handle.snapshot_at(pair.head, name)
    found = _introduced(rules, before, after)
    return CheckReport(name, rules, pair.head_rev, pair.head, pair.base_rev, pair.base, found)


def _introduced(rules: RuleSet, before: Snapshot, after: Snapshot) -> tuple[Violation, ...]:
    """What a change brings: violations that were none before, and what it breaks."""
    found = policy.introduced(rules.rules, before, after)
    found += policy.breaking_changes(rules.rules, before, after, rules.contract_tags)
    return tuple(found)


def check_live(rules: RuleSet, sides: LiveSides) -> CheckReport:
    """The violations the working tree (or the index) introduces against its base revision:
    what a pre-commit hook stops (`check HEAD` lists every violation there)."""
    found = _introduced(rules, sides.old, sides.new)
    return CheckReport(sides.dag, rules, sides.where, None, sides.base_rev, sides.base, found)


# -- log --reach ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReachEntry:
    """A commit where FROM started or stopped reaching TO, with the path that (dis)appeared."""

    commit: StoredCommit
    change: str  # "started" | "stopped" | "unknown" (a gap: `commit` is its newest)
    path: tuple[str, ...]
    gap: Gap | None = None


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
    reaching `target`; like `log`, across failed builds (each run of them listed as a gap)
    and down the side a merge kept."""
    head = handle.resolve(rev)
    name = handle.pick_dag(dag, [(rev, head)], strict=False)
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
    gaps = GapWalk(history)
    for commit in commits:  # children before parents
        if commit.sha not in walked:
            continue
        parents: Sequence[str] = commit.parents
        if history.failed(commit.sha):
            gaps.failed(commit)
        else:
            reached = True if reach.path(commit.sha) is not None else None
            if (gap := gaps.built(reached)) is not None:
                entries.append(ReachEntry(gap.newest, UNKNOWN, (), gap))
            kept = reach.kept_parent(commit)
            if kept is not None:
                parents = [kept]
            elif (found := reach.entry(commit)) is not None:
                entries.append(found)
        walked.update(parents)
    if (gap := gaps.end()) is not None:
        entries.append(ReachEntry(gap.newest, UNKNOWN, (), gap))
    return ReachLog(name, rev, head, source, target, tuple(entries))
