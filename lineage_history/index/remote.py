"""Builds on other machines (`index --workers`): an index run hands each build key it needs to
a `RemoteBuilds` (the `workers` package implements it on Celery) as a `BuildJob`, the little
a worker needs to plan the same build again from its own clone, and waits for the workers to
store the builds. Planning before and recording after stay the run's own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lineage_history.build.plans import BuildPlan
from lineage_history.index.commit_plans import PendingCommit, Rebuild

MESSAGE_VERSION = 1  # bump when the fields of a message change


@dataclass(frozen=True)
class BuildJob:
    """One build key and where to plan it from: a commit that needs it and the DAG's
    definition there. Small and JSON-serialisable (`message`)."""

    key: str
    sha: str
    dag: str
    definition: Mapping[str, Any]  # `DagDefinition.to_dict()`
    force: bool = False  # build even though a build of the key is stored (a retry)
    # Names only: a worker passes its own values, which are part of the key, so a worker
    # whose environment differs refuses the job instead of building another key.
    pass_env: tuple[str, ...] = ()

    def message(self) -> dict[str, Any]:
        return {
            "version": MESSAGE_VERSION,
            "key": self.key,
            "sha": self.sha,
            "dag": self.dag,
            "definition": dict(self.definition),
            "force": self.force,
            "pass_env": list(self.pass_env),
        }

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> BuildJob:
        if message.get("version") != MESSAGE_VERSION:
            raise ValueError(
                f"a build message of version {message.get('version')!r}; this worker reads "
                f"version {MESSAGE_VERSION} (upgrade the indexer and the workers together)"
            )
        return cls(
            key=str(message["key"]),
            sha=str(message["sha"]),
            dag=str(message["dag"]),
            definition=dict(message["definition"]),
            force=bool(message.get("force", False)),
            pass_env=tuple(message.get("pass_env", ())),
        )


@dataclass(frozen=True)
class RemoteOutcome:
    """What became of a job: stored (`error` None, with the packages that got stand-ins;
    `built` False when the worker found it stored already), or why no worker could build it
    (the run then leaves the commits that wait for it)."""

    error: str | None = None
    stand_ins: tuple[str, ...] = ()
    built: bool = True


class RemoteBuilds(Protocol):
    def submit(self, jobs: Sequence[BuildJob]) -> None: ...

    def finished(self, wait: float) -> dict[str, RemoteOutcome]:
        """The jobs that ended since the last call, by key (waits up to `wait` seconds)."""
        ...

    def close(self) -> None: ...


def jobs_for(
    keys: Iterable[str],
    plans: Mapping[str, BuildPlan],
    pending: Iterable[PendingCommit],
    rebuilds: Iterable[Rebuild],
    retrying: set[str],
    pass_env: tuple[str, ...],
) -> list[BuildJob]:
    """A job per key, planned from the first pending commit (or indexed commit to rebuild)
    that waits for it."""
    source: dict[str, tuple[str, str]] = {}
    for entry in pending:
        for key, dag in entry.waiting.items():
            source.setdefault(key, (entry.info.sha, dag))
    for rebuild in rebuilds:
        source.setdefault(rebuild.key, (rebuild.sha, rebuild.dag))
    return [
        BuildJob(
            key,
            *source[key],
            definition=plans[key].definition.to_dict(),
            force=key in retrying,
            pass_env=pass_env,
        )
        for key in keys
    ]


def await_remote(
    remote: RemoteBuilds,
    jobs: Sequence[BuildJob],
    *,
    cancelled: threading.Event,
    resolve: Callable[[dict[str, RemoteOutcome]], None],
    notify: Callable[[str], None],
) -> set[str]:
    """Submit the jobs and hand each batch of stored builds to `resolve` until none is left
    or the run is cancelled; the keys no worker could build (each told with `notify`)."""
    remote.submit(jobs)
    by_key = {job.key: job for job in jobs}
    outstanding = set(by_key)
    refused: set[str] = set()
    while outstanding and not cancelled.is_set():
        ended = {k: v for k, v in remote.finished(0.2).items() if k in outstanding}
        outstanding -= set(ended)
        for key, outcome in ended.items():
            if outcome.error is not None:
                job = by_key[key]
                refused.add(key)
                notify(f"build {key[:12]} ({job.dag} at {job.sha[:10]}) not built: {outcome.error}")
        stored = {k: v for k, v in ended.items() if v.error is None}
        if stored:
            resolve(stored)
    return refused
