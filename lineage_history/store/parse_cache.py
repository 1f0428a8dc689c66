"""The lineage database as driver discovery's parse cache for commands that only read
(`dags`, a diff of the working tree): it serves what is stored, and a database that refuses
the write (read-only, locked) costs a parse next time, not an error."""

from __future__ import annotations

import contextlib
from collections.abc import Collection

from sqlalchemy.exc import SQLAlchemyError

from lineage_history.store.writer import Store


class BestEffortParseCache:
    def __init__(self, store: Store) -> None:
        self.store = store

    def discovered_blobs(self, blob_ids: Collection[str], version: str) -> dict[str, str]:
        return self.store.discovered_blobs(blob_ids, version)

    def save_discovered_blobs(self, results: dict[str, str], version: str) -> None:
        with contextlib.suppress(SQLAlchemyError):
            self.store.save_discovered_blobs(results, version)
