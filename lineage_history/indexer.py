"""Walks a repository's history and stores every commit's DAG, building each key only once."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from lineage_history._text import plural
from lineage_history.build_keys import BuildPlan, Planner, preload_names
from lineage_history.config import (
    OWN_FILE,
    PYPROJECT,
    DagDefinition,
    defined_at_commit,
    with_discovered,
)
from lineage_history.defaults import DEFAULT_CLAIM_TIMEOUT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from lineage_history.discovered import Discoverer
from lineage_history.errors import ConfigError
from lineage_history.extract import BuildOutcome, BuildRequest, ExtractorPool
from lineage_history.extract.pool import INTERRUPTED, clean_stale_workdirs, pid_alive
from lineage_history.git import CommitInfo, GitRepo
from lineage_history.model import outermost
from lineage_history.store import (
    ALL_DAGS,
    STATUS_ABSENT,
    STATUS_BUILT,
    STATUS_FAILED,
    STATUS_OK,
    CommitDagRow,
    Store,
)
from lineage_history.tree import Tree


@dataclass(frozen=True)
class IndexOptions:
    revs: tuple[str, ...] = ()
    all_refs: bool = False
    override: dict[str, DagDefinition] | None = None
    jobs: int = 1
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    retry_failed: bool = False
    rebuild_stubbed: bool = False  # build again the keys whose builds used stand-ins
    pass_env: tuple[str, ...] = ()
    claim_timeout: float = DEFAULT_CLAIM_TIMEOUT


@dataclass
class IndexResult:
    seen: int = 0  # commits reachable from the requested revisions
    new: int = 0  # of those, not indexed before this run
    built: int = 0  # builds run (distinct keys)
    reused: int = 0  # DAG states answered by an earlier build of the same key
    failed: int = 0  # new commits with at least one failed DAG
    seconds: float = 0.0
    planning_seconds: float = 0.0  # reading trees, definitions and import closures
    interrupted: bool = False
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (sha, dag, error)
    stubbed: int = 0  # of the builds run, those that used stand-ins
    stand_ins: Counter[str] = field(default_factory=Counter)  # stood-in module: builds

    def counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "built": self.built,
            "reused": self.reused,
            "failed": self.failed,
        }

    def summary(self) -> str:
        with_stand_ins = f" ({self.stubbed} with stand-ins)" if self.stubbed else ""
        text = (
            f"{plural(self.seen, 'commit')} seen, {self.new} new: "
            f"{self.built} built{with_stand_ins}, "
            f"{self.reused} reused, {self.failed} failed in {self.seconds:.1f} s"
        )
        if self.new:
            text += f" (planning {self.planning_seconds:.1f} s)"
        return text + (" (interrupted)" if self.interrupted else "")


# (phase, done, total): "planning" counts commits, "building" distinct builds.
ProgressCallback = Callable[[str, int, int], None]
PLANNING, BUILDING = "planning", "building"


@dataclass
class _Pending:
    """A commit whose DAG states wait for builds."""

    info: CommitInfo
    position: int
    rows: list[CommitDagRow]
    waiting: dict[str, str]  # build key -> dag name


@dataclass
class _RunState:
    result: IndexResult
    pending: deque[_Pending] = field(default_factory=deque)
    plans: dict[str, BuildPlan] = field(default_factory=dict)
    resolved: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (build, status)
    fresh: set[str] = field(default_factory=set)  # keys built by this run
    counted: set[str] = field(default_factory=set)
    retrying: set[str] = field(default_factory=set)
    done: int = 0
    to_build: int = 0
    waiting_reported: bool = False


class _Heartbeat:
    """Keeps this run's claims alive while their builds run; a dead run's claims lapse."""

    def __init__(self, store: Store, owner: str, ttl: float) -> None:
        self._store, self._owner, self._ttl = store, owner, ttl
        self._keys: set[str] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="claim-heartbeat")
        self._thread.start()

    def add(self, key: str) -> None:
        with self._lock:
            self._keys.add(key)

    def discard(self, key: str) -> None:
        with self._lock:
            self._keys.discard(key)

    def _beat(self) -> None:
        while not self._stopped.wait(max(0.2, self._ttl / 3)):
            with self._lock:
                keys = list(self._keys)
            try:
                self._store.refresh_claims(keys, self._owner, self._ttl)
            except Exception:
                pass

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


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
    ) -> None:
        self.repo = repo
        self.store = store
        self.repository_id = repository_id
        self.options = options
        self.work_root = work_root
        self.progress = progress or (lambda phase, done, total: None)
        self.notify = notify or (lambda message: None)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._cancelled = threading.Event()
        self._pool: ExtractorPool | None = None
        self._definition_ids: dict[str, int] = {}
        self._definitions_cache: dict[tuple[str | None, str | None], object] = {}
        self._discoverer = Discoverer(store)  # its caches carry across the run's commits
        # The values of `--pass-env` variables are part of every build key.
        self._planner = Planner(
            {name: os.environ[name] for name in options.pass_env if name in os.environ}
        )

    def cancel(self) -> None:
        """Stop as soon as possible: builds in flight are killed and not recorded."""
        self._cancelled.set()
        if self._pool is not None:
            self._pool.close()

    # -- planning -----------------------------------------------------------------------

    def _definitions(self, tree: Tree) -> dict[str, DagDefinition] | ConfigError:
        """`--config`, else the commit's own definition; without one (or with `discover =
        true` in it, as well) the DAGs its driver code builds."""
        defined = self.options.override
        if defined is None:
            blob_ids = (tree.blob(OWN_FILE), tree.blob(PYPROJECT))
            if blob_ids not in self._definitions_cache:
                try:
                    self._definitions_cache[blob_ids] = defined_at_commit(tree.read_path)
                except ConfigError as exc:
                    self._definitions_cache[blob_ids] = exc
            cached = self._definitions_cache[blob_ids]
            if isinstance(cached, ConfigError):
                return cached
            defined = cached  # type: ignore[assignment]
        return with_discovered(defined, lambda: self._discoverer.definitions(tree))

    def _definition_id(self, definition: DagDefinition) -> int:
        if definition.digest not in self._definition_ids:
            self._definition_ids[definition.digest] = self.store.save_definition(definition)
        return self._definition_ids[definition.digest]

    def _plan_commit(
        self, info: CommitInfo, position: int
    ) -> tuple[_Pending, dict[str, BuildPlan]]:
        """The commit's DAG states that need no build, and the builds the others wait for.
        Any surprise in one DAG (an unreadable tree entry, a bad definition) fails that DAG
        of this commit only."""
        try:
            tree = self.repo.commit_tree(info.sha)
            definitions = self._definitions(tree)
        except Exception as exc:
            definitions = ConfigError(f"cannot read the commit: {_describe(exc)}")
        if isinstance(definitions, ConfigError):
            row = CommitDagRow(ALL_DAGS, STATUS_FAILED, error=str(definitions))
            return _Pending(info, position, [row], {}), {}
        rows: list[CommitDagRow] = []
        waiting: dict[str, str] = {}
        plans: dict[str, BuildPlan] = {}
        for name, definition in definitions.items():
            try:
                build_plan = self._planner.plan(tree, definition)
            except Exception as exc:
                error = f"cannot plan the build: {_describe(exc)}"
                rows.append(
                    CommitDagRow(name, STATUS_FAILED, self._definition_id(definition), error=error)
                )
                continue
            if build_plan is None:
                rows.append(CommitDagRow(name, STATUS_ABSENT, self._definition_id(definition)))
                continue
            waiting[build_plan.key] = name
            plans[build_plan.key] = build_plan
        return _Pending(info, position, rows, waiting), plans

    def _request(self, build_plan: BuildPlan) -> BuildRequest:
        return build_request(build_plan, self.repo.read_blob)

    # -- the run ------------------------------------------------------------------------

    def run(self) -> IndexResult:
        started = time.monotonic()
        result = IndexResult()
        clean_stale_workdirs(self.work_root)
        commits = self.repo.commits(list(self.options.revs), all_refs=self.options.all_refs)
        result.seen = len(commits)
        indexed = self.store.indexed_shas(self.repository_id)
        todo = [c for c in commits if c.sha not in indexed]
        result.new = len(todo)
        first_position = self.store.max_position(self.repository_id) + 1

        state = _RunState(result)
        planning_started = time.monotonic()
        self.progress(PLANNING, 0, len(todo))
        for offset, info in enumerate(todo):
            if self._cancelled.is_set():
                break
            entry, commit_plans = self._plan_commit(info, first_position + offset)
            state.pending.append(entry)
            state.plans.update(commit_plans)
            self.progress(PLANNING, offset + 1, len(todo))
        retries = self._plan_retries(state.plans) if self.options.retry_failed else []
        if self.options.rebuild_stubbed:
            retries += self._plan_rebuilds(state.plans, self.store.stubbed_builds)
            state.retrying.update(key for _, _, key in retries)
        result.planning_seconds = time.monotonic() - planning_started
        for key, value in self.store.builds_by_key(state.plans).items():
            if self._usable(value[1]) and key not in state.retrying:
                state.resolved[key] = value
        to_build = [key for key in state.plans if key not in state.resolved]

        state.to_build = len(to_build)
        self.progress(BUILDING, 0, len(to_build))
        self._flush(state)
        if to_build and not self._cancelled.is_set():
            self._build_all(to_build, state)
        self._flush(state)
        for sha, dag, key in retries:
            if key in state.resolved:
                self.store.point_commit_dag(self.repository_id, sha, dag, state.resolved[key][0])

        result.interrupted = self._cancelled.is_set() or bool(state.pending)
        new_shas = {c.sha for c in todo}
        result.failures = [
            (sha, dag, error)
            for sha, dag, error in self.store.failed_commits(self.repository_id)
            if sha in new_shas
        ]
        if not self._cancelled.is_set():
            self.store.set_refs(self.repository_id, self.repo.refs())
        result.seconds = time.monotonic() - started
        return result

    def _usable(self, status: str) -> bool:
        """A stored build answers this run, unless it failed and we were asked to retry."""
        return not (self.options.retry_failed and status == STATUS_FAILED)

    def _flush(self, state: _RunState) -> None:
        """Record, in order, the pending commits whose builds are all resolved."""
        ready = []
        while state.pending and all(key in state.resolved for key in state.pending[0].waiting):
            ready.append(state.pending.popleft())
        if not ready:
            return
        entries = []
        for entry in ready:
            rows = list(entry.rows)
            failed = any(row.status == STATUS_FAILED for row in rows)
            for key, dag in entry.waiting.items():
                build_id, status = state.resolved[key]
                definition_id = self._definition_id(state.plans[key].definition)
                rows.append(CommitDagRow(dag, STATUS_BUILT, definition_id, build_id))
                failed = failed or status == STATUS_FAILED
                if key in state.fresh and key not in state.counted:
                    state.counted.add(key)  # the commit this build was run for
                else:
                    state.result.reused += 1
            if failed:
                state.result.failed += 1
            entries.append((entry.info, entry.position, rows))
        self.store.save_commits(self.repository_id, entries)
        state.done += len(ready)

    def _take(self, key: str, state: _RunState) -> bool:
        """Claim a key for this run; False when another indexer holds it or has built it."""
        if not self.store.claim(key, self.owner, self.options.claim_timeout):
            return False
        found = self.store.builds_by_key([key]).get(key)
        if found is not None and self._usable(found[1]) and key not in state.retrying:
            self.store.release(key, self.owner)  # built by the previous holder meanwhile
            state.resolved[key] = found
            return False
        return True

    def _release_dead_claims(self) -> None:
        """Claims of killed indexers on this machine need not wait for their timeout."""
        host = socket.gethostname()
        for owner in self.store.claim_owners():
            parts = owner.split(":")  # host:pid:random
            dead = (
                len(parts) == 3
                and parts[0] == host
                and parts[1].isdigit()
                and not pid_alive(int(parts[1]))
            )
            if dead:
                self.store.release_all(owner)

    def _build_all(self, to_build: list[str], state: _RunState) -> None:
        jobs = max(1, self.options.jobs)
        self._release_dead_claims()
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
        heartbeat = _Heartbeat(self.store, self.owner, self.options.claim_timeout)
        last_poll = 0.0
        try:
            with ThreadPoolExecutor(max_workers=jobs) as executor:
                while not self._cancelled.is_set() and (queue or held_by_others or futures):
                    while queue and len(futures) < 2 * jobs and not self._cancelled.is_set():
                        key = queue.popleft()
                        if key in state.resolved:
                            continue
                        if not self._take(key, state):
                            if key not in state.resolved:
                                held_by_others.add(key)
                            continue
                        heartbeat.add(key)
                        request = self._request(state.plans[key])
                        futures[executor.submit(self._pool.build, request)] = key
                    if futures:
                        self._collect(futures, state, heartbeat)
                    elif held_by_others:
                        self._cancelled.wait(0.2)
                    if held_by_others and time.monotonic() - last_poll > 0.5:
                        last_poll = time.monotonic()
                        self._poll_others(held_by_others, queue, state)
                    self._flush(state)
        finally:
            heartbeat.stop()
            self._pool.close()
            for key in list(futures.values()):
                self.store.release(key, self.owner)

    def _poll_others(self, held: set[str], queue: deque[str], state: _RunState) -> None:
        """Pick up what other indexers built; take over keys whose claims lapsed."""
        for key, value in self.store.builds_by_key(held).items():
            if self._usable(value[1]) and key not in state.retrying:
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
        self, futures: dict[Future[BuildOutcome], str], state: _RunState, heartbeat: _Heartbeat
    ) -> None:
        finished, _ = wait(list(futures), timeout=0.5, return_when=FIRST_COMPLETED)
        for future in finished:
            key = futures.pop(future)
            outcome = future.result()
            heartbeat.discard(key)
            if self._cancelled.is_set() or outcome.error == INTERRUPTED:
                self.store.release(key, self.owner)
                continue
            build_id = self.store.save_build(key, outcome.snapshot, outcome.error, outcome.seconds)
            self.store.release(key, self.owner)
            state.resolved[key] = (build_id, STATUS_OK if outcome.snapshot else STATUS_FAILED)
            if key in state.retrying:  # a stored build may have won over this one
                state.resolved[key] = self.store.builds_by_key([key])[key]
            state.fresh.add(key)
            state.result.built += 1
            if outcome.snapshot is not None and outcome.snapshot.stubbed:
                state.result.stubbed += 1
                state.result.stand_ins.update(outermost(outcome.snapshot.stubbed))
            self.progress(BUILDING, state.result.built, state.to_build)

    def _plan_retries(self, plans: dict[str, BuildPlan]) -> list[tuple[str, str, str]]:
        """(sha, dag, key) of every failed DAG of an indexed commit, its plan added to `plans`.

        The key is computed again: after an upgrade of Hamilton it differs from the failed one.
        """
        return self._plan_rebuilds(plans, self.store.failed_commits)

    def _plan_rebuilds(
        self, plans: dict[str, BuildPlan], states: Callable[[int], list[tuple[str, str, str]]]
    ) -> list[tuple[str, str, str]]:
        """(sha, dag, key) of the indexed DAG states `states` lists, plans added to `plans`."""
        retries = []
        for sha, dag, _detail in states(self.repository_id):
            tree = self.repo.commit_tree(sha)
            definitions = self._definitions(tree)
            if isinstance(definitions, ConfigError) or dag not in definitions:
                continue  # a broken definition is fixed by a new commit, not by a rebuild
            build_plan = self._planner.plan(tree, definitions[dag])
            if build_plan is not None:
                plans[build_plan.key] = build_plan
                retries.append((sha, dag, build_plan.key))
        return retries


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def build_request(build_plan: BuildPlan, read_blob: Callable[[str], bytes]) -> BuildRequest:
    """What the build child needs for a plan: the files' contents and how to import them."""
    contents = {path: (blob, read_blob(blob)) for path, blob in build_plan.files}
    definition = build_plan.definition
    return BuildRequest(
        files=tuple((path, content) for path, (_, content) in contents.items()),
        modules=build_plan.modules,
        config=dict(definition.config),
        search=build_plan.search,
        local_names=build_plan.local_names,
        config_types=definition.config_types,
        builder_options=definition.builder_options,
        preload=preload_names(build_plan, contents),
        stub=definition.stub,
    )
