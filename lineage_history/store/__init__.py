"""Storage of the lineage history: records, reads, writes, and migrations on open.

The records and the read path import no SQLAlchemy; `Store` and `open_engine` (the write
side, which does) are imported on first use, so that a query never pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lineage_history.store.records import (
    ALL_DAGS,
    HEAD_REVISION,
    STATUS_ABSENT,
    STATUS_BUILT,
    STATUS_FAILED,
    STATUS_OK,
    CommitDagRow,
    DagState,
    StoredCommit,
)
from lineage_history.store.urls import database_url, describe

if TYPE_CHECKING:
    from lineage_history.store.database import open_engine
    from lineage_history.store.store import Store

__all__ = [
    "ALL_DAGS",
    "HEAD_REVISION",
    "STATUS_ABSENT",
    "STATUS_BUILT",
    "STATUS_FAILED",
    "STATUS_OK",
    "CommitDagRow",
    "DagState",
    "Store",
    "StoredCommit",
    "database_url",
    "describe",
    "open_engine",
]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from lineage_history.store.store import Store

        return Store
    if name == "open_engine":
        from lineage_history.store.database import open_engine

        return open_engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
