"""Every read of the lineage history, over a plain DB-API connection: the `sqlite3` module's
on the fast read path (no SQLAlchemy import), psycopg's for PostgreSQL. The SQL is
`read_sql`'s; this module turns rows into records, snapshots and nodes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from lineage_history.dag.model import Node, Snapshot, TagValue
from lineage_history.errors import NotIndexed, UnknownRevision
from lineage_history.store import read_sql as sql
from lineage_history.store.records import (
    ALL_DAGS,
    STATUS_ABSENT,
    STATUS_FAILED,
    STATUS_OK,
    DagCommitCounts,
    DagFailure,
    DagState,
    IndexCounts,
    LastRun,
    RepositoryRow,
    StandInState,
    StoredCommit,
    node_from_columns,
    stubbed_list,
    unpack_parents,
)

_CHUNK = 500  # values per IN (...) list, well under every backend's parameter limit
_HEX = frozenset("0123456789abcdef")


def _commit(row: Sequence[Any]) -> StoredCommit:
    id_, sha, parents, name, email, authored_at, subject, position = row
    return StoredCommit(
        id_, sha, unpack_parents(parents, sha), name, email, authored_at, subject, position
    )


class Reader:
    """The reads of one database over one DB-API connection (`format_style`: psycopg's
    `%s` parameters instead of `?`)."""

    def __init__(
        self,
        connection: Any,
        *,
        format_style: bool = False,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._connection = connection
        self._format_style = format_style
        self._on_close = on_close
        self._snapshots: dict[int, Snapshot] = {}
        self._configs: dict[int, Mapping[str, Any]] = {}

    def clear_cache(self) -> None:
        """Forget the snapshots and configs read so far (benchmarks time cold reads)."""
        self._snapshots.clear()
        self._configs.clear()

    def close(self) -> None:
        self._connection.close()
        if self._on_close is not None:
            self._on_close()

    # -- running SQL ----------------------------------------------------------------------

    def _rows(self, statement: str, params: Sequence[Any] = (), **lists: int) -> list[Any]:
        """The rows of `statement`; `lists` gives the length of each `{name}` list."""
        if lists:
            statement = statement.format(**{k: ", ".join("?" * n) for k, n in lists.items()})
        if self._format_style:
            statement = statement.replace("?", "%s")
        cursor = self._connection.cursor()
        try:
            cursor.execute(statement, tuple(params))
            return cursor.fetchall()
        finally:
            cursor.close()

    def _in_chunks(
        self, statement: str, name: str, values: Sequence[Any], before: Sequence[Any] = ()
    ) -> list[Any]:
        """`statement` over `values` as its `{name}` list, a chunk at a time."""
        rows: list[Any] = []
        for start in range(0, len(values), _CHUNK):
            chunk = list(values[start : start + _CHUNK])
            rows += self._rows(statement, [*before, *chunk], **{name: len(chunk)})
        return rows

    # -- repositories ---------------------------------------------------------------------

    def revision(self) -> str | None:
        rows = self._rows(sql.REVISION)
        return rows[0][0] if rows else None

    def repositories(self) -> list[RepositoryRow]:
        return [RepositoryRow(*row) for row in self._rows(sql.REPOSITORIES)]

    def find_repository(self, roots: Iterable[str], shas: Iterable[str]) -> int | None:
        """The repository known by one of `roots`, else the one that stored one of `shas`."""
        root_list, sha_list = sorted(set(roots)), sorted(set(shas))
        lookups = ((sql.REPOSITORY_BY_ROOT, root_list), (sql.REPOSITORY_BY_COMMIT, sha_list))
        for statement, values in lookups:
            found = sorted(row[0] for row in self._in_chunks(statement, "shas", values))
            if found:
                return found[0]
        return None

    def repositories_with_commit(self, sha: str) -> list[int]:
        return [row[0] for row in self._rows(sql.REPOSITORIES_WITH_COMMIT, (sha,))]

    def shallow_boundaries(self, repository_id: int) -> set[str]:
        """Stored commits whose parents were cut off by a shallow clone when they were indexed."""
        return {row[0] for row in self._rows(sql.SHALLOW_BOUNDARIES, (repository_id, True))}

    # -- commits --------------------------------------------------------------------------

    def resolve(self, repository_id: int, rev: str) -> str:
        """A revision as stored at index time: full SHA, unique SHA prefix, or ref name."""
        for name in (rev, f"refs/heads/{rev}", f"refs/tags/{rev}", f"refs/remotes/{rev}"):
            rows = self._rows(sql.REF, (repository_id, name))
            if rows:
                return rows[0][0]
        lowered = rev.lower()
        if len(lowered) >= 4 and set(lowered) <= _HEX:
            matches = self._rows(sql.SHA_PREFIX, (repository_id, lowered + "%"))
            if len(matches) == 1:
                return matches[0][0]
            if len(matches) > 1:
                raise UnknownRevision(f"ambiguous revision {rev!r}: give more characters")
        raise UnknownRevision(
            f"unknown revision {rev!r} (without the repository, use a full or unique SHA "
            "or a ref as last indexed)"
        )

    def ref_names(self, repository_id: int) -> list[str]:
        """The refs as the last index run saw them (`refs/heads/main`, `HEAD`, ...)."""
        return [name for (name,) in self._rows(sql.REF_NAMES, (repository_id,))]

    def commit(self, repository_id: int, sha: str) -> StoredCommit:
        rows = self._rows(sql.COMMIT, (repository_id, sha))
        if not rows:
            raise NotIndexed(f"commit {sha[:12]} is not indexed: run `lineage-history index`")
        return _commit(rows[0])

    def commits(self, repository_id: int) -> list[StoredCommit]:
        """Every indexed commit, oldest first."""
        return [_commit(row) for row in self._rows(sql.COMMITS, (repository_id,))]

    def indexed_shas(self, repository_id: int, among: Iterable[str] | None = None) -> set[str]:
        """The SHAs of the indexed commits (of `among` only, when given)."""
        if among is None:
            return {row[0] for row in self._rows(sql.INDEXED_SHAS, (repository_id,))}
        wanted = sorted(set(among))
        return {
            row[0] for row in self._in_chunks(sql.INDEXED_AMONG, "shas", wanted, (repository_id,))
        }

    # -- DAGs and snapshots ---------------------------------------------------------------

    def dag_names(self, repository_id: int, *, at_most_two: bool = False) -> list[str]:
        """The names of the DAGs indexed (`at_most_two`: enough to tell one from several)."""
        statement = sql.TWO_DAG_NAMES if at_most_two else sql.DAG_NAMES
        return sorted(row[0] for row in self._rows(statement, (repository_id, ALL_DAGS)))

    def dags_at(self, repository_id: int, shas: Iterable[str]) -> set[str]:
        """The DAGs with a state at any of `shas`; ALL_DAGS among them where a commit's
        definition itself could not be read."""
        rows = self._in_chunks(sql.DAGS_AT, "shas", sorted(set(shas)), (repository_id,))
        return {row[0] for row in rows}

    def dag_summaries(self, repository_id: int) -> list[tuple[str, int, int]]:
        """Each DAG indexed: its name, how many commits define it, the newest one's date."""
        rows = self._rows(sql.DAG_SUMMARIES, (repository_id, ALL_DAGS))
        return [(name, count, newest) for name, count, newest in rows]

    def has_dag(self, repository_id: int, dag: str) -> bool:
        return bool(self._rows(sql.DAG_KNOWN, (repository_id, dag)))

    def dag_states(
        self, repository_id: int, dag: str, shas: Iterable[str] | None = None
    ) -> dict[str, DagState]:
        """The state of `dag` at every indexed commit (or at `shas`), by SHA."""
        params = (dag, ALL_DAGS, repository_id)
        if shas is None:
            rows = self._rows(sql.DAG_STATES, params)
        else:
            rows = self._in_chunks(sql.DAG_STATES_AT, "shas", sorted(set(shas)), params)
        states: dict[str, DagState] = {}
        for sha, row_dag, status, error, snapshot_id, build_error, stubbed in rows:
            if row_dag is None:
                states.setdefault(sha, DagState(STATUS_ABSENT))
                continue
            state = DagState(status, snapshot_id, error or build_error, stubbed_list(stubbed))
            if row_dag == dag or sha not in states:
                states[sha] = state
        return states

    def snapshot_config(self, snapshot_id: int) -> Mapping[str, Any]:
        """The Hamilton config a snapshot was built with."""
        if snapshot_id not in self._configs:
            rows = self._rows(sql.SNAPSHOT_CONFIG, (snapshot_id,))
            self._configs[snapshot_id] = json.loads(rows[0][0])
        return self._configs[snapshot_id]

    def load_snapshot(self, snapshot_id: int) -> Snapshot:
        if snapshot_id not in self._snapshots:
            rows = self._rows(sql.SNAPSHOT_NODES, (snapshot_id,))
            config = self.snapshot_config(snapshot_id)
            nodes = (node_from_columns(*row) for row in rows)
            self._snapshots[snapshot_id] = Snapshot.of(nodes, config)
        return self._snapshots[snapshot_id]

    def build_snapshot(self, snapshot_id: int, stubbed: tuple[str, ...]) -> Snapshot:
        """A snapshot as one build made it: with that build's stand-ins (the same snapshot
        can come from an exact build and from one with stand-ins)."""
        snapshot = self.load_snapshot(snapshot_id)
        return dataclasses.replace(snapshot, stubbed=stubbed) if stubbed else snapshot

    def built_snapshot(self, key: str) -> Snapshot | None:
        """The snapshot a successful build of `key` produced, with the build's stand-ins."""
        rows = self._rows(sql.BUILT_SNAPSHOT, (key, STATUS_OK))
        if not rows:
            return None
        snapshot_id, stubbed = rows[0]
        return self.build_snapshot(snapshot_id, stubbed_list(stubbed))

    def node_versions(self, snapshot_ids: Iterable[int], name: str) -> dict[int, Node]:
        """The version of node `name` in each of the given snapshots that has it."""
        rows = self._in_chunks(sql.NODE_VERSIONS, "ids", sorted(set(snapshot_ids)), (name,))
        return {row[0]: node_from_columns(*row[1:]) for row in rows}

    def names(self, snapshot_ids: Iterable[int]) -> set[str]:
        """Every node name in the given snapshots."""
        return {row[0] for row in self._in_chunks(sql.NAMES, "ids", sorted(set(snapshot_ids)))}

    def tags(
        self, names: Iterable[str], snapshot_ids: Iterable[int]
    ) -> dict[tuple[int, str], Mapping[str, TagValue]]:
        """Only the tags of several nodes in some snapshots (cheaper than whole versions)."""
        wanted = sorted(set(names))
        ids = sorted(set(snapshot_ids))
        parsed: dict[str, Mapping[str, TagValue]] = {}
        found: dict[tuple[int, str], Mapping[str, TagValue]] = {}
        for start in range(0, len(wanted), _CHUNK):
            some = wanted[start : start + _CHUNK]
            for begin in range(0, len(ids), _CHUNK):
                chunk = ids[begin : begin + _CHUNK]
                params = [*some, *chunk]
                for snapshot_id, name, tags in self._rows(
                    sql.TAGS, params, names=len(some), ids=len(chunk)
                ):
                    if tags not in parsed:  # few distinct tag sets: parse each once
                        parsed[tags] = Node(name, "", tags=json.loads(tags)).tags
                    found[(snapshot_id, name)] = parsed[tags]
        return found

    # -- status ---------------------------------------------------------------------------

    def status(self, repository_id: int) -> IndexCounts:
        """Counts of commits, snapshots and failures, (commit, DAG) pairs by kind, last run."""
        alone = len(self.repositories()) == 1
        one = () if alone else (repository_id,)
        per_build = sql.STATES_PER_BUILD_ALL if alone else sql.STATES_PER_BUILD
        unbuilt = sql.UNBUILT_STATES_ALL if alone else sql.UNBUILT_STATES
        kinds = {"ok": 0, "stubbed": 0, "failed": 0}
        snapshots = set()
        for status, snapshot_id, stubbed, count in self._rows(per_build, one):
            kind = "stubbed" if status == STATUS_OK and stubbed else status
            kinds[kind] = kinds.get(kind, 0) + count
            if snapshot_id is not None:
                snapshots.add(snapshot_id)
        for status, count in self._rows(unbuilt, one):
            kinds[status] = kinds.get(status, 0) + count
        failed_params = (STATUS_FAILED, repository_id, STATUS_FAILED, repository_id)
        return IndexCounts(
            commits=self._rows(sql.COMMIT_COUNT, (repository_id,))[0][0],
            snapshots=len(snapshots),
            failed=self._rows(sql.FAILED_COMMIT_COUNT, failed_params)[0][0],
            last_run=self._last_run(repository_id),
            dag_commits=DagCommitCounts(kinds["ok"], kinds["stubbed"], kinds["failed"]),
        )

    def generation(self, repository_id: int) -> tuple[Any, ...]:
        """Changes whenever an index run changed what is stored (for caches of reads)."""
        run = self._last_run(repository_id)
        count = self._rows(sql.COMMIT_COUNT, (repository_id,))[0][0]
        return (count, None) if run is None else (count, run.started_at, run.finished_at)

    def _last_run(self, repository_id: int) -> LastRun | None:
        rows = self._rows(sql.LAST_RUN, (repository_id,))
        return LastRun(*rows[0]) if rows else None

    def failed_states(self, repository_id: int) -> list[DagFailure]:
        """Every failed DAG state."""
        params = (STATUS_FAILED, repository_id, STATUS_FAILED, repository_id)
        rows = self._rows(sql.FAILED_STATES, params)
        return [
            DagFailure(sha, dag, error or build_error or "")
            for sha, dag, error, build_error, _ in rows
        ]

    def stand_in_states(self, repository_id: int) -> list[StandInState]:
        """Every DAG state whose build used stand-ins, with the key of that build."""
        rows = self._rows(sql.STUBBED_STATES, (repository_id, STATUS_OK))
        return [StandInState(*row) for row in rows]
