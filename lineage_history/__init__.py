"""lineage-history: git-aware lineage history for Hamilton dataflows.

The public Python API is this module's `__all__`: the snapshot model and the pure diff; the
questions to an indexed history, each asked of a handle that `open_history` opens; and
`index_repository`. Everything else is internal and may change.

    import lineage_history as lh

    lh.index_repository("path/to/repo")
    with lh.open_history("path/to/repo") as history:
        print(lh.diff_revisions(history, "main~5", "main").diff.summary())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lineage_history.dag.diff import LineageDiff, NodeChange, diff
from lineage_history.dag.model import Node, Snapshot
from lineage_history.dag.selectors import TagFilter
from lineage_history.queries.at_commit import downstream, path, show, upstream
from lineage_history.queries.diffs import diff_revisions
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.handle import opened as open_history
from lineage_history.queries.node_log import log
from lineage_history.queries.tag_blame import blame

if TYPE_CHECKING:
    from lineage_history.index.run import IndexResult

__version__ = "0.1.0"
__all__ = [
    "LineageDiff",
    "Node",
    "NodeChange",
    "QueryHandle",
    "Snapshot",
    "TagFilter",
    "__version__",
    "blame",
    "diff",
    "diff_revisions",
    "downstream",
    "index_repository",
    "log",
    "open_history",
    "path",
    "show",
    "upstream",
]


def index_repository(repo: str | None = None, db: str | None = None, **options: Any) -> IndexResult:
    """Index the history of the repository at `repo` (default: around the current directory)
    into `db` (default: as the command line chooses); `options` are `IndexOptions` fields
    (`revs`, `all_refs`, `jobs`, `timeout`, ...)."""
    from lineage_history.index.run import IndexOptions  # the write side: SQLAlchemy, builds
    from lineage_history.index.session import index_once, indexing

    with indexing(repo, db) as handle:
        return index_once(handle, IndexOptions(**options))
