"""The query side: every question to the lineage history, answered from the database alone
through a `QueryHandle` (no Hamilton, no SQLAlchemy on SQLite). Each function returns plain
data; `contract` turns it into JSON and the CLI prints it.

- `handle`: opening, revisions, DAG names, snapshots;
- `at_commit`: show, upstream, downstream, path;  `diffs`: diff (`ranges`: A...B, `live`: the
  working tree and the index);  `history`, `log`, `blame`: questions over the history;
- `review`: check and log --reach;  `status`: what is indexed.
"""

from lineage_history.queries.at_commit import (
    PathResult,
    Related,
    Shown,
    downstream,
    path,
    show,
    upstream,
)
from lineage_history.queries.blame import Blame, BlameLine, blame
from lineage_history.queries.diffs import DiffReport, diff_revisions
from lineage_history.queries.handle import QueryHandle, open_for_query, opened
from lineage_history.queries.log import LogEntry, NodeLog, log
from lineage_history.selectors import TagFilter, parse_tag_filters

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
