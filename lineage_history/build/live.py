"""The DAG of the working tree or of the index, built on the fly from its files in the same
isolated build child as any commit, and diffed against an indexed revision. Nothing is
stored: a tree whose DAG files match an indexed build reuses that build's snapshot."""

from __future__ import annotations

from lineage_history.build.plans import build_request, plan
from lineage_history.build.pool import ExtractorPool
from lineage_history.dag.model import EMPTY, Snapshot
from lineage_history.definitions.sources import DagSources
from lineage_history.definitions.toml_files import DagDefinition
from lineage_history.errors import BuildFailedError, UserError
from lineage_history.queries.diffs import DiffReport, LiveSides, live_diff
from lineage_history.queries.handle import QueryHandle
from lineage_history.repo.clone import work_root
from lineage_history.repo.git import GitRepo
from lineage_history.repo.tree import DirectoryTree, Tree
from lineage_history.store.parse_cache import BestEffortParseCache

__all__ = ["INDEX", "WORKING_TREE", "diff_live", "live_sides", "live_snapshot"]

WORKING_TREE = "working tree"
INDEX = "index"


def live_snapshot(
    handle: QueryHandle, repo: GitRepo, tree: Tree, definition: DagDefinition | None, where: str
) -> Snapshot:
    """The DAG `definition` over the files of `tree`: an indexed build's snapshot when the
    build key is known, else a fresh build in a child process."""
    if definition is None:
        return EMPTY  # not defined in this tree
    build_plan = plan(tree, definition)
    if build_plan is None:
        return EMPTY  # none of its modules exists
    with handle.store().reading() as reader:
        known = reader.built_snapshot(build_plan.key)
    if known is not None:
        return known
    pool = ExtractorPool(1, work_root(repo))
    try:
        outcome = pool.build(build_request(build_plan, tree.read))
    finally:
        pool.close()
    if outcome.snapshot is None:
        raise BuildFailedError(
            f"the DAG {definition.name!r} failed to build in the {where}: {outcome.error}"
        )
    return outcome.snapshot


def live_sides(
    handle: QueryHandle, rev: str | None, dag: str | None, *, staged: bool = False
) -> LiveSides:
    """REV (default HEAD) and the working tree (or the index), each DAG built: what `diff`
    and `check` without a range compare."""
    repo = handle.repo
    if repo is None:
        raise UserError("a comparison with the working tree or the index needs the repository")
    tree: Tree = repo.index_tree() if staged else DirectoryTree(repo.root)
    definitions = DagSources(cache=BestEffortParseCache(handle.store())).definitions(tree)
    base_rev = rev or "HEAD"
    base = handle.resolve(base_rev)
    where = INDEX if staged else WORKING_TREE
    name = handle.pick_dag(dag, [(base_rev, base)], definitions, also_in=f"the {where}")
    old = handle.snapshot_at(base, name)
    new = live_snapshot(handle, repo, tree, definitions.get(name), where)
    return LiveSides(name, base_rev, base, where, old, new)


def diff_live(
    handle: QueryHandle, rev: str | None, dag: str | None, *, staged: bool = False
) -> DiffReport:
    """`diff [REV]`: REV (default HEAD) against the working tree, or against the index."""
    return live_diff(live_sides(handle, rev, dag, staged=staged))
