"""Services behind `dags` and `init`: the DAGs that apply at a revision (defined or discovered)
with their build status, and writing the discovered ones to `lineage-history.toml`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lineage_history.definitions.discovery import Discoverer
from lineage_history.definitions.sources import DagSources
from lineage_history.definitions.toml_files import (
    OWN_FILE,
    DagDefinition,
    load_override,
    parse_definitions,
)
from lineage_history.definitions.toml_writer import definitions_toml
from lineage_history.errors import DatabaseError, LineageHistoryError, UserError
from lineage_history.repo.git import GitRepo
from lineage_history.store.database import open_engine
from lineage_history.store.identity import find_repository
from lineage_history.store.parse_cache import BestEffortParseCache
from lineage_history.store.urls import database_url
from lineage_history.store.writer import Store

NOT_INDEXED = "not indexed"


@dataclass(frozen=True)
class DagListing:
    """One DAG at one revision and what the database knows of its build there."""

    definition: DagDefinition
    status: str  # ok | failed | absent | not indexed
    error: str | None = None
    stubbed: tuple[str, ...] = ()  # stand-ins of the build at this revision


@contextlib.contextmanager
def _existing_store(repo: GitRepo, db: str | None) -> Iterator[Store | None]:
    """The lineage database when there is one; listing DAGs does not need it."""
    try:
        store = Store(open_engine(database_url(db, repo.git_dir), must_exist=True))
    except DatabaseError:
        yield None
        return
    try:
        yield store
    finally:
        store.close()


def _statuses(
    store: Store | None, repo: GitRepo, sha: str, names: list[str]
) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    if store is None:
        return {}
    with store.reading() as reader:
        repository_id = find_repository(reader, repo)
        if repository_id is None:
            return {}
        indexed = set(reader.dag_names(repository_id))
        found = {}
        for name in names:
            if name not in indexed:
                continue
            state = reader.dag_states(repository_id, name, [sha]).get(sha)
            if state is not None:
                found[name] = (state.status, state.error, state.stubbed)
    return found


def _definitions(
    repo: GitRepo, sha: str, store: Store | None, config: str | None
) -> dict[str, DagDefinition]:
    cache = BestEffortParseCache(store) if store is not None else None
    sources = DagSources(load_override(config) if config else None, cache)
    return sources.definitions(repo.commit_tree(sha))


def dags_at(
    repo_path: str | None, db: str | None, rev: str, config: str | None = None
) -> list[DagListing]:
    """The DAGs at a revision, with modules, config, source and build status."""
    repo = GitRepo(repo_path or ".")
    try:
        sha = repo.resolve(rev)
        with _existing_store(repo, db) as store:
            definitions = _definitions(repo, sha, store, config)
            statuses = _statuses(store, repo, sha, list(definitions))
    finally:
        repo.close()
    return [
        DagListing(definition, *statuses.get(name, (NOT_INDEXED, None, ())))
        for name, definition in definitions.items()
    ]


def discovered_at(repo: GitRepo, sha: str) -> dict[str, DagDefinition]:
    tree = repo.commit_tree(sha)
    return Discoverer().definitions(tree)


def write_config(repo_path: str | None, rev: str, *, force: bool) -> tuple[Path, int]:
    """Write the DAGs discovered at `rev` to `lineage-history.toml`; (its path, DAG count)."""
    repo = GitRepo(repo_path or ".")
    try:
        sha = repo.resolve(rev)
        if repo.root == repo.git_dir:
            raise UserError(f"{repo.root} is a bare repository: init needs a working tree")
        target = repo.root / OWN_FILE
        if target.exists() and not force:
            raise UserError(f"{target} already exists; pass --force to overwrite it")
        discovered = discovered_at(repo, sha)
    finally:
        repo.close()
    if not discovered:
        raise UserError(f"no Hamilton driver code found at {rev} ({sha[:12]}): nothing to write")
    header = (
        f"DAGs discovered by `lineage-history init` in the driver code at {sha[:12]}.\n"
        "This file replaces discovery; `discover = true` at the top keeps discovering too."
    )
    text = definitions_toml(discovered, header)
    read_back: dict[str, DagDefinition] = (
        parse_definitions(text, OWN_FILE, in_pyproject=False) or {}
    )
    if {n: d.modules for n, d in read_back.items()} != {
        n: d.modules for n, d in discovered.items()
    }:
        raise LineageHistoryError("internal error: the written definitions do not read back")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror}") from None
    return target, len(discovered)
