"""Upgrading a database that holds data: 0006 rebuilds `commits` (a batch ALTER on SQLite of
a table that `commit_dags` references), keeps every answer, and foreign keys hold afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from lineage_history.store.database import HEAD_REVISION, create, current_revision, upgrade
from lineage_history.store.records import DagState, StoredCommit
from lineage_history.store.writer import Store
from tests.fixtures import execute_sql

ROOT, CHILD, MERGE = "a" * 40, "b" * 40, "c" * 40

ROWS_AT_0005 = [
    "INSERT INTO repositories (id, identity, name, path, created_at) "
    f"VALUES (7, '{ROOT}', 'old', '/nowhere', 1.0)",
    f"INSERT INTO repository_roots (repository_id, sha, shallow) VALUES (7, '{ROOT}', false)",
    "INSERT INTO commits (id, repository_id, sha, parents, author_name, author_email, "
    "authored_at, committed_at, subject, position, indexed_at) VALUES "
    f"(11, 7, '{ROOT}', '', 'Ann', 'ann@example.com', 100, 101, 'first', 0, 5.0), "
    f"(12, 7, '{CHILD}', '{ROOT}', 'Bo', 'bo@example.com', 200, 201, 'second', 1, 5.0), "
    f"(13, 7, '{MERGE}', '{ROOT} {CHILD}', 'Ann', 'ann@example.com', 300, 301, 'merge', 2, 6.0)",
    "INSERT INTO commit_dags (commit_id, dag, status, error) VALUES "
    "(11, 'd', 'absent', NULL), (12, 'd', 'failed', 'boom'), (13, 'd', 'absent', NULL)",
]


def test_a_batch_alter_of_a_referenced_table_keeps_the_data_and_the_foreign_keys(
    any_db: str,
) -> None:
    engine = create(any_db, must_exist=False)
    upgrade(engine, "0005")
    engine.dispose()
    execute_sql(any_db, *ROWS_AT_0005)

    engine = create(any_db, must_exist=False)
    upgrade(engine)  # 0006 drops columns of `commits`, which `commit_dags` references
    assert current_revision(engine) == HEAD_REVISION >= "0006"
    store = Store(engine)
    with store.reading() as reader:
        assert reader.commits(7) == [
            StoredCommit(11, ROOT, (), "Ann", "ann@example.com", 100, "first", 0),
            StoredCommit(12, CHILD, (ROOT,), "Bo", "bo@example.com", 200, "second", 1),
            StoredCommit(13, MERGE, (ROOT, CHILD), "Ann", "ann@example.com", 300, "merge", 2),
        ]
        assert reader.dag_states(7, "d") == {
            ROOT: DagState("absent"),
            CHILD: DagState("failed", error="boom"),
            MERGE: DagState("absent"),
        }
        assert reader.resolve(7, "bbbb") == CHILD
        assert reader.find_repository([], ["f" * 40, CHILD]) == 7
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").first() is None
    for statement in (
        "INSERT INTO commit_dags (commit_id, dag, status) VALUES (999, 'd', 'absent')",
        "DELETE FROM commits WHERE id = 12",
    ):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(statement))
    store.close()
