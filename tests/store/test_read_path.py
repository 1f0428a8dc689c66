"""The read path: one SQL text that agrees with the SQLAlchemy tables and the migrations on
both backends, and queries that import neither SQLAlchemy, Alembic nor Hamilton."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from lineage_history.store import read_sql
from lineage_history.store.connect import engine_reader, open_reader
from lineage_history.store.database import create, current_revision, open_engine, upgrade
from lineage_history.store.records import HEAD_REVISION
from lineage_history.store.schema import metadata
from tests.fixtures import PG_URL, PYPROJECT, IndexedDemo, Repo, git, run_cli


def _expanded(statement: str) -> tuple[str, int]:
    """The statement with every `{list}` as two parameters, and how many it takes."""
    text = re.sub(r"\{\w+\}", "?, ?", statement)
    return text, text.count("?")


def _explain_everything(connection: object, sqlite: bool, skip: tuple[str, ...] = ()) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    for name, statement in sorted(read_sql.statements().items()):
        if name in skip:
            continue
        assert "%" not in statement, name  # psycopg would read it as a parameter
        text, count = _expanded(statement)
        if sqlite:
            cursor.execute(f"EXPLAIN QUERY PLAN {text}", (None,) * count)
        else:
            cursor.execute(f"EXPLAIN {text.replace('?', '%s')}", (None,) * count)
        assert cursor.fetchall(), name


def test_every_read_prepares_against_the_schema_the_migrations_make(any_db: str) -> None:
    engine = open_engine(any_db)
    try:
        connection = engine.raw_connection()
        try:
            _explain_everything(connection, engine.dialect.name == "sqlite")
        finally:
            connection.close()
    finally:
        engine.dispose()


def test_every_read_prepares_against_the_sqlalchemy_tables(tmp_path: Path) -> None:
    """SQLite plans a statement only when every table and column it names exists."""
    engine = create_engine(f"sqlite:///{tmp_path / 'tables.sqlite'}")
    metadata.create_all(engine)
    connection = engine.raw_connection()
    try:
        _explain_everything(connection, sqlite=True, skip=("REVISION",))  # Alembic's table
    finally:
        connection.close()
        engine.dispose()


def test_reads_through_sqlite3_and_through_sqlalchemy_agree(indexed_demo: IndexedDemo) -> None:
    url = f"sqlite:///{indexed_demo.db}"
    fast = open_reader(url)
    engine = open_engine(url, must_exist=True)
    try:
        assert isinstance(fast._connection, sqlite3.Connection)  # the path without SQLAlchemy
        with engine_reader(engine) as slow:
            (repository,) = fast.repositories()
            assert slow.repositories() == [repository]
            commits = fast.commits(repository.id)
            assert slow.commits(repository.id) == commits and len(commits) > 10
            states = fast.dag_states(repository.id, "titanic")
            assert slow.dag_states(repository.id, "titanic") == states
            ids = sorted({s.snapshot_id for s in states.values() if s.snapshot_id})
            assert slow.load_snapshot(ids[-1]) == fast.load_snapshot(ids[-1])
            assert slow.status(repository.id) == fast.status(repository.id)
    finally:
        fast.close()
        engine.dispose()


_PROBE = """
import sys
from lineage_history.cli import main
sys.argv = ["lineage-history", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
heavy = sorted(
    name for name in (
        "sqlalchemy", "alembic", "hamilton", "pandas", "git", "typer.rich_utils",
        "starlette", "uvicorn", "jinja2", "celery", "kombu",
    )
    if name in sys.modules
)
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""

READS = [
    ["diff", "demo/v1", "main"],
    ["log", "family_count", "--follow"],
    ["log", "--reach", "sex", "fit_random_forest"],
    ["show", "main", "--tag", "PII=true"],
    ["upstream", "fit_random_forest"],
    ["downstream", "sex"],
    ["path", "age", "fit_random_forest"],
    ["blame", "PII=true"],
    ["status"],
]


def _heavy_modules_of(args: list[str], repo: Path, db: str) -> str:
    """Run a query in a fresh process; the heavy modules it imported, as the probe prints."""
    where = ["--repo", str(repo), "--db", db]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args, "--format", "json", *where],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)
    return done.stderr


@pytest.mark.parametrize("args", READS, ids=[" ".join(a[:2]) for a in READS])
def test_a_query_imports_no_database_toolkit_nor_hamilton(
    indexed_demo: IndexedDemo, args: list[str]
) -> None:
    stderr = _heavy_modules_of(args, indexed_demo.repo, str(indexed_demo.db))
    assert "HEAVY=\n" in stderr, stderr


@pytest.mark.slow
@pytest.mark.skipif(not PG_URL, reason="needs LINEAGE_HISTORY_TEST_PG")
def test_a_query_on_postgresql_imports_no_sqlalchemy(
    indexed_demo: IndexedDemo, pg_db: str, tmp_path: Path
) -> None:
    repo = tmp_path / "titanic"
    shutil.copytree(indexed_demo.repo, repo, symlinks=True)  # the fixture stays untouched
    indexed = run_cli("index", "--all", "--repo", str(repo), "--db", pg_db)
    assert indexed.returncode == 0, indexed.stderr
    for args in (["show", "main", "--tag", "PII=true"], ["log", "family_count", "--follow"]):
        stderr = _heavy_modules_of(args, repo, pg_db)
        assert "HEAVY=\n" in stderr, stderr


def test_a_query_on_an_older_schema_migrates_it_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create(url, must_exist=False)
    upgrade(engine, "0005")
    engine.dispose()
    result = run_cli("status", "--db", url, cwd=tmp_path)
    assert result.returncode == 2 and "nothing is indexed" in result.stderr
    engine = create(url, must_exist=True)
    try:
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


def test_status_of_the_only_repository_counts_what_the_filtered_statements_count(
    indexed_demo: IndexedDemo,
) -> None:
    """`status` skips the per-row repository check when the database holds one repository;
    the filtered statements (several repositories) must count the same there."""
    connection = sqlite3.connect(indexed_demo.db)
    try:
        (repository_id,) = connection.execute("SELECT id FROM repositories").fetchone()
        for everything, filtered in (
            (read_sql.STATES_PER_BUILD_ALL, read_sql.STATES_PER_BUILD),
            (read_sql.UNBUILT_STATES_ALL, read_sql.UNBUILT_STATES),
        ):
            rows = sorted(connection.execute(everything).fetchall(), key=repr)
            assert rows == sorted(
                connection.execute(filtered, (repository_id,)).fetchall(), key=repr
            )
            assert rows or everything == read_sql.UNBUILT_STATES_ALL  # every demo state built
    finally:
        connection.close()


@pytest.mark.slow
def test_status_counts_the_commits_behind_every_branch(tmp_path: Path) -> None:
    """`behind` is 0 without walking the history when every branch tip is indexed, and the
    exact count of unindexed commits on HEAD and the local branches when one is not."""
    repo = Repo(tmp_path / "repo")
    repo.commit(
        "config",
        {"pyproject.toml": PYPROJECT, "pipe/m.py": "def a(x: int) -> int:\n    return x\n"},
    )
    repo.index()
    assert repo.cli("status", "--format", "json")["behind"] == 0
    repo.commit("two")
    repo.commit("three")
    git(repo.path, "branch", "side", "HEAD~1")
    git(repo.path, "checkout", "-q", "side")
    repo.commit("on the side")
    git(repo.path, "checkout", "-q", "main")
    assert repo.cli("status", "--format", "json")["behind"] == 3
    repo.index()
    assert repo.cli("status", "--format", "json")["behind"] == 0
