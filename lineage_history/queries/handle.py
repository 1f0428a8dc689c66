"""The query handle: a reader on the lineage database, the stored repository it answers
about, and the repository on disk when there is one. Revisions, DAG names and snapshots are
resolved here for every question."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lineage_history.dag.model import EMPTY, Snapshot
from lineage_history.errors import (
    BuildFailedError,
    NotAGitRepository,
    NotIndexed,
    UnknownDag,
    UnknownRevision,
    UserError,
)
from lineage_history.repo.clone import head_of, open_repo
from lineage_history.repo.git import GitRepo
from lineage_history.store.connect import open_reader
from lineage_history.store.identity import find_repository
from lineage_history.store.reader import Reader
from lineage_history.store.records import ALL_DAGS, STATUS_FAILED, STATUS_OK, StoredCommit
from lineage_history.store.urls import database_url, describe

if TYPE_CHECKING:  # the write side: only the working-tree diff, which builds, opens it
    from lineage_history.store.writer import Store

_ANCESTRY = re.compile(r"^(.+?)((?:[~^]\d*)*)$")


@dataclass
class QueryHandle:
    """What every question reads through; `close()` when done."""

    reader: Reader
    repository_id: int
    url: str
    repo: GitRepo | None = None
    head: str | None = None  # the SHA of HEAD when the repository was opened
    _store: Store | None = field(default=None, repr=False)
    _commits: dict[str, StoredCommit] = field(default_factory=dict, repr=False)

    def close(self) -> None:
        self.reader.close()
        if self._store is not None:
            self._store.close()
        if self.repo is not None:
            self.repo.close()

    def store(self) -> Store:
        """The write side's store on the same database (for the build of a working tree)."""
        if self._store is None:
            from lineage_history.store.database import open_engine
            from lineage_history.store.writer import Store

            self._store = Store(open_engine(self.url, must_exist=True))
        return self._store

    def resolve(self, rev: str) -> StoredCommit:
        """The indexed commit a revision names, through git when the repository is there."""
        if rev not in self._commits:
            self._commits[rev] = self._resolve(rev)
        return self._commits[rev]

    def _resolve(self, rev: str) -> StoredCommit:
        if self.repo is not None:
            sha = self.head if rev == "HEAD" and self.head else self.repo.resolve(rev)
            return self.reader.commit(self.repository_id, sha)
        match = _ANCESTRY.match(rev)
        if match is None or not match.group(2):
            return self.reader.commit(
                self.repository_id, self.reader.resolve(self.repository_id, rev)
            )
        # `main~2`, `v1^`, `HEAD^2` through the parents stored at index time.
        commit = self.resolve(match.group(1))
        for step in re.findall(r"([~^])(\d*)", match.group(2)):
            operator, count = step[0], int(step[1]) if step[1] else 1
            hops = [(1, count)] if operator == "~" else [(count, 1)]
            for parent_number, times in hops:
                for _ in range(times):
                    if len(commit.parents) < parent_number or parent_number == 0:
                        raise UnknownRevision(f"unknown revision: {rev!r} (no such ancestor)")
                    commit = self.reader.commit(
                        self.repository_id, commit.parents[parent_number - 1]
                    )
        return commit

    def pick_dag(
        self,
        dag: str | None,
        at: Sequence[tuple[str, StoredCommit]] = (),
        also: Iterable[str] = (),
        *,
        also_in: str = "",
        strict: bool = True,
    ) -> str:
        """The DAG a question about the revisions `at` (label, commit) is about: `--dag`, else
        the only one with a state at one of them or in `also` (the DAGs of `also_in`, a
        working tree). What other commits defined does not matter.

        `strict`: `--dag` must name a DAG defined there, and a revision without any DAG is an
        error (a question at a revision); otherwise any DAG of the history is taken (`log`,
        which walks back from its revision). A commit whose definition could not be read
        answers as the history does: its snapshot then says why it failed.
        """
        if not at:
            return self._pick_in_history(dag, set(also))
        found = self.reader.dags_at(self.repository_id, [commit.sha for _, commit in at])
        present = (found - {ALL_DAGS}) | set(also)
        comparison = len(at) > 1 or bool(also_in)  # a DAG absent on one side was added or removed
        readable = ALL_DAGS not in found
        sides = [f"{rev} ({commit.sha[:10]})" for rev, commit in at]
        where = " or ".join([*sides, also_in] if also_in else sides)
        names = ", ".join(sorted(present)) or "none"
        if dag is None:
            if len(present) == 1:
                return next(iter(present))
            if present:
                raise UnknownDag(f"{where} defines several DAGs; pass --dag with one of: {names}")
            if strict and readable and not comparison:
                raise UnknownDag(f"no DAG is defined at {where}")
            return self._pick_in_history(None, set())
        if dag in present:
            return dag
        if not strict or not readable:
            return self._pick_in_history(dag, present)
        if self.reader.has_dag(self.repository_id, dag):
            raise UnknownDag(f"the DAG {dag!r} is not defined at {where}; DAGs there: {names}")
        raise UnknownDag(f"unknown DAG {dag!r}; known DAGs: {names} (those at {where})")

    def _pick_in_history(self, dag: str | None, extra: set[str]) -> str:
        """`--dag`, else the only DAG of the whole indexed history (or of `extra`)."""
        if dag is not None:
            if dag in extra or self.reader.has_dag(self.repository_id, dag):
                return dag
            known = ", ".join(self._dag_names(extra)) or "none"
            raise UnknownDag(f"unknown DAG {dag!r}; known DAGs: {known}")
        names = sorted(set(self.reader.dag_names(self.repository_id, at_most_two=True)) | extra)
        if len(names) > 1:
            raise UnknownDag(
                "this repository defines several DAGs; pass --dag with one of: "
                + ", ".join(self._dag_names(extra))
            )
        return names[0] if names else ""

    def _dag_names(self, extra: set[str]) -> list[str]:
        return sorted(set(self.reader.dag_names(self.repository_id)) | extra)

    def snapshot_at(self, commit: StoredCommit, dag: str) -> Snapshot:
        """The DAG at a commit: empty where it is not defined; an error where its build
        failed."""
        state = self.reader.dag_states(self.repository_id, dag, [commit.sha]).get(commit.sha)
        if state is None or state.status not in (STATUS_OK, STATUS_FAILED):
            return EMPTY
        if state.status == STATUS_FAILED:
            raise BuildFailedError(
                f"the DAG {dag!r} failed to build at {commit.sha[:12]} ({commit.subject}): "
                f"{state.error}"
            )
        assert state.snapshot_id is not None
        return self.reader.build_snapshot(state.snapshot_id, state.stubbed)


def open_for_query(repo_path: str | None, db: str | None) -> QueryHandle:
    """Open for reading; works without the repository when the database is named."""
    repo = open_repo(repo_path)
    if repo is None and not (db or os.environ.get("LINEAGE_HISTORY_DB")):
        raise NotAGitRepository(
            f"not a git repository: {Path(repo_path or '.').resolve()} "
            "(pass --db to read a lineage database without the repository)"
        )
    url = database_url(db, repo.git_dir if repo else None)
    reader = open_reader(url)
    try:
        head = head_of(repo)
        repository_id = _stored_repository(reader, repo, head, repo_path, url)
    except BaseException:
        reader.close()
        if repo is not None:
            repo.close()
        raise
    return QueryHandle(reader, repository_id, url, repo, head)


def _stored_repository(
    reader: Reader, repo: GitRepo | None, head: str | None, repo_path: str | None, url: str
) -> int:
    """The stored repository a query is about: this clone, else the one `--repo` names (by
    path or name) or the only one in the database."""
    rows = reader.repositories()
    if repo is not None:
        found = find_repository(reader, repo, head) if rows else None
        match = next((r for r in rows if r.id == found), None)
    else:
        wanted = str(Path(repo_path).resolve()) if repo_path else None
        match = next(
            (r for r in rows if repo_path and (r.path == wanted or r.name == repo_path)), None
        )
        if match is None and len(rows) == 1:
            match = rows[0]
    if match is not None:
        return match.id
    if not rows:
        raise NotIndexed(f"nothing is indexed in {describe(url)}: run `lineage-history index`")
    if repo is not None:
        raise NotIndexed(f"repository {repo.root} is not indexed in {describe(url)}")
    names = ", ".join(f"{r.name} ({r.path})" for r in rows)
    raise UserError(f"several repositories in {describe(url)}; pass --repo with one of: {names}")


def opened(repo_path: str | None, db: str | None) -> contextlib.closing[QueryHandle]:
    """A query handle for the length of a `with` block."""
    return contextlib.closing(open_for_query(repo_path, db))
