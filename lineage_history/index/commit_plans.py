"""Turns commits into what an index run records: the DAG states that need no build, and the
build plans (and build requests) of the states that wait for one."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from lineage_history.build.plans import BuildPlan, Planner, preload_names
from lineage_history.build.pool import BuildRequest
from lineage_history.definitions.discovery import Discoverer
from lineage_history.definitions.toml_files import (
    OWN_FILE,
    PYPROJECT,
    DagDefinition,
    defined_at_commit,
    with_discovered,
)
from lineage_history.errors import ConfigError
from lineage_history.repo.git import CommitInfo, GitRepo
from lineage_history.repo.tree import Tree
from lineage_history.store.records import ALL_DAGS, STATUS_ABSENT, STATUS_FAILED, CommitDagRow
from lineage_history.store.writer import Store

# (sha, dag, build key) of an indexed DAG state to point at a new build of that key.
Rebuild = tuple[str, str, str]


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
    ) -> None:
        self._repo = repo
        self._store = store
        self._override = override
        self._definition_ids: dict[str, int] = {}
        self._definitions_cache: dict[tuple[str | None, str | None], object] = {}
        self._discoverer = Discoverer(store)  # its caches carry across the run's commits
        # The values of `--pass-env` variables are part of every build key.
        self._planner = Planner({name: os.environ[name] for name in pass_env if name in os.environ})

    def definitions(self, tree: Tree) -> dict[str, DagDefinition] | ConfigError:
        """`--config`, else the commit's own definition; without one (or with `discover =
        true` in it, as well) the DAGs its driver code builds."""
        defined = self._override
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

    def definition_id(self, definition: DagDefinition) -> int:
        """The stored id of a definition, saved the first time the run meets it."""
        if definition.digest not in self._definition_ids:
            self._definition_ids[definition.digest] = self._store.save_definition(definition)
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
        self, repository_id: int, states: Callable[[int], list[tuple[str, str, str]]]
    ) -> tuple[list[Rebuild], dict[str, BuildPlan]]:
        """The indexed DAG states `states` lists (`Store.failed_commits`,
        `Store.stubbed_builds`) to build again, and their plans.

        The key is computed again: after an upgrade of Hamilton it differs from the stored one.
        """
        rebuilds: list[Rebuild] = []
        plans: dict[str, BuildPlan] = {}
        for sha, dag, _detail in states(repository_id):
            tree = self._repo.commit_tree(sha)
            definitions = self.definitions(tree)
            if isinstance(definitions, ConfigError) or dag not in definitions:
                continue  # a broken definition is fixed by a new commit, not by a rebuild
            build_plan = self._planner.plan(tree, definitions[dag])
            if build_plan is not None:
                plans[build_plan.key] = build_plan
                rebuilds.append((sha, dag, build_plan.key))
        return rebuilds, plans

    def request(self, build_plan: BuildPlan) -> BuildRequest:
        """The build request of a plan, its files read from the repository's objects."""
        return build_request(build_plan, self._repo.read_blob)


def describe_error(exc: BaseException) -> str:
    """`Type: first line of the message`, for an error recorded as a DAG's failure."""
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
