"""Turns commits into what an index run records: the DAG states that need no build, and the
build plans (and build requests) of the states that wait for one."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from lineage_history.build.plans import BuildPlan, Planner, build_request
from lineage_history.build.pool import BuildRequest
from lineage_history.definitions.sources import DagSources
from lineage_history.definitions.toml_files import DagDefinition
from lineage_history.errors import ConfigError, describe_error
from lineage_history.repo.git import CommitInfo, GitRepo
from lineage_history.repo.tree import Tree
from lineage_history.store.records import (
    ALL_DAGS,
    STATUS_ABSENT,
    STATUS_FAILED,
    CommitDagRow,
    DagFailure,
    StandInState,
)
from lineage_history.store.writer import Store


# (sha, dag, build key) of an indexed DAG state to point at a new build of that key.
class Rebuild(NamedTuple):
    """An indexed DAG state to point at a new build of `key`."""

    sha: str
    dag: str
    key: str


@dataclass
class PendingCommit:
    """A commit whose DAG states wait for builds."""

    info: CommitInfo
    position: int
    rows: list[CommitDagRow]  # the states that needed no build (absent, failed to plan)
    waiting: dict[str, str]  # build key -> dag name


class CommitPlanner:
    """Plans the commits of one repository, one index run long: definitions, their stored ids
    and parsed driver code are cached across the run's commits."""

    def __init__(
        self,
        repo: GitRepo,
        store: Store,
        override: dict[str, DagDefinition] | None,
        pass_env: tuple[str, ...],
        structure: bool = False,
    ) -> None:
        self._repo = repo
        self._store = store
        self._definition_ids: dict[str, int] = {}
        self._sources = DagSources(override, store)  # its caches carry across the commits
        # The values of `--pass-env` variables are part of every build key.
        passed = {name: os.environ[name] for name in pass_env if name in os.environ}
        self._planner = Planner(passed, structure)  # structure: plans carry structure keys

    def definitions(self, tree: Tree) -> dict[str, DagDefinition] | ConfigError:
        """The DAGs of a commit (see `DagSources`), or why its definition is broken."""
        try:
            return self._sources.definitions(tree)
        except ConfigError as exc:
            return exc

    def definition_id(self, definition: DagDefinition) -> int:
        """The stored id of a definition, saved the first time the run meets it."""
        if definition.digest not in self._definition_ids:
            self._definition_ids[definition.digest] = self._store.save_definition(
                definition.digest, definition.to_dict()
            )
        return self._definition_ids[definition.digest]

    def plan_commit(
        self, info: CommitInfo, position: int
    ) -> tuple[PendingCommit, dict[str, BuildPlan]]:
        """The commit's DAG states that need no build, and the builds the others wait for.
        Any surprise in one DAG (an unreadable tree entry, a bad definition) fails that DAG
        of this commit only."""
        try:
            tree = self._repo.commit_tree(info.sha)
            definitions = self.definitions(tree)
        except Exception as exc:
            definitions = ConfigError(f"cannot read the commit: {describe_error(exc)}")
        if isinstance(definitions, ConfigError):
            row = CommitDagRow(ALL_DAGS, STATUS_FAILED, error=str(definitions))
            return PendingCommit(info, position, [row], {}), {}
        rows: list[CommitDagRow] = []
        waiting: dict[str, str] = {}
        plans: dict[str, BuildPlan] = {}
        for name, definition in definitions.items():
            try:
                build_plan = self._planner.plan(tree, definition)
            except Exception as exc:
                error = f"cannot plan the build: {describe_error(exc)}"
                definition_id = self.definition_id(definition)
                rows.append(CommitDagRow(name, STATUS_FAILED, definition_id, error=error))
                continue
            if build_plan is None:
                rows.append(CommitDagRow(name, STATUS_ABSENT, self.definition_id(definition)))
                continue
            waiting[build_plan.key] = name
            plans[build_plan.key] = build_plan
        return PendingCommit(info, position, rows, waiting), plans

    def plan_rebuilds(
        self, repository_id: int, states: Callable[[int], Sequence[DagFailure | StandInState]]
    ) -> tuple[list[Rebuild], dict[str, BuildPlan]]:
        """The indexed DAG states `states` lists (`Store.failed_states`,
        `Store.stand_in_states`) to build again, and their plans.

        The key is computed again: after an upgrade of Hamilton it differs from the stored one.
        """
        rebuilds: list[Rebuild] = []
        plans: dict[str, BuildPlan] = {}
        for state in states(repository_id):
            tree = self._repo.commit_tree(state.sha)
            definitions = self.definitions(tree)
            if isinstance(definitions, ConfigError) or state.dag not in definitions:
                continue  # a broken definition is fixed by a new commit, not by a rebuild
            build_plan = self._planner.plan(tree, definitions[state.dag])
            if build_plan is not None:
                plans[build_plan.key] = build_plan
                rebuilds.append(Rebuild(state.sha, state.dag, build_plan.key))
        return rebuilds, plans

    def request(self, build_plan: BuildPlan) -> BuildRequest:
        """The build request of a plan, its files read from the repository's objects."""
        return build_request(build_plan, self._repo.read_blob)
