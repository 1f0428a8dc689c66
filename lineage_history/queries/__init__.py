"""The query side: every question to the lineage history, answered from the database alone
through a `QueryHandle` (no Hamilton, no SQLAlchemy on SQLite). Each function returns plain
data; `contract` turns it into JSON and the CLI prints it.

- `handle`: opening, revisions, DAG names, snapshots;
- `at_commit`: show, upstream, downstream, path;
- `diffs`: diff (`ranges`: A...B and A..B, `live`: the working tree and the index);
- `history`: one DAG's history, which `node_log` (log), `tag_blame` (blame) and `review`
  (check, log --reach) walk;  `status`: what is indexed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lineage_history.queries.at_commit import (
        PathResult,
        Related,
        Shown,
        downstream,
        path,
        show,
        upstream,
    )
    from lineage_history.queries.diffs import DiffReport, diff_revisions
    from lineage_history.queries.handle import QueryHandle, open_for_query, opened
    from lineage_history.queries.node_log import LogEntry, NodeLog, log
    from lineage_history.queries.tag_blame import Blame, BlameLine, blame
    from lineage_history.selectors import TagFilter, parse_tag_filters

# Each name's module, imported on first use: a command pays only for the question it asks.
_HOMES = {
    "lineage_history.queries.at_commit": (
        "PathResult",
        "Related",
        "Shown",
        "downstream",
        "path",
        "show",
        "upstream",
    ),
    "lineage_history.queries.tag_blame": ("Blame", "BlameLine", "blame"),
    "lineage_history.queries.diffs": ("DiffReport", "diff_revisions"),
    "lineage_history.queries.handle": ("QueryHandle", "open_for_query", "opened"),
    "lineage_history.queries.node_log": ("LogEntry", "NodeLog", "log"),
    "lineage_history.selectors": ("TagFilter", "parse_tag_filters"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "Blame",
    "BlameLine",
    "DiffReport",
    "LogEntry",
    "NodeLog",
    "PathResult",
    "QueryHandle",
    "Related",
    "Shown",
    "TagFilter",
    "blame",
    "diff_revisions",
    "downstream",
    "log",
    "open_for_query",
    "opened",
    "parse_tag_filters",
    "path",
    "show",
    "upstream",
]


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
