"""INSERTs that both databases run: with ON CONFLICT DO NOTHING, in each dialect's spelling."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table


def dialect_insert(connection: Connection, table: Table) -> Any:
    """INSERT with the dialect's ON CONFLICT support (SQLite and PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: list[dict]) -> None:
    if rows:
        connection.execute(dialect_insert(connection, table).on_conflict_do_nothing(), rows)
