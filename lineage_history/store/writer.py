"""Reads and writes of the lineage history; every multi-row write is one transaction."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from lineage_history.dag.model import Snapshot, canonical_json
from lineage_history.errors import describe_error, driver_reason
from lineage_history.repo.git import CommitInfo
from lineage_history.store.claims import ClaimTable
from lineage_history.store.compact import author_ids, author_rows
from lineage_history.store.connect import engine_reader
from lineage_history.store.inserts import dialect_insert, insert_ignoring_duplicates
from lineage_history.store.reader import Reader
from lineage_history.store.records import (
    STATUS_BUILT,
    STATUS_FAILED,
    STATUS_OK,
    CommitDagRow,
    DagFailure,
    StandInState,
    StoredBuild,
    pack_parents,
)
from lineage_history.store.schema import (
    authors,
    builds,
    commit_dags,
    commits,
    definitions,
    discovered_blobs,
    index_runs,
    node_versions,
    refs,
    snapshot_nodes,
)
from lineage_history.store.snapshot_rows import ids_by, save_snapshots


def _outcome(snapshot: Snapshot | None, error: str | None, seconds: float) -> dict[str, Any]:
    """A build row's columns that say how the build went."""
    return {
        "status": STATUS_OK if snapshot else STATUS_FAILED,
        "error": error,
        "seconds": seconds,
        "stubbed": canonical_json(list(snapshot.stubbed))
        if snapshot and snapshot.stubbed
        else None,
    }


def _replaces(existing: Any, snapshot: Snapshot | None) -> bool:
    """Whether a new build outcome replaces the stored build of the same key."""
    if existing.status == STATUS_FAILED:
        return True
    return snapshot is not None and bool(existing.stubbed)


class Store:
    """The lineage database of one or more repositories."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.claims = ClaimTable(engine)

    def close(self) -> None:
        self.engine.dispose()

    def reading(self) -> contextlib.AbstractContextManager[Reader]:
        """The reads (`Reader`) over one connection of this store's engine."""
        return engine_reader(self.engine)

    # The reads an index run makes, each on a connection of its own.

    def indexed_shas(self, repository_id: int) -> set[str]:
        with self.reading() as reader:
            return reader.indexed_shas(repository_id)

    def failed_states(self, repository_id: int) -> list[DagFailure]:
        with self.reading() as reader:
            return reader.failed_states(repository_id)

    def stand_in_states(self, repository_id: int) -> list[StandInState]:
        with self.reading() as reader:
            return reader.stand_in_states(repository_id)

    # -- writes of an index run ---------------------------------------------------------

    def builds_by_key(self, keys: Iterable[str]) -> dict[str, StoredBuild]:
        """The stored builds of the keys already built."""
        found: dict[str, StoredBuild] = {}
        key_list = sorted(set(keys))
        with self.engine.connect() as connection:
            for start in range(0, len(key_list), 500):
                chunk = key_list[start : start + 500]
                rows = connection.execute(
                    select(builds.c.key, builds.c.id, builds.c.status).where(
                        builds.c.key.in_(chunk)
                    )
                )
                found.update({row.key: StoredBuild(row.id, row.status) for row in rows})
        return found

    def save_definition(self, digest: str, body: Mapping[str, Any]) -> int:
        """The id of a DAG definition, stored by its digest the first time it is seen."""
        with self.engine.begin() as connection:
            insert_ignoring_duplicates(
                connection, definitions, [{"digest": digest, "body": canonical_json(body)}]
            )
            return connection.execute(
                select(definitions.c.id).where(definitions.c.digest == digest)
            ).scalar_one()

    def save_build(
        self, key: str, snapshot: Snapshot | None, error: str | None, seconds: float
    ) -> int:
        """Record a build result. An earlier build of the same key is replaced when it failed,
        or used stand-ins and this one succeeded; an exact build is never replaced."""
        with self.engine.begin() as connection:
            return self._save_build(connection, key, snapshot, error, seconds)

    def save_builds(self, done: Sequence[tuple[str, Snapshot]]) -> list[int]:
        """`save_build` of many successful results (key, snapshot) in one transaction, their
        snapshots and builds each written in a few statements for the whole batch."""
        with self.engine.begin() as connection:
            wanted = [key for key, _ in done]
            stored = {
                row.key: row
                for chunk in range(0, len(wanted), 500)
                for row in connection.execute(
                    select(builds.c.key, builds.c.id, builds.c.status, builds.c.stubbed).where(
                        builds.c.key.in_(wanted[chunk : chunk + 500])
                    )
                )
            }
            ids: dict[str, int] = {}
            new: list[tuple[str, Snapshot]] = []
            for key, snapshot in done:
                if key not in stored:
                    new.append((key, snapshot))
                elif _replaces(stored[key], snapshot):  # rare: the general path
                    ids[key] = self._save_build(connection, key, snapshot, None, 0.0)
                else:
                    ids[key] = stored[key].id
            snapshot_ids = save_snapshots(connection, [snapshot for _, snapshot in new])
            now = time.time()
            rows = [
                {"key": key, "snapshot_id": snapshot_id, "created_at": now}
                | _outcome(snapshot, None, 0.0)
                for (key, snapshot), snapshot_id in zip(new, snapshot_ids, strict=True)
            ]
            insert_ignoring_duplicates(connection, builds, rows)
            ids.update(ids_by(connection, builds.c.key, builds.c.id, [key for key, _ in new]))
            return [ids[key] for key in wanted]

    def _save_build(
        self,
        connection: Connection,
        key: str,
        snapshot: Snapshot | None,
        error: str | None,
        seconds: float,
    ) -> int:
        existing = connection.execute(
            select(builds.c.id, builds.c.status, builds.c.stubbed).where(builds.c.key == key)
        ).first()
        if existing is not None and not _replaces(existing, snapshot):
            return existing.id
        snapshot_id = save_snapshots(connection, [snapshot])[0] if snapshot else None
        values = {"snapshot_id": snapshot_id, "created_at": time.time()}
        values |= _outcome(snapshot, error, seconds)
        if existing is not None:
            connection.execute(update(builds).where(builds.c.id == existing.id).values(**values))
            return existing.id
        insert_ignoring_duplicates(connection, builds, [{"key": key, **values}])
        return connection.execute(select(builds.c.id).where(builds.c.key == key)).scalar_one()

    def save_commits(
        self, repository_id: int, entries: Sequence[tuple[CommitInfo, int, list[CommitDagRow]]]
    ) -> None:
        """Record indexed commits with their DAG states, each commit's rows together."""
        if not entries:
            return
        with self.engine.begin() as connection:
            people = [(info.author_name, info.author_email) for info, _, _ in entries]
            insert_ignoring_duplicates(connection, authors, author_rows(people))
            author_id = author_ids(connection, people)
            inserted = connection.execute(
                dialect_insert(connection, commits)
                .on_conflict_do_nothing()
                .returning(commits.c.id, commits.c.sha),
                [
                    {
                        "repository_id": repository_id,
                        "sha": info.sha,
                        "parents": pack_parents(info.parents),
                        "author_id": author_id[(info.author_name, info.author_email)],
                        "authored_at": info.authored_at,
                        "subject": info.subject,
                        "position": position,
                    }
                    for info, position, _ in entries
                ],
            ).all()
            # A commit another indexer recorded first is not returned, and keeps its rows.
            ids = {row.sha: row.id for row in inserted}
            dag_rows = [
                {
                    "commit_id": ids[info.sha],
                    "dag": row.dag,
                    "status": row.status,
                    "definition_id": row.definition_id,
                    "build_id": row.build_id,
                    "error": row.error,
                }
                for info, _, rows in entries
                if info.sha in ids
                for row in rows
            ]
            if dag_rows:
                connection.execute(insert(commit_dags), dag_rows)

    def point_commit_dag(self, repository_id: int, sha: str, dag: str, build_id: int) -> None:
        """Make one commit's DAG use another build (after --retry-failed under a new key)."""
        with self.engine.begin() as connection:
            commit_id = (
                select(commits.c.id)
                .where(commits.c.repository_id == repository_id, commits.c.sha == sha)
                .scalar_subquery()
            )
            connection.execute(
                update(commit_dags)
                .where(commit_dags.c.commit_id == commit_id, commit_dags.c.dag == dag)
                .values(build_id=build_id, status=STATUS_BUILT)
            )

    # -- discovery's parse cache ------------------------------------------------------------

    def discovered_blobs(self, blob_ids: Iterable[str], version: str) -> dict[str, str]:
        """Stored parse results (JSON) of blobs, by blob id, for one parser version."""
        found: dict[str, str] = {}
        wanted = sorted(set(blob_ids))
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                rows = connection.execute(
                    select(discovered_blobs.c.blob_id, discovered_blobs.c.result).where(
                        discovered_blobs.c.parser_version == version,
                        discovered_blobs.c.blob_id.in_(wanted[start : start + 500]),
                    )
                )
                found.update({row.blob_id: row.result for row in rows})
        return found

    def save_discovered_blobs(self, results: dict[str, str], version: str) -> None:
        rows = [
            {"blob_id": blob_id, "parser_version": version, "result": result}
            for blob_id, result in sorted(results.items())
        ]
        with self.engine.begin() as connection:
            for start in range(0, len(rows), 500):
                insert_ignoring_duplicates(connection, discovered_blobs, rows[start : start + 500])

    def max_position(self, repository_id: int) -> int:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(func.max(commits.c.position)).where(commits.c.repository_id == repository_id)
            ).scalar()
            return -1 if value is None else int(value)

    def set_refs(self, repository_id: int, current: dict[str, str]) -> None:
        """Refs as last indexed: upserted, and those gone from the repository removed."""
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(
                refs.delete().where(
                    refs.c.repository_id == repository_id, refs.c.name.not_in(list(current) or [""])
                )
            )
            if current:
                statement = dialect_insert(connection, refs)
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[refs.c.repository_id, refs.c.name],
                        set_={
                            "sha": statement.excluded.sha,
                            "updated_at": statement.excluded.updated_at,
                        },
                    ),
                    [
                        {
                            "repository_id": repository_id,
                            "name": name,
                            "sha": sha,
                            "updated_at": now,
                        }
                        for name, sha in sorted(current.items())
                    ],
                )

    def analyze(self) -> None:
        """Refresh PostgreSQL's planner statistics after a run that wrote rows.

        Without them (a new schema, autovacuum off or not yet run) PostgreSQL joins commits
        to their DAG states with a nested loop that grows with the square of the history.
        """
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as connection:
            for table in (commits, commit_dags, builds, refs, snapshot_nodes, node_versions):
                connection.execute(text(f"ANALYZE {table.name}"))

    def start_run(self, repository_id: int) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(index_runs).values(
                    repository_id=repository_id,
                    started_at=time.time(),
                    status="running",
                    seen=0,
                    built=0,
                    reused=0,
                    failed=0,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                )
            )
            return result.inserted_primary_key[0]

    def finish_run(self, run_id: int, status: str, counts: dict[str, int], message: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(index_runs)
                .where(index_runs.c.id == run_id)
                .values(finished_at=time.time(), status=status, message=message, **counts)
            )

    def finish_stopped_run(self, run_id: int, exc: BaseException) -> None:
        """Mark a run interrupted that a stop (a signal, a closed output) ended with `exc`."""
        with contextlib.suppress(SQLAlchemyError):
            self.finish_run(run_id, "interrupted", {}, f"interrupted ({describe_error(exc)})")

    def finish_failed_run(self, run_id: int, exc: BaseException) -> None:
        """Mark a run failed with why, when the database still takes it (not when the disk is
        full)."""
        message = driver_reason(exc) if isinstance(exc, SQLAlchemyError) else describe_error(exc)
        with contextlib.suppress(SQLAlchemyError):
            self.finish_run(run_id, "failed", {}, message)
