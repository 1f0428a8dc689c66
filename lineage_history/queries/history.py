"""The indexed history of one DAG, as `log`, `blame` and `log --reach` walk it: commits
children first, DAG states, and node versions fetched by name."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lineage_history.dag.diff import diff
from lineage_history.dag.model import EMPTY, Node, Snapshot, TagValue
from lineage_history.queries.handle import QueryHandle
from lineage_history.store.records import STATUS_FAILED, STATUS_OK, DagState, StoredCommit

UNKNOWN = "unknown"  # the change `log` reports for a gap: what happened there is not known


@dataclass(frozen=True)
class Gap:
    """Commits a walk down the history crossed whose DAG could not be built: what happened
    to the DAG there is unknown (the walk compares the built commits on either side)."""

    newest: StoredCommit
    oldest: StoredCommit
    commits: int
    error: str  # the oldest one's: where the breakage began


class History:
    """The indexed commits and the states of one DAG, with node versions fetched by name."""

    def __init__(self, handle: QueryHandle, dag: str) -> None:
        self.reader = handle.reader
        repository_id = handle.repository_id
        self.commits = {c.sha: c for c in self.reader.commits(repository_id)}
        self.states: dict[str, DagState] = self.reader.dag_states(repository_id, dag)
        self.snapshot_ids = sorted(
            {s.snapshot_id for s in self.states.values() if s.status == STATUS_OK and s.snapshot_id}
        )
        self._versions: dict[str, dict[int, Node]] = {}
        self.boundaries = self.reader.shallow_boundaries(repository_id)

    def reachable(self, head: str) -> list[StoredCommit]:
        """The indexed commits reachable from `head`, newest (children) first."""
        seen = {head}
        stack = [head]
        while stack:
            for parent in self.commits[stack.pop()].parents:
                if parent in self.commits and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return self._children_first(seen)

    def newest_first(self) -> list[StoredCommit]:
        """Every indexed commit, newest (children) first."""
        return self._children_first(set(self.commits))

    def _children_first(self, shas: set[str]) -> list[StoredCommit]:
        """Newest first, every commit before its parents: positions alone are not enough once
        a shallow clone's older history (`git fetch --unshallow`) is indexed after it."""
        waiting = dict.fromkeys(shas, 0)  # children not yet placed
        for sha in shas:
            for parent in set(self.commits[sha].parents):
                if parent in waiting:
                    waiting[parent] += 1
        ready = [(-self.commits[s].position, s) for s, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[StoredCommit] = []
        while ready:
            commit = self.commits[heapq.heappop(ready)[1]]
            order.append(commit)
            for parent in set(commit.parents):
                if parent in waiting:
                    waiting[parent] -= 1
                    if waiting[parent] == 0:
                        heapq.heappush(ready, (-self.commits[parent].position, parent))
        return order

    def failed(self, sha: str) -> bool:
        state = self.states.get(sha)
        return state is not None and state.status == STATUS_FAILED

    def error(self, sha: str) -> str:
        state = self.states.get(sha)
        return (state.error if state is not None else None) or "unknown error"

    def gap_below(self, sha: str) -> Gap | None:
        """The failed commits between `sha` and its first parent's nearest built commit."""
        run: list[StoredCommit] = []
        parents = self.commits[sha].parents
        parent = parents[0] if parents else None
        while parent is not None and parent in self.commits and self.failed(parent):
            run.append(self.commits[parent])
            parents = self.commits[parent].parents
            parent = parents[0] if parents else None
        return gap_of(self, run)

    def built_base(self, parent: str | None) -> str | None:
        """The nearest commit from `parent` down its first parents whose build did not fail."""
        while parent is not None and parent in self.commits and self.failed(parent):
            parents = self.commits[parent].parents
            parent = parents[0] if parents else None
        return parent if parent in self.commits else None

    def first_base(self, sha: str) -> str | None:
        parents = self.commits[sha].parents
        return self.built_base(parents[0]) if parents else None

    def snapshot_id(self, sha: str | None) -> int | None:
        """The snapshot of the DAG at `sha`, when it was built there."""
        state = self.states.get(sha) if sha else None
        if state is None or state.status != STATUS_OK:
            return None
        return state.snapshot_id

    def node_at(self, sha: str | None, name: str) -> Node | None:
        snapshot_id = self.snapshot_id(sha)
        if snapshot_id is None:
            return None
        if name not in self._versions:
            self._versions[name] = self.reader.node_versions(self.snapshot_ids, name)
        return self._versions[name].get(snapshot_id)

    def config_of(self, sha: str | None) -> Mapping[str, Any]:
        """The Hamilton config a commit's DAG was built with (one small read per snapshot)."""
        snapshot_id = self.snapshot_id(sha)
        return {} if snapshot_id is None else self.reader.snapshot_config(snapshot_id)

    def snapshot(self, sha: str | None) -> Snapshot:
        snapshot_id = self.snapshot_id(sha)
        if snapshot_id is None:
            return EMPTY
        return self.reader.build_snapshot(snapshot_id, self.stubbed(sha))

    def stubbed(self, sha: str | None) -> tuple[str, ...]:
        state = self.states.get(sha) if sha else None
        return state.stubbed if state is not None else ()

    def names(self, shas: Iterable[str]) -> set[str]:
        """Every node name in the snapshots of `shas`."""
        ids = {snapshot_id for sha in shas if (snapshot_id := self.snapshot_id(sha)) is not None}
        return self.reader.names(ids)

    def renames(self, base: str | None, sha: str) -> dict[str, str]:
        """old name -> new name of the nodes renamed from `base` to `sha`."""
        return dict(diff(self.snapshot(base), self.snapshot(sha)).renamed)

    def tags_of(
        self, names: Iterable[str], snapshot_ids: Iterable[int]
    ) -> dict[tuple[int, str], Mapping[str, TagValue]]:
        """Only the tags of several nodes in some snapshots (cheaper than whole versions)."""
        return self.reader.tags(names, snapshot_ids)


def gap_of(history: History, run: list[StoredCommit]) -> Gap | None:
    """The gap of failed commits `run`, newest first."""
    if not run:
        return None
    return Gap(run[0], run[-1], len(run), history.error(run[-1].sha))


_START: Any = object()  # no built commit walked yet


class GapWalk:
    """The runs of failed commits a walk crosses, children first, each ended by the next
    built commit walked. A run is listed where the answer could hide in it: above the first
    built commit (the newest commits failed), or where what the question sees (`log`: the
    node; `log --reach`: whether there is a path) differs between the built commits on either
    side, since the change listed above it may have been made in one of its commits. A run
    between identical ends changed nothing that either end shows."""

    def __init__(self, history: History) -> None:
        self.history = history
        self._run: list[StoredCommit] = []
        self._above: Any = _START  # what the question saw at the built commit above the run

    def failed(self, commit: StoredCommit) -> None:
        self._run.append(commit)

    def built(self, seen: Any) -> Gap | None:
        """The run that ends above the built commit walked now, where the question sees
        `seen` (None: nothing, such as no node)."""
        gap = self._close(seen)
        self._above = seen
        return gap

    def end(self) -> Gap | None:
        """The run that reaches the oldest commit walked."""
        return self._close(None)

    def _close(self, below: Any) -> Gap | None:
        run, self._run = self._run, []
        if self._above is not _START and self._above == below:
            return None
        return gap_of(self.history, run)
