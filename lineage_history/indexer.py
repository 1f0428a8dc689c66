"""Walks a repository's history and stores every commit's DAG, building each key only once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lineage_history.build_keys import BuildPlan, plan, preload_names
from lineage_history.config import DagDefinition, definitions_at_commit
from lineage_history.errors import ConfigError
from lineage_history.extract import BuildOutcome, BuildRequest, ExtractorPool
from lineage_history.extract.pool import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, clean_stale_workdirs
from lineage_history.git import CommitInfo, GitRepo
from lineage_history.store import (
    ALL_DAGS,
    STATUS_ABSENT,
    STATUS_BUILT,
    STATUS_FAILED,
    STATUS_OK,
    CommitDagRow,
    Store,
)

INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class IndexOptions:
    revs: tuple[str, ...] = ()
    all_refs: bool = False
    override: dict[str, DagDefinition] | None = None
    jobs: int = 1
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    retry_failed: bool = False
    pass_env: tuple[str, ...] = ()


@dataclass
class IndexResult:
    seen: int = 0  # commits reachable from the requested revisions
    new: int = 0  # of those, not indexed before this run
    built: int = 0  # builds run (distinct keys)
    reused: int = 0  # DAG states answered by an earlier build of the same key
    failed: int = 0  # new commits with at least one failed DAG
    seconds: float = 0.0
    interrupted: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)  # (sha, error)

    def counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "built": self.built,
            "reused": self.reused,
            "failed": self.failed,
        }

    def summary(self) -> str:
        text = (
            f"{self.seen} commits seen, {self.new} new: {self.built} built, "
            f"{self.reused} reused, {self.failed} failed in {self.seconds:.1f} s"
        )
        return text + (" (interrupted)" if self.interrupted else "")


ProgressCallback = Callable[[int, int], None]  # (commits done, commits to do)


@dataclass
class _Pending:
    """A commit whose DAG states wait for builds."""

    info: CommitInfo
    position: int
    rows: list[CommitDagRow]
    waiting: dict[str, str]  # build key -> dag name


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
    ) -> None:
        self.repo = repo
        self.store = store
        self.repository_id = repository_id
        self.options = options
        self.work_root = work_root
        self.progress = progress or (lambda done, total: None)
        self._cancelled = threading.Event()
        self._pool: ExtractorPool | None = None
        self._definition_ids: dict[str, int] = {}
        self._definitions_cache: dict[tuple[str | None, str | None], object] = {}

    def cancel(self) -> None:
        """Stop as soon as possible: builds in flight are killed and not recorded."""
        self._cancelled.set()
        if self._pool is not None:
            self._pool.close()

    # -- planning -----------------------------------------------------------------------

    def _definitions(self, sha: str) -> dict[str, DagDefinition] | ConfigError:
        if self.options.override is not None:
            return self.options.override
        blob_ids = (
            self.repo.blob_id(sha, "lineage-history.toml"),
            self.repo.blob_id(sha, "pyproject.toml"),
        )
        cached = self._definitions_cache.get(blob_ids)
        if cached is None:
            try:
                cached = definitions_at_commit(lambda path: self.repo.read(sha, path))
            except ConfigError as exc:
                cached = exc
            self._definitions_cache[blob_ids] = cached
        return cached  # type: ignore[return-value]

    def _definition_id(self, definition: DagDefinition) -> int:
        if definition.digest not in self._definition_ids:
            self._definition_ids[definition.digest] = self.store.save_definition(definition)
        return self._definition_ids[definition.digest]

    def _plan_commit(
        self, info: CommitInfo, position: int
    ) -> tuple[_Pending, dict[str, BuildPlan]]:
        definitions = self._definitions(info.sha)
        if isinstance(definitions, ConfigError):
            row = CommitDagRow(ALL_DAGS, STATUS_FAILED, error=str(definitions))
            return _Pending(info, position, [row], {}), {}
        rows: list[CommitDagRow] = []
        waiting: dict[str, str] = {}
        plans: dict[str, BuildPlan] = {}
        for name, definition in definitions.items():
            build_plan = plan(self.repo, info.sha, definition)
            if build_plan is None:
                rows.append(CommitDagRow(name, STATUS_ABSENT, self._definition_id(definition)))
                continue
            waiting[build_plan.key] = name
            plans[build_plan.key] = build_plan
        return _Pending(info, position, rows, waiting), plans

    def _request(self, build_plan: BuildPlan) -> BuildRequest:
        contents = {path: (blob, self.repo.read_blob(blob)) for path, blob in build_plan.files}
        return BuildRequest(
            files=tuple((path, content) for path, (_, content) in contents.items()),
            modules=build_plan.definition.modules,
            config=dict(build_plan.definition.config),
            preload=preload_names(build_plan.definition, contents),
        )

    # -- the run ------------------------------------------------------------------------

    def run(self) -> IndexResult:
        started = time.monotonic()
        result = IndexResult()
        clean_stale_workdirs(self.work_root)
        self.repo.prune_worktrees()
        commits = self.repo.commits(list(self.options.revs), all_refs=self.options.all_refs)
        result.seen = len(commits)
        indexed = self.store.indexed_shas(self.repository_id)
        todo = [c for c in commits if c.sha not in indexed]
        result.new = len(todo)
        first_position = self.store.max_position(self.repository_id) + 1

        pending: list[_Pending] = []
        plans: dict[str, BuildPlan] = {}
        for offset, info in enumerate(todo):
            entry, commit_plans = self._plan_commit(info, first_position + offset)
            pending.append(entry)
            plans.update(commit_plans)

        retries = self._plan_retries(plans) if self.options.retry_failed else []
        known = self.store.builds_by_key(plans)
        resolved: dict[str, tuple[int, str]] = {
            key: value
            for key, value in known.items()
            if not (self.options.retry_failed and value[1] == STATUS_FAILED)
        }
        to_build = [key for key in plans if key not in resolved]
        self.progress(0, len(pending))
        done = 0

        def flush() -> None:
            nonlocal done
            ready = []
            while pending and all(key in resolved for key in pending[0].waiting):
                ready.append(pending.pop(0))
            if not ready:
                return
            entries = []
            for entry in ready:
                rows = list(entry.rows)
                failed = False
                for key, dag in entry.waiting.items():
                    build_id, status = resolved[key]
                    definition_id = self._definition_id(plans[key].definition)
                    rows.append(CommitDagRow(dag, STATUS_BUILT, definition_id, build_id))
                    if key in fresh and key not in counted:
                        counted.add(key)  # the commit whose build this was
                    else:
                        result.reused += 1
                    failed = failed or status == STATUS_FAILED
                if failed or any(row.status == STATUS_FAILED for row in rows):
                    result.failed += 1
                entries.append((entry.info, entry.position, rows))
            self.store.save_commits(self.repository_id, entries)
            done += len(ready)
            self.progress(done, done + len(pending))

        fresh: set[str] = set()
        counted: set[str] = set()
        flush()
        if to_build and not self._cancelled.is_set():
            self._build_all(to_build, plans, resolved, fresh, result, flush)
        flush()
        for sha, dag, key in retries:
            if key in resolved:
                self.store.point_commit_dag(self.repository_id, sha, dag, resolved[key][0])
        result.interrupted = self._cancelled.is_set() or bool(pending)
        for sha, dag, error in self.store.failed_commits(self.repository_id):
            if any(sha == c.sha for c in todo):
                result.failures.append((sha, f"{dag}: {error}" if dag else error))
        if not self._cancelled.is_set():
            self.store.set_refs(self.repository_id, self.repo.refs())
        result.seconds = time.monotonic() - started
        return result

    def _build_all(
        self,
        to_build: list[str],
        plans: dict[str, BuildPlan],
        resolved: dict[str, tuple[int, str]],
        fresh: set[str],
        result: IndexResult,
        flush: Callable[[], None],
    ) -> None:
        self._pool = ExtractorPool(
            max(1, self.options.jobs),
            self.work_root,
            timeout=self.options.timeout,
            memory_mb=self.options.memory_mb,
            pass_env=self.options.pass_env,
        )
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.options.jobs)) as executor:
                futures: dict[Future[BuildOutcome], str] = {}
                for key in to_build:
                    if self._cancelled.is_set():
                        break
                    request = self._request(plans[key])
                    assert self._pool is not None
                    futures[executor.submit(self._pool.build, request)] = key
                    while len(futures) >= 4 * max(1, self.options.jobs):
                        self._collect(futures, resolved, fresh, result, flush)
                while futures:
                    self._collect(futures, resolved, fresh, result, flush)
        finally:
            self._pool.close()

    def _collect(
        self,
        futures: dict[Future[BuildOutcome], str],
        resolved: dict[str, tuple[int, str]],
        fresh: set[str],
        result: IndexResult,
        flush: Callable[[], None],
    ) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait

        finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        for future in finished:
            key = futures.pop(future)
            outcome = future.result()
            if self._cancelled.is_set() or outcome.error == INTERRUPTED:
                continue
            build_id = self.store.save_build(key, outcome.snapshot, outcome.error, outcome.seconds)
            resolved[key] = (build_id, STATUS_OK if outcome.snapshot else STATUS_FAILED)
            fresh.add(key)
            result.built += 1
        flush()

    def _plan_retries(self, plans: dict[str, BuildPlan]) -> list[tuple[str, str, str]]:
        """(sha, dag, key) of every failed DAG of an indexed commit, its plan added to `plans`.

        The key is computed again: after an upgrade of Hamilton it differs from the failed one.
        """
        retries = []
        for sha, dag, _error in self.store.failed_commits(self.repository_id):
            definitions = self._definitions(sha)
            if isinstance(definitions, ConfigError) or dag not in definitions:
                continue  # a broken definition is fixed by a new commit, not by a rebuild
            build_plan = plan(self.repo, sha, definitions[dag])
            if build_plan is not None:
                plans[build_plan.key] = build_plan
                retries.append((sha, dag, build_plan.key))
        return retries
