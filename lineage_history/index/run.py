"""An index run: walks a repository's history, schedules the builds its new commits wait
for (each key built once, shared with concurrent indexers through build claims) and records
every commit's DAG states in order. Planning is `commit_plans`, the claims `build_claims`."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from lineage_history.build.pool import (
    INTERRUPTED,
    BuildOutcome,
    ExtractorPool,
    clean_stale_workdirs,
)
from lineage_history.dag.model import outermost
from lineage_history.index.claims import BuildClaims, ClaimHeartbeat
from lineage_history.index.commit_plans import CommitPlanner, Rebuild
from lineage_history.index.remote import RemoteBuilds, RemoteOutcome, await_remote, jobs_for
from lineage_history.index.results import IndexOptions, IndexResult, RunState
from lineage_history.index.structure import StructureReuse
from lineage_history.repo.git import CommitInfo, GitRepo
from lineage_history.store.records import (
    STATUS_BUILT,
    STATUS_FAILED,
    STATUS_OK,
    CommitDagRow,
    StoredBuild,
)
from lineage_history.store.writer import Store

__all__ = ["IndexOptions", "IndexResult", "Indexer", "ProgressCallback"]


# Commits planned, built and recorded together: bounds what a run holds in memory.
_CHUNK = 250

# (phase, done, total): "planning" counts commits, "building" distinct builds.
ProgressCallback = Callable[[str, int, int], None]
PLANNING, BUILDING = "planning", "building"


class Indexer:
    """One index run over one repository into one store."""

    def __init__(
        self,
        repo: GitRepo,
        store: Store,
        repository_id: int,
        options: IndexOptions,
        work_root: Path,
        progress: ProgressCallback | None = None,
        notify: Callable[[str], None] | None = None,
        remote: RemoteBuilds | None = None,
    ) -> None:
        self.repo = repo
        self.remote = remote  # builds by workers elsewhere (`--workers`) instead of here
        self.store = store
        self.repository_id = repository_id
        self.options = options
        self.work_root = work_root
        self.progress = progress or (lambda phase, done, total: None)
        self.notify = notify or (lambda message: None)
        self.claims = BuildClaims(store, options.claim_timeout)
        self.owner = self.claims.owner
        self._cancelled = threading.Event()
        self._pool: ExtractorPool | None = None
        self._planner = CommitPlanner(
            repo, store, options.override, options.pass_env, structure=not options.exact_keys
        )
        self._reuse = None if options.exact_keys else StructureReuse(repo.read_blob)

    def cancel(self) -> None:
        """Stop as soon as possible: builds in flight are killed and not recorded."""
        self._cancelled.set()
        if self._pool is not None:
            self._pool.close()

    def run(self) -> IndexResult:
        started = time.monotonic()
        result = IndexResult()
        clean_stale_workdirs(self.work_root)
        commits = self.repo.commits(list(self.options.revs), all_refs=self.options.all_refs)
        result.seen = len(commits)
        indexed = self.store.indexed_shas(self.repository_id)
        todo = [c for c in commits if c.sha not in indexed]
        result.new = len(todo)

        state = RunState(result)
        # A long history is planned, built and recorded a chunk of commits at a time, so
        # that the indexer's memory does not grow with it.
        for start in range(0, max(len(todo), 1), _CHUNK):
            self._run_chunk(todo[start : start + _CHUNK], state, start, len(todo))
            if self._cancelled.is_set() or state.pending:
                break
            state = RunState(result)

        result.interrupted = self._cancelled.is_set() or bool(state.pending)
        new_shas = {c.sha for c in todo}
        result.failures = [
            failure
            for failure in self.store.failed_states(self.repository_id)
            if failure.sha in new_shas
        ]
        if not self._cancelled.is_set():
            self.store.set_refs(self.repository_id, self.repo.refs())
        result.seconds = time.monotonic() - started
        return result

    def _run_chunk(self, chunk: list[CommitInfo], state: RunState, done: int, total: int) -> None:
        """Plan, build and record some of the new commits (with the rebuilds asked for, in
        the first chunk)."""
        result = state.result
        rebuilds = self._plan(chunk, state, done, total)
        to_build = [key for key in state.plans if key not in state.resolved]
        state.to_build, state.built_before = len(to_build), result.built
        self.progress(BUILDING, 0, len(to_build))
        self._flush(state)
        if to_build and not self._cancelled.is_set():
            building_started = time.monotonic()
            storing_before = result.storing_seconds
            if self.remote is not None:
                self._build_remote(to_build, state, rebuilds)
            else:
                self._build_all(to_build, state)
            building = time.monotonic() - building_started
            result.building_seconds += building - (result.storing_seconds - storing_before)
        self._flush(state)
        for rebuild in rebuilds:
            if rebuild.key in state.resolved:
                build_id = state.resolved[rebuild.key].id
                self.store.point_commit_dag(self.repository_id, rebuild.sha, rebuild.dag, build_id)

    # -- planning -----------------------------------------------------------------------

    def _plan(
        self, todo: list[CommitInfo], state: RunState, done: int = 0, total: int = 0
    ) -> list[Rebuild]:
        """Plan the new commits (`done` of `total` planned before) and, in the first chunk,
        the rebuilds asked for, and resolve the keys that stored builds answer; the indexed
        DAG states to point at their rebuilds."""
        first_position = self.store.max_position(self.repository_id) + 1
        planning_started = time.monotonic()
        total = max(total, len(todo))
        self.progress(PLANNING, done, total)
        for offset, info in enumerate(todo):
            if self._cancelled.is_set():
                break
            entry, commit_plans = self._planner.plan_commit(info, first_position + offset)
            state.pending.append(entry)
            state.plans.update(commit_plans)
            self.progress(PLANNING, done + offset + 1, total)
        rebuilds = self._plan_rebuilds(state) if done == 0 else []
        state.result.planning_seconds += time.monotonic() - planning_started
        for key, value in self.store.builds_by_key(state.plans).items():
            if self._usable(value.status) and key not in state.retrying:
                state.resolved[key] = value
        return rebuilds

    def _plan_rebuilds(self, state: RunState) -> list[Rebuild]:
        """`--retry-failed`: every failed DAG of an indexed commit; `--rebuild-stubbed`: every
        one whose build used stand-ins. Their plans are added to the run's."""
        rebuilds: list[Rebuild] = []
        if self.options.retry_failed:
            rebuilds, plans = self._planner.plan_rebuilds(
                self.repository_id, self.store.failed_states
            )
            state.plans.update(plans)
        if self.options.rebuild_stubbed:
            stubbed, plans = self._planner.plan_rebuilds(
                self.repository_id, self.store.stand_in_states
            )
            state.plans.update(plans)
            rebuilds += stubbed
            state.retrying.update(rebuild.key for rebuild in rebuilds)
        state.asked.update(rebuild.key for rebuild in rebuilds)
        return rebuilds

    def _usable(self, status: str) -> bool:
        """A stored build answers this run, unless it failed and we were asked to retry."""
        return not (self.options.retry_failed and status == STATUS_FAILED)

    # -- recording ----------------------------------------------------------------------

    def _flush(self, state: RunState) -> None:
        """Record, in order, the pending commits whose builds are all resolved."""
        ready = []
        while state.pending and all(key in state.resolved for key in state.pending[0].waiting):
            ready.append(state.pending.popleft())
        if not ready:
            return
        entries = []
        result = state.result
        for entry in ready:
            rows = list(entry.rows)
            failures = sum(row.status == STATUS_FAILED for row in rows)
            result.states += len(rows) + len(entry.waiting)
            result.unbuilt += len(rows)
            for key, dag in entry.waiting.items():
                build = state.resolved[key]
                definition_id = self._planner.definition_id(state.plans[key].definition)
                rows.append(CommitDagRow(dag, STATUS_BUILT, definition_id, build.id))
                failures += build.status == STATUS_FAILED
                if key in state.fresh and key not in state.counted:
                    state.counted.add(key)  # the commit this build was run for
                    if key in state.refreshed:
                        result.refreshed_states += 1
                    else:
                        result.built_states += 1
                else:
                    result.reused += 1
            result.failed_states += failures
            if failures:
                result.failed += 1
            entries.append((entry.info, entry.position, rows))
        storing_started = time.monotonic()
        self.store.save_commits(self.repository_id, entries)
        result.storing_seconds += time.monotonic() - storing_started
        state.done += len(ready)

    # -- building -----------------------------------------------------------------------

    def _take(self, key: str, state: RunState) -> bool:
        """Claim a key for this run; False when another indexer holds it or has built it."""
        if not self.claims.take(key):
            return False
        found = self.store.builds_by_key([key]).get(key)
        if found is not None and self._usable(found.status) and key not in state.retrying:
            self.claims.release(key)  # built by the previous holder meanwhile
            state.resolved[key] = found
            return False
        return True

    def _build_all(self, to_build: list[str], state: RunState) -> None:
        jobs = max(1, self.options.jobs)
        self.claims.release_dead_owners()
        self._pool = ExtractorPool(
            jobs,
            self.work_root,
            timeout=self.options.timeout,
            memory_mb=self.options.memory_mb,
            pass_env=self.options.pass_env,
        )
        if self.options.retry_failed:
            state.retrying.update(to_build)
        queue = deque(to_build)
        held_by_others: set[str] = set()
        futures: dict[Future[BuildOutcome], str] = {}
        heartbeat = self.claims.heartbeat()
        last_poll = 0.0
        try:
            with ThreadPoolExecutor(max_workers=jobs) as executor:
                while not self._cancelled.is_set() and (queue or held_by_others or futures):
                    while queue and len(futures) < 2 * jobs and not self._cancelled.is_set():
                        key = queue.popleft()
                        if key in state.resolved or self._without_build(key, state):
                            continue
                        if not self._take(key, state):
                            if key not in state.resolved:
                                held_by_others.add(key)
                            continue
                        heartbeat.add(key)
                        request = self._planner.request(state.plans[key])
                        futures[executor.submit(self._pool.build, request)] = key
                        if self._reuse is not None:
                            self._reuse.building(state.plans[key])
                    self._save_refreshed(state)
                    if futures:
                        self._collect(futures, state, heartbeat)
                        queue.extendleft(reversed(state.requeue))
                        state.requeue.clear()
                    elif held_by_others:
                        self._cancelled.wait(0.2)
                    if held_by_others and time.monotonic() - last_poll > 0.5:
                        last_poll = time.monotonic()
                        self._poll_others(held_by_others, queue, state)
                    self._report(heartbeat)
                    self._flush(state)
        finally:
            heartbeat.stop()
            self._report(heartbeat)
            self._pool.close()
            for key in list(futures.values()):
                self.claims.release(key)

    def _build_remote(self, to_build: list[str], state: RunState, rebuilds: list[Rebuild]) -> None:
        """Hand the keys to the workers and record commits as their builds are stored."""
        assert self.remote is not None
        if self.options.retry_failed:
            state.retrying.update(to_build)
        retrying, pass_env = state.retrying, self.options.pass_env
        jobs = jobs_for(to_build, state.plans, state.pending, rebuilds, retrying, pass_env)
        resolved = 0

        def resolve(stored: dict[str, RemoteOutcome]) -> None:
            nonlocal resolved
            state.resolved.update(self.store.builds_by_key(stored))
            built = {key: outcome for key, outcome in stored.items() if outcome.built}
            for outcome in built.values():  # the others were stored by another indexer's job
                state.result.stubbed += bool(outcome.stand_ins)
                state.result.stand_ins.update(outcome.stand_ins)
            state.fresh.update(built)
            state.result.built += len(built)
            resolved += len(stored)
            self.progress(BUILDING, resolved, state.to_build)
            self._flush(state)

        await_remote(
            self.remote, jobs, cancelled=self._cancelled, resolve=resolve, notify=self.notify
        )

    def _without_build(self, key: str, state: RunState) -> bool:
        """Whether `key` needs no build of its own: it waits for the build of an equal
        structure in flight, or its snapshot was refreshed from one (and stored)."""
        if self._reuse is None or key in state.asked:
            return False
        build_plan = state.plans[key]
        if self._reuse.wait(build_plan):
            return True
        snapshot = self._reuse.refreshed(build_plan)
        if snapshot is None:
            return False
        state.unsaved.append((key, snapshot))
        state.fresh.add(key)
        state.refreshed.add(key)
        state.result.refreshed += 1
        if len(state.unsaved) >= 200:
            self._save_refreshed(state)
        return True

    def _save_refreshed(self, state: RunState) -> None:
        """Store the refreshed snapshots not stored yet, in one transaction."""
        if not state.unsaved:
            return
        storing_started = time.monotonic()
        ids = self.store.save_builds(state.unsaved)
        state.result.storing_seconds += time.monotonic() - storing_started
        for (key, _), build_id in zip(state.unsaved, ids, strict=True):
            state.resolved[key] = StoredBuild(build_id, STATUS_OK)
        state.unsaved.clear()

    def _report(self, heartbeat: ClaimHeartbeat) -> None:
        """Tell the user what the heartbeat could not do: claims it failed to keep alive."""
        for message in heartbeat.reports():
            self.notify(message)

    def _poll_others(self, held: set[str], queue: deque[str], state: RunState) -> None:
        """Pick up what other indexers built; take over keys whose claims lapsed."""
        for key, value in self.store.builds_by_key(held).items():
            if self._usable(value.status) and key not in state.retrying:
                state.resolved[key] = value
                held.discard(key)
        if held and not state.waiting_reported:
            state.waiting_reported = True
            self.notify(f"waiting for {len(held)} build(s) claimed by another indexer")
        for key in sorted(held):
            if self._take(key, state):
                held.discard(key)
                queue.appendleft(key)
            elif key in state.resolved:
                held.discard(key)

    def _collect(
        self,
        futures: dict[Future[BuildOutcome], str],
        state: RunState,
        heartbeat: ClaimHeartbeat,
    ) -> None:
        finished, _ = wait(list(futures), timeout=0.5, return_when=FIRST_COMPLETED)
        for future in finished:
            key = futures.pop(future)
            outcome = future.result()
            heartbeat.discard(key)
            if self._cancelled.is_set() or outcome.error == INTERRUPTED:
                self.claims.release(key)
                continue
            if self._reuse is not None:
                state.requeue += self._reuse.built(state.plans[key], outcome)
            storing_started = time.monotonic()
            build_id = self.store.save_build(key, outcome.snapshot, outcome.error, outcome.seconds)
            state.result.storing_seconds += time.monotonic() - storing_started
            self.claims.release(key)
            status = STATUS_OK if outcome.snapshot else STATUS_FAILED
            state.resolved[key] = StoredBuild(build_id, status)
            if key in state.retrying:  # a stored build may have won over this one
                state.resolved[key] = self.store.builds_by_key([key])[key]
            state.fresh.add(key)
            state.result.built += 1
            if outcome.snapshot is not None and outcome.snapshot.stubbed:
                state.result.stubbed += 1
                state.result.stand_ins.update(outermost(outcome.snapshot.stubbed))
            self.progress(BUILDING, state.result.built - state.built_before, state.to_build)
