"""Compact commit rows: authors stored once each, parents as bytes, commits read back whole."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection, Select, select

from lineage_history.store.schema import authors, commits

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


def commits_with_authors() -> Select:
    """Every column of `commits`, with `author_name` and `author_email` in place of the id."""
    return select(
        commits,
        authors.c.name.label("author_name"),
        authors.c.email.label("author_email"),
    ).join(authors, authors.c.id == commits.c.author_id)


def pack_parents(parents: Iterable[str]) -> bytes:
    """Parent SHAs as bytes: half the size of their hex."""
    return bytes.fromhex("".join(parents))


def unpack_parents(packed: bytes, sha: str) -> tuple[str, ...]:
    """The hex SHAs back; each as long as the commit's own (SHA-1 or SHA-256)."""
    hexed, width = bytes(packed).hex(), len(sha)
    return tuple(hexed[i : i + width] for i in range(0, len(hexed), width))
