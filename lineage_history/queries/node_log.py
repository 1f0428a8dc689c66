"""`log NODE`: the commits that added, changed or removed a node, and what changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from lineage_history.dag.diff import NodeChange, change_details, node_changes
from lineage_history.queries.at_commit import unknown_node
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import UNKNOWN, Gap, GapWalk, History
from lineage_history.store.records import StoredCommit

BOUNDARY_NOTE = (
    "a shallow clone's boundary: the history before it is not indexed "
    "(`git fetch --unshallow`, then index again)"
)


@dataclass(frozen=True)
class LogEntry:
    """One commit that added, changed or removed the node."""

    commit: StoredCommit
    node: str  # its name at this commit
    change: str | tuple[str, ...]  # "added", "removed", or the kinds of change
    details: tuple[str, ...] = ()
    renamed_from: str | None = None
    renamed_to: str | None = None
    stubbed: tuple[str, ...] = ()  # stand-ins of this commit's build
    gap: Gap | None = None  # change "unknown": commits whose DAG could not be built


def gap_entry(gap: Gap, node: str) -> LogEntry:
    """A run of commits that could not be built, in its place in the history: `commit` is
    its newest commit."""
    return LogEntry(gap.newest, node, UNKNOWN, gap=gap)


@dataclass(frozen=True)
class NodeLog:
    dag: str
    rev: str
    head: StoredCommit
    node: str
    follow: bool
    entries: tuple[LogEntry, ...] = field(default=())


def _log_entry(
    history: History, commit: StoredCommit, name: str, follow: bool
) -> tuple[LogEntry | None, str]:
    """What happened to node `name` at `commit` (against its first parent's nearest built
    commit), and the node's name before it."""
    sha = commit.sha
    now = history.node_at(sha, name)
    base = history.first_base(sha)
    before = history.node_at(base, name)
    if before is None and now is None:
        return None, name
    if before is None:
        assert now is not None
        old = {new: old for old, new in history.renames(base, sha).items()}.get(name)
        if old is None and sha in history.boundaries and not commit.parents:
            return LogEntry(commit, name, "boundary", (BOUNDARY_NOTE,)), name
        if old is None:
            return LogEntry(commit, name, "added"), name
        if not follow:
            hint = (f"renamed from {old} (use --follow for its earlier history)",)
            return LogEntry(commit, name, "added", hint, renamed_from=old), name
        previous = history.node_at(base, old)
        assert previous is not None
        kinds = node_changes(previous, now, history.stubbed(base), history.stubbed(sha))
        change = NodeChange(name, kinds, previous, now)
        details = (f"renamed from {old}", *change_details(change))
        return LogEntry(commit, name, ("renamed", *change.changes), details, old), old
    if now is None:
        new = history.renames(base, sha).get(name)
        details = (f"renamed to {new}",) if new else ()
        return LogEntry(commit, name, "removed", details, renamed_to=new), name
    kinds = node_changes(before, now, history.stubbed(base), history.stubbed(sha))
    details = tuple(change_details(NodeChange(name, kinds, before, now)))
    old_config, new_config = history.config_of(base), history.config_of(sha)
    if name in old_config or name in new_config:  # a config key: its value is its history
        old_value, new_value = old_config.get(name, "(unset)"), new_config.get(name, "(unset)")
        if old_value != new_value:
            kinds = (*kinds, "value")
            details = (*details, f"value {old_value!r} -> {new_value!r}")
    if not kinds:
        return None, name
    return LogEntry(commit, name, kinds, details), name


def _same_side(history: History, commit: StoredCommit, name: str) -> str | None:
    """The parent of a merge whose (nearest built) version of `name` the merge kept, if any."""
    if len(commit.parents) < 2:
        return None
    now = history.node_at(commit.sha, name)
    return next(
        (p for p in commit.parents if history.node_at(history.built_base(p), name) == now), None
    )


def log(
    handle: QueryHandle,
    name: str,
    rev: str = "HEAD",
    dag: str | None = None,
    follow: bool = False,
) -> NodeLog:
    """The commits reachable from `rev`, newest first, that added, changed or removed `name`.

    A commit is compared with its first parent's nearest commit whose build did not fail, so
    a broken build is never a removal; a run of such commits is listed in its place as a gap
    (change "unknown") at the top, or where the node differs on either side of it. As in
    `git log`, a merge that kept one parent's version of the node is not listed and only that
    parent's history is walked. With `follow`, a rename continues under the old name.
    """
    head = handle.resolve(rev)
    dag_name = handle.pick_dag(dag, [(rev, head)], strict=False)
    history = History(handle, dag_name)
    commits = history.reachable(head.sha)
    reachable_shas = [c.sha for c in commits]
    if not any(history.node_at(sha, name) for sha in reachable_shas):
        where = f"in the history of {rev} ({head.sha[:10]})"
        raise unknown_node(name, history.names(reachable_shas), where)
    name_at = {head.sha: name}
    entries: list[LogEntry] = []
    gaps = GapWalk(history)
    for commit in commits:  # children before parents
        if commit.sha not in name_at:
            continue  # on a side that a merge did not take the node from
        current = older = name_at[commit.sha]
        parents: Sequence[str] = commit.parents
        if history.failed(commit.sha):
            gaps.failed(commit)
        else:
            gap = gaps.built(history.node_at(commit.sha, current))
            if gap is not None:
                entries.append(gap_entry(gap, current))
            kept = _same_side(history, commit, current)
            if kept is not None:
                parents = [kept]
            else:
                entry, older = _log_entry(history, commit, current, follow)
                if entry is not None:
                    entries.append(replace(entry, stubbed=history.stubbed(commit.sha)))
        for parent in parents:
            name_at.setdefault(parent, older)
    last = gaps.end()
    if last is not None:
        entries.append(gap_entry(last, name_at.get(last.oldest.sha, name)))
    return NodeLog(dag_name, rev, head, name, follow, tuple(entries))
