"""Which stored repository a clone is: matched by any known root commit or stored commit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from sqlalchemy import Engine, select, update

from lineage_history.store.compact import pack_parents
from lineage_history.store.schema import commits, repositories, repository_roots
from lineage_history.store.store import _insert_ignoring_duplicates


def find_repository(engine: Engine, roots: Iterable[str], shas: Iterable[str]) -> int | None:
    """The repository known by one of `roots`, else the one that stored one of `shas`."""
    root_list, sha_list = sorted(set(roots)), sorted(set(shas))
    with engine.connect() as connection:
        found = connection.execute(
            select(repository_roots.c.repository_id)
            .where(repository_roots.c.sha.in_(root_list))
            .order_by(repository_roots.c.repository_id)
        ).first()
        if found is None and sha_list:
            # Repository by repository, so that the `(repository_id, sha)` index serves it.
            stored = (
                select(commits.c.id)
                .where(commits.c.repository_id == repositories.c.id, commits.c.sha.in_(sha_list))
                .exists()
            )
            found = connection.execute(
                select(repositories.c.id).where(stored).order_by(repositories.c.id)
            ).first()
    return found[0] if found else None


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
            _insert_ignoring_duplicates(
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
        _insert_ignoring_duplicates(connection, repository_roots, rows)
    return repository_id


def shallow_boundaries(engine: Engine, repository_id: int) -> set[str]:
    """Stored commits whose parents were cut off by a shallow clone when they were indexed."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(repository_roots.c.sha).where(
                repository_roots.c.repository_id == repository_id,
                repository_roots.c.shallow.is_(True),
            )
        )
        return {row.sha for row in rows}


def mend_boundaries(
    engine: Engine,
    repository_id: int,
    still_shallow: set[str],
    parents_of: Callable[[str], tuple[str, ...]],
) -> int:
    """Give boundary commits that are no longer shallow (`git fetch --unshallow`) their parents."""
    mended = 0
    for sha in sorted(shallow_boundaries(engine, repository_id) - still_shallow):
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
