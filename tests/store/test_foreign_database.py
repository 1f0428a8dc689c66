"""`--db` naming someone else's database, atomic schema creation and concurrent first runs,
on a real SQLite file and (with LINEAGE_HISTORY_TEST_PG) the real PostgreSQL server."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from lineage_history.store.database import HEAD_REVISION, create, current_revision, upgrade
from tests.fixtures import execute_sql, git, run_cli


@pytest.fixture
def tiny_repo(tmp_path: Path) -> Path:
    """A repository with one commit and no DAG: indexing it only opens the database."""
    repo = tmp_path / "tiny"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("hello\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    return repo


def fingerprint(url: str) -> object:
    """What must not change: the file's bytes and its directory, or every table's rows."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        files = sorted(p.name for p in path.parent.iterdir())
        return files, hashlib.sha256(path.read_bytes()).hexdigest()
    engine = create_engine(url)
    with engine.connect() as connection:
        tables = sorted(inspect(connection).get_table_names())
        rows = {
            t: sorted(map(tuple, connection.execute(text(f'SELECT * FROM "{t}"')))) for t in tables
        }
    engine.dispose()
    return rows


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
    engine.dispose()
    return names


@pytest.mark.slow
@pytest.mark.parametrize(
    "foreign",
    [
        [
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
            "INSERT INTO users VALUES (1, 'ada')",
        ],
        [
            "CREATE TABLE commits (id INTEGER PRIMARY KEY, message TEXT)",
            "INSERT INTO commits VALUES (1, 'not a git commit')",
        ],
        [
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
            "INSERT INTO alembic_version VALUES ('ae1027a6acf')",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY)",
        ],
    ],
    ids=["users", "name-clash", "other-alembic-app"],
)
def test_someone_elses_database_is_refused_and_left_untouched(
    any_db: str, tiny_repo: Path, foreign: list[str]
) -> None:
    execute_sql(any_db, *foreign)
    before = fingerprint(any_db)
    for command in (["index"], ["status"], ["log", "x"]):
        result = run_cli(*command, "--repo", str(tiny_repo), "--db", any_db)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "is not a lineage-history database" in result.stderr
        assert fingerprint(any_db) == before


def test_an_empty_database_gets_the_schema(any_db: str, tiny_repo: Path) -> None:
    result = run_cli("index", "--repo", str(tiny_repo), "--db", any_db)
    assert result.returncode == 0, result.stderr
    assert {"repositories", "commits", "alembic_version"} <= table_names(any_db)


def test_a_new_schema_is_created_all_or_nothing(any_db: str, tiny_repo: Path) -> None:
    """The first run applies every migration in one transaction: a failure leaves no table."""
    # A view is not a table (the database is not refused as someone else's), but its name is
    # in the way of the table that the newest migrations but one create.
    execute_sql(any_db, "CREATE VIEW repository_roots AS SELECT 1 AS x")
    result = run_cli("index", "--repo", str(tiny_repo), "--db", any_db)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "repository_roots" in result.stderr
    assert table_names(any_db) == set()  # not even build_claims, made by the second migration
    engine = create(any_db, must_exist=False)
    assert current_revision(engine) is None
    engine.dispose()


def test_each_migration_of_an_upgrade_is_its_own_transaction(any_db: str, tiny_repo: Path) -> None:
    """Upgrading a database migration by migration: a failing one is undone entirely, and
    the ones before it stay applied."""
    engine = create(any_db, must_exist=False)
    upgrade(engine, "0001")
    engine.dispose()
    assert HEAD_REVISION > "0005"  # so that 0005 runs below
    # An index by the name 0005 gives its second object, after it has created its table.
    execute_sql(
        any_db,
        "CREATE TABLE other (x INTEGER)",
        "CREATE INDEX ix_repository_roots_sha ON other (x)",
    )
    result = run_cli("index", "--repo", str(tiny_repo), "--db", any_db)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "ix_repository_roots_sha" in result.stderr
    tables = table_names(any_db)
    assert {"build_claims", "discovered_blobs"} <= tables  # 0002 and 0003 stayed applied
    assert "repository_roots" not in tables  # 0005 is undone, its table included
    engine = create(any_db, must_exist=False)
    assert current_revision(engine) == "0004"
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("start", [None, "0003"], ids=["new", "upgrade"])
def test_two_first_runs_at_once_both_succeed(
    any_db: str, tiny_repo: Path, start: str | None
) -> None:
    """Two runs on a new database, or on one both must upgrade migration by migration."""
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    tries = 10 if any_db.startswith("sqlite") else 4
    for attempt in range(tries):
        url = any_db
        if url.startswith("sqlite:///"):
            url = url.replace("app.sqlite", f"race-{attempt}.sqlite")
        else:  # a fresh schema each time: drop what the previous try created
            execute_sql(url, *[f'DROP TABLE IF EXISTS "{t}" CASCADE' for t in table_names(url)])
        if start is not None:
            engine = create(url, must_exist=False)
            upgrade(engine, start)
            engine.dispose()
        command = [sys.executable, "-m", "lineage_history", "index", "--repo", str(tiny_repo)]
        procs = [
            subprocess.Popen(
                [*command, "--db", url], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, (attempt, err.decode())
        engine = create(url, must_exist=False)
        assert current_revision(engine) == HEAD_REVISION
        engine.dispose()
