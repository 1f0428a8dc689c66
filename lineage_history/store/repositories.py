"""Writes of the repositories a database holds: a clone remembered with its root commits as
aliases, and shallow boundaries mended once a clone is unshallowed."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, select, update

from lineage_history.store.connect import engine_reader
from lineage_history.store.inserts import insert_ignoring_duplicates
from lineage_history.store.records import pack_parents
from lineage_history.store.schema import commits, repositories, repository_roots


def remember_repository(
    engine: Engine,
    repository_id: int | None,
    *,
    name: str,
    path: str,
    roots: set[str],
    shallow: set[str],
) -> int:
    """Create or update the repository, adding every root (and shallow boundary) as an alias."""
    with engine.begin() as connection:
        if repository_id is None:
            identity = min(roots or shallow)
            insert_ignoring_duplicates(
                connection,
                repositories,
                [{"identity": identity, "name": name, "path": path, "created_at": time.time()}],
            )
            repository_id = connection.execute(
                select(repositories.c.id).where(repositories.c.identity == identity)
            ).scalar_one()
        connection.execute(
            update(repositories)
            .where(repositories.c.id == repository_id)
            .values(name=name, path=path)
        )
        rows = [{"repository_id": repository_id, "sha": sha, "shallow": False} for sha in roots]
        rows += [{"repository_id": repository_id, "sha": sha, "shallow": True} for sha in shallow]
        insert_ignoring_duplicates(connection, repository_roots, rows)
    return repository_id


def mend_boundaries(
    engine: Engine,
    repository_id: int,
    still_shallow: set[str],
    parents_of: Callable[[str], tuple[str, ...]],
) -> int:
    """Give boundary commits that are no longer shallow (`git fetch --unshallow`) their parents."""
    mended = 0
    with engine_reader(engine) as reader:
        boundaries = reader.shallow_boundaries(repository_id)
    for sha in sorted(boundaries - still_shallow):
        parents = parents_of(sha)
        with engine.begin() as connection:
            connection.execute(
                update(commits)
                .where(commits.c.repository_id == repository_id, commits.c.sha == sha)
                .values(parents=pack_parents(parents))
            )
            connection.execute(
                update(repository_roots)
                .where(repository_roots.c.repository_id == repository_id)
                .where(repository_roots.c.sha == sha)
                .values(shallow=False)
            )
        mended += 1
    return mended
