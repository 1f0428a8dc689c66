"""Build claims: several indexers on one database build each key once. A claim is a row in
`build_claims` that lapses at `expires_at` unless its owner renews it (`claim` again)."""

from __future__ import annotations

import time

from sqlalchemy import Engine, select, update

from lineage_history.store.inserts import dialect_insert
from lineage_history.store.schema import build_claims


class ClaimTable:
    """The claims of one database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        """Claim a build key; True when this owner holds it (new, or a lapsed claim taken)."""
        now = time.time()
        with self._engine.begin() as connection:
            inserted = connection.execute(
                dialect_insert(connection, build_claims)
                .values(key=key, owner=owner, claimed_at=now, expires_at=now + ttl)
                .on_conflict_do_nothing()
                .returning(build_claims.c.key)
            ).scalar()
            if inserted is not None:
                return True
            taken = connection.execute(
                update(build_claims)
                .where(
                    build_claims.c.key == key,
                    (build_claims.c.expires_at < now) | (build_claims.c.owner == owner),
                )
                .values(owner=owner, claimed_at=now, expires_at=now + ttl)
            )
            return taken.rowcount == 1

    def owners(self) -> list[str]:
        with self._engine.connect() as connection:
            return list(connection.execute(select(build_claims.c.owner).distinct()).scalars())

    def release_all(self, owner: str) -> None:
        """Drop every claim of one owner (an indexer known to be dead)."""
        with self._engine.begin() as connection:
            connection.execute(build_claims.delete().where(build_claims.c.owner == owner))

    def release(self, key: str, owner: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                build_claims.delete().where(
                    build_claims.c.key == key, build_claims.c.owner == owner
                )
            )
