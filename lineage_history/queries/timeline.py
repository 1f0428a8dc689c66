"""A DAG's timeline: its commits newest first, each with what it did to the lineage against
its first parent (the nearest one whose build did not fail), a page at a time.

Whether a commit changed the lineage is a comparison of snapshot ids (no snapshot is read);
the change counts are a diff, computed only for the commits of the page asked for. Both are
kept in a cache the caller owns: the entries until the next index run, the counts for good
(snapshots never change once stored, so neither do their diffs)."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from typing import Any

from lineage_history.dag.diff import diff
from lineage_history.dag.model import EMPTY, Snapshot
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import History
from lineage_history.store.records import STATUS_ABSENT, STATUS_FAILED, StoredCommit

PER_PAGE = 50

# (base snapshot, snapshot, base stand-ins, stand-ins): what the counts of a commit depend on.
CountsKey = tuple[int | None, int | None, tuple[str, ...], tuple[str, ...]]
CountsCache = MutableMapping[Any, Any]  # counts by CountsKey, entries by ("entries", ...)


@dataclass(frozen=True)
class TimelineEntry:
    """One commit of a DAG's timeline."""

    commit: StoredCommit
    status: str  # ok | failed | absent (the DAG is not defined there)
    base: str | None  # the SHA the counts compare with; None for a first commit
    changed: bool  # the lineage differs from the base's, or the build failed
    counts: dict[str, int] | None = None  # the diff's summary; None where nothing changed
    error: str | None = None  # why the build failed
    key: CountsKey | None = None


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
    head = handle.resolve(branch).sha if branch else None
    older = handle.resolve(since).sha if since else None
    cache = {} if cache is None else cache
    entries = _entries(handle, name, head, older, cache)
    if changed_only:
        entries = [e for e in entries if e.changed]
    pages = max(1, -(-len(entries) // per_page))
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * per_page : page * per_page]
    counted = tuple(_counted(handle, e, cache) for e in shown)
    return Timeline(name, branch, changed_only, page, pages, len(entries), counted)


def _entries(
    handle: QueryHandle, dag: str, head: str | None, older: str | None, cache: CountsCache
) -> list[TimelineEntry]:
    """Every entry (no counts yet), from the cache while no index run has changed anything."""
    generation = handle.reader.generation(handle.repository_id)
    key = ("entries", handle.repository_id, dag, head, older, generation)
    if key not in cache:
        for stale in [k for k in list(cache) if k[0] == "entries" and k[-1] != generation]:
            cache.pop(stale, None)
        history = History(handle, dag)
        commits = history.reachable(head) if head else history.newest_first()
        if older:
            before = {c.sha for c in history.reachable(older)}
            commits = [c for c in commits if c.sha not in before]
        cache[key] = [e for c in commits if (e := _entry(history, c)) is not None]
    return cache[key]


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
    key = (before, now, history.stubbed(base), history.stubbed(commit.sha))
    return TimelineEntry(commit, status, base, failed or now != before, error=error, key=key)


def _counted(handle: QueryHandle, entry: TimelineEntry, cache: CountsCache) -> TimelineEntry:
    if not entry.changed or entry.status == STATUS_FAILED or entry.key is None:
        return entry
    if entry.key not in cache:
        before, now, stubbed_before, stubbed_now = entry.key
        old = _snapshot(handle, before, stubbed_before)
        cache[entry.key] = diff(old, _snapshot(handle, now, stubbed_now)).summary()
    return replace(entry, counts=cache[entry.key])


def _snapshot(handle: QueryHandle, snapshot_id: int | None, stubbed: tuple[str, ...]) -> Snapshot:
    return EMPTY if snapshot_id is None else handle.reader.build_snapshot(snapshot_id, stubbed)
