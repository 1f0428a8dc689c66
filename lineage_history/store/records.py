"""What the database holds, as plain records: commits, DAG states, statuses, the schema
revision. Importing this costs nothing (no SQLAlchemy), so the read path can use it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from lineage_history.dag.model import Node

# The newest migration in migrations/versions; a test keeps the two in step. Checking it with
# one SELECT keeps Alembic out of every query command's start-up.
HEAD_REVISION = "0006"

STATUS_OK, STATUS_FAILED, STATUS_ABSENT = "ok", "failed", "absent"
STATUS_BUILT = "built"  # a commit_dags row whose outcome is its build's status
ALL_DAGS = ""  # the commit_dags row of a commit whose definition itself is broken


@dataclass(frozen=True)
class StoredCommit:
    id: int
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: int
    subject: str
    position: int


@dataclass(frozen=True)
class DagState:
    """What is known of one DAG at one commit."""

    status: str  # ok | failed | absent
    snapshot_id: int | None = None
    error: str | None = None
    stubbed: tuple[str, ...] = ()  # stand-ins of the build (empty for an exact build)


@dataclass(frozen=True)
class CommitDagRow:
    dag: str
    status: str
    definition_id: int | None = None
    build_id: int | None = None
    error: str | None = None


class StoredBuild(NamedTuple):
    """A build of one key, as an index run resolves the DAG states that wait for it."""

    id: int
    status: str  # ok | failed


class DagFailure(NamedTuple):
    """One DAG of one commit whose definition or build failed, and why."""

    sha: str
    dag: str  # ALL_DAGS when the commit's definition itself is broken
    error: str


class StandInState(NamedTuple):
    """One DAG of one commit built with stand-ins, and the key of that build."""

    sha: str
    dag: str
    key: str


@dataclass(frozen=True)
class LastRun:
    started_at: float
    finished_at: float | None
    status: str  # running | ok | interrupted | failed
    seen: int | None
    built: int | None
    reused: int | None
    failed: int | None
    message: str | None

    @property
    def seconds(self) -> float | None:
        return None if self.finished_at is None else round(self.finished_at - self.started_at, 3)


@dataclass(frozen=True)
class DagCommitCounts:
    """(commit, DAG) pairs that have a DAG, by how their build went."""

    ok: int = 0  # exact builds
    stubbed: int = 0  # built with stand-ins
    failed: int = 0


@dataclass(frozen=True)
class IndexCounts:
    """What a database holds of one repository."""

    commits: int
    snapshots: int  # distinct successfully built DAGs
    failed: int  # commits with a failed DAG
    last_run: LastRun | None
    dag_commits: DagCommitCounts


@dataclass(frozen=True)
class RepositoryRow:
    id: int
    identity: str
    name: str
    path: str
    created_at: float


def stubbed_list(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


def pack_parents(parents: Iterable[str]) -> bytes:
    """Parent SHAs as bytes: half the size of their hex."""
    return bytes.fromhex("".join(parents))


def unpack_parents(packed: bytes, sha: str) -> tuple[str, ...]:
    """The hex SHAs back; each as long as the commit's own (SHA-1 or SHA-256)."""
    hexed, width = bytes(packed).hex(), len(sha)
    return tuple(hexed[i : i + width] for i in range(0, len(hexed), width))


def node_from_columns(
    name: str,
    type_: str,
    role: str,
    dependencies: str,
    tags: str,
    doc: str,
    code: str | None,
    module: str | None,
    function: str | None,
) -> Node:
    """A node from the columns of its `node_versions` row (JSON text as stored)."""
    return Node(
        name=name,
        type=type_,
        role=role,
        dependencies=tuple(json.loads(dependencies)),
        tags=json.loads(tags),
        doc=doc,
        code=code,
        module=module,
        function=function,
    )
