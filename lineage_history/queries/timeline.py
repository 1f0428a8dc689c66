"""A DAG's timeline: its commits newest first, each with what it did to the lineage against
its first parent (the nearest one whose build did not fail), a page at a time.

Whether a commit changed the lineage is a comparison of snapshot ids (no snapshot is read);
the change counts are a diff, computed only for the commits of the page asked for and kept in
a cache the caller owns (snapshots never change once stored, so neither do the counts)."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

from lineage_history.dag.diff import diff
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import History
from lineage_history.store.records import STATUS_ABSENT, STATUS_FAILED, StoredCommit

PER_PAGE = 50

CountsKey = tuple[int | None, int | None, tuple[str, ...], tuple[str, ...]]
CountsCache = MutableMapping[CountsKey, dict[str, int]]


@dataclass(frozen=True)
class TimelineEntry:
    """One commit of a DAG's timeline."""

    commit: StoredCommit
    status: str  # ok | failed | absent (the DAG is not defined there)
    base: str | None  # the SHA the counts compare with; None for a first commit
    changed: bool  # the lineage differs from the base's, or the build failed
    counts: dict[str, int] | None = None  # the diff's summary; None where nothing changed
    error: str | None = None  # why the build failed


@dataclass(frozen=True)
class Timeline:
    dag: str
    branch: str | None
    changed_only: bool
    page: int
    pages: int
    total: int  # entries over every page
    entries: tuple[TimelineEntry, ...]


def branches(handle: QueryHandle) -> list[str]:
    """The local branches as the last index run saw them (short names)."""
    prefix = "refs/heads/"
    return [
        name.removeprefix(prefix)
        for name in handle.reader.ref_names(handle.repository_id)
        if name.startswith(prefix)
    ]


def timeline(
    handle: QueryHandle,
    dag: str | None,
    *,
    branch: str | None = None,
    since: str | None = None,
    changed_only: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
    cache: CountsCache | None = None,
) -> Timeline:
    """The commits of `dag` (reachable from `branch`, when given, and not from `since`),
    newest first: those that define the DAG or remove it, or only those that changed its
    lineage; page `page`."""
    name = handle.pick_dag(dag)
    history = History(handle, name)
    commits = history.reachable(handle.resolve(branch).sha) if branch else history.newest_first()
    if since:
        older = {c.sha for c in history.reachable(handle.resolve(since).sha)}
        commits = [c for c in commits if c.sha not in older]
    entries = [e for c in commits if (e := _entry(history, c)) is not None]
    if changed_only:
        entries = [e for e in entries if e.changed]
    pages = max(1, -(-len(entries) // per_page))
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * per_page : page * per_page]
    counted = tuple(_counted(history, e, {} if cache is None else cache) for e in shown)
    return Timeline(name, branch, changed_only, page, pages, len(entries), counted)


def _entry(history: History, commit: StoredCommit) -> TimelineEntry | None:
    """The commit's entry; None where the DAG is defined neither there nor at its base."""
    state = history.states.get(commit.sha)
    status = state.status if state is not None else STATUS_ABSENT
    base = history.first_base(commit.sha)
    now, before = history.snapshot_id(commit.sha), history.snapshot_id(base)
    if status == STATUS_ABSENT and before is None:
        return None
    failed = status == STATUS_FAILED
    error = state.error if failed and state is not None else None
    return TimelineEntry(commit, status, base, failed or now != before, error=error)


def _counted(history: History, entry: TimelineEntry, cache: CountsCache) -> TimelineEntry:
    if not entry.changed or entry.status == STATUS_FAILED:
        return entry
    sha, base = entry.commit.sha, entry.base
    key = (
        history.snapshot_id(base),
        history.snapshot_id(sha),
        history.stubbed(base),
        history.stubbed(sha),
    )
    if key not in cache:
        cache[key] = diff(history.snapshot(base), history.snapshot(sha)).summary()
    return TimelineEntry(entry.commit, entry.status, base, True, cache[key], entry.error)
