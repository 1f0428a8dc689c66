"""Authors stored once each (commits point at them); parents are packed by `records`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection, select

from lineage_history.store.schema import authors

Author = tuple[str, str]  # name, e-mail


def author_digest(name: str, email: str) -> str:
    """The key of an author's row (migration 0006 computes it the same way)."""
    return hashlib.sha256(f"{name}\0{email}".encode("utf-8", "surrogatepass")).hexdigest()


def author_rows(people: Iterable[Author]) -> list[dict[str, str]]:
    """Rows for `authors`, to be inserted ignoring the ones already there."""
    return [
        {"digest": author_digest(name, email), "name": name, "email": email}
        for name, email in sorted(set(people))
    ]


def author_ids(connection: Connection, people: Iterable[Author]) -> dict[Author, int]:
    """The ids of stored authors (every one of `people` must have been inserted)."""
    wanted = {author_digest(*person): person for person in set(people)}
    rows = connection.execute(
        select(authors.c.id, authors.c.digest).where(authors.c.digest.in_(sorted(wanted)))
    )
    return {wanted[row.digest]: row.id for row in rows}
