"""The worker's side of a build job, without Celery: plan the job again from this machine's
clone, check that the plan gives the key the indexer asked for, build it in the build servers
and store it, once per key however often the job is delivered."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lineage_history.build.plans import Planner, build_request
from lineage_history.build.pool import (
    INTERRUPTED,
    BuildRequest,
    ExtractorPool,
    clean_stale_workdirs,
)
from lineage_history.dag.model import outermost
from lineage_history.definitions.toml_files import DagDefinition
from lineage_history.index.remote import BuildJob
from lineage_history.repo.git import GitRepo
from lineage_history.repo.tree import CommitTree, TreeError
from lineage_history.store.writer import Store


class JobRefused(Exception):
    """A job this worker cannot build as asked: a commit its clone lacks, another key."""


class WorkerStopping(Exception):
    """The worker is shutting down and stopped the build: the job goes back to the queue."""


def definition_from_dict(body: Mapping[str, Any]) -> DagDefinition:
    """The inverse of `DagDefinition.to_dict` (its digest is the same)."""

    def pairs(name: str) -> tuple[tuple[str, str], ...]:
        return tuple((str(a), str(b)) for a, b in body.get(name, ()))

    return DagDefinition(
        name=body["name"],
        modules=tuple(body["modules"]),
        config=dict(body.get("config", {})),
        include=tuple(body.get("include", ())),
        preload=tuple(body.get("preload", ())),
        config_types=pairs("config_types"),
        allow_module_overrides=bool(body.get("allow_module_overrides", False)),
        dynamic_execution=bool(body.get("dynamic_execution", False)),
        stub=tuple(body.get("stub", ())),
        import_names=tuple(body.get("import_names", ())),
        config_files=pairs("config_files"),
        written_files=pairs("written_files"),
    )


class WorkerBuilder:
    """Builds the jobs one worker process receives, up to `concurrency` at once (its build
    servers); `run` is safe to call from several threads."""

    def __init__(
        self,
        repo: GitRepo,
        store: Store,
        work_root: Path,
        *,
        concurrency: int,
        timeout: float,
        memory_mb: int,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.repo, self.store, self.work_root = repo, store, work_root
        self.concurrency, self.timeout, self.memory_mb = concurrency, timeout, memory_mb
        self.log = log
        self._git = threading.Lock()  # one git object reader per clone: plans take turns
        self._pools: dict[tuple[str, ...], ExtractorPool] = {}  # by the variables passed
        # A planner remembers a DAG's plan while the files it read hold: consecutive jobs of
        # one history mostly plan with a lookup, as the indexer does.
        self._planners: dict[tuple[tuple[str, str], ...], Planner] = {}
        self._fetched: set[str] = set()
        clean_stale_workdirs(work_root)

    def run(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """Build and store one job's key (unless a build of it is stored and the job is no
        retry); what a task returns: the key, and an error or the packages stood in for."""
        job = BuildJob.from_message(message)
        if not job.force and self.store.builds_by_key([job.key]).get(job.key) is not None:
            return {"key": job.key, "built": False, "stand_ins": []}
        try:
            request = self._request(job)
        except JobRefused as exc:
            self.log(f"refused {job.key[:12]} ({job.dag} at {job.sha[:10]}): {exc}")
            return {"key": job.key, "error": str(exc)}
        outcome = self._pool(job.pass_env).build(request)
        if outcome.error == INTERRUPTED:
            raise WorkerStopping(job.key)
        self.store.save_build(job.key, outcome.snapshot, outcome.error, outcome.seconds)
        stubbed = outcome.snapshot.stubbed if outcome.snapshot is not None else ()
        verdict = "failed" if outcome.error else "built"
        where = f"{job.dag} at {job.sha[:10]}"
        self.log(f"{verdict} {job.key[:12]} ({where}) in {outcome.seconds:.1f} s")
        return {"key": job.key, "built": True, "stand_ins": outermost(stubbed)}

    def _request(self, job: BuildJob) -> BuildRequest:
        """The job planned again from this clone; refused when the plan's key differs."""
        passed = tuple((name, os.environ[name]) for name in job.pass_env if name in os.environ)
        definition = definition_from_dict(job.definition)
        with self._git:
            planner = self._planners.setdefault(passed, Planner(dict(passed)))
            build_plan = planner.plan(self._tree(job.sha), definition)
            if build_plan is None:
                raise JobRefused("none of the DAG's modules is in this clone's commit")
            if build_plan.key != job.key:
                raise JobRefused(
                    f"this worker plans key {build_plan.key[:12]} instead: its Hamilton, Python "
                    "or lineage-history version, or a --pass-env value, differs from the indexer's"
                )
            return build_request(build_plan, self.repo.read_blob)

    def _tree(self, sha: str) -> CommitTree:
        """The commit's files; a commit missing from the clone is fetched once."""
        try:
            return self.repo.commit_tree(sha)
        except TreeError:
            if sha in self._fetched:
                raise JobRefused(
                    f"commit {sha[:10]} is not in the clone at {self.repo.root}"
                ) from None
        self._fetched.add(sha)
        self.log(f"fetching: commit {sha[:10]} is not in the clone yet")
        self.repo.fetch()
        try:
            return self.repo.commit_tree(sha)
        except TreeError:
            raise JobRefused(
                f"commit {sha[:10]} is not in the clone at {self.repo.root}, even after a fetch"
            ) from None

    def _pool(self, pass_env: tuple[str, ...]) -> ExtractorPool:
        with self._git:
            if pass_env not in self._pools:
                self._pools[pass_env] = ExtractorPool(
                    self.concurrency,
                    self.work_root,
                    timeout=self.timeout,
                    memory_mb=self.memory_mb,
                    pass_env=pass_env,
                )
            return self._pools[pass_env]

    def close(self) -> None:
        """Stop the build servers (a build in flight ends as interrupted, not stored)."""
        for pool in self._pools.values():
            pool.close()
