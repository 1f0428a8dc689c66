"""Storage of the lineage history: tables, migrations on open, reads and writes."""

from lineage_history.store.database import database_url, open_engine
from lineage_history.store.store import (
    ALL_DAGS,
    STATUS_ABSENT,
    STATUS_BUILT,
    STATUS_FAILED,
    STATUS_OK,
    CommitDagRow,
    DagState,
    Store,
    StoredCommit,
)

__all__ = [
    "ALL_DAGS",
    "STATUS_ABSENT",
    "STATUS_BUILT",
    "STATUS_FAILED",
    "STATUS_OK",
    "CommitDagRow",
    "DagState",
    "Store",
    "StoredCommit",
    "database_url",
    "open_engine",
]
