"""Opening a database for reading. A database already at the newest schema is opened with
its driver alone (`sqlite3`, psycopg), so a query never imports SQLAlchemy or Alembic;
anything else (a schema to migrate, a database to refuse, a connection that fails) goes
through `database.open_engine`, which migrates or explains."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lineage_history.errors import DatabaseError
from lineage_history.store.reader import Reader
from lineage_history.store.records import HEAD_REVISION
from lineage_history.store.urls import libpq_uri, sqlite_file

if TYPE_CHECKING:
    from sqlalchemy import Engine


def open_reader(url: str) -> Reader:
    """A reader on an existing, up-to-date lineage database (migrated first if it is older)."""
    file = sqlite_file(url)
    reader = _sqlite_reader(file) if file is not None else _postgresql_reader(url)
    if reader is not None:
        return reader
    from lineage_history.store.database import open_engine

    engine = open_engine(url, must_exist=True)
    return Reader(
        engine.raw_connection(), format_style=_format_style(engine), on_close=engine.dispose
    )


def _sqlite_reader(file: Path) -> Reader | None:
    """The file through `sqlite3` when its schema is the newest; None when it needs the full
    path (an older schema to migrate, or a file that is not ours, which `open_engine`
    explains)."""
    if not file.exists():
        raise DatabaseError(f"no lineage database at {file}: run `lineage-history index` first")
    import sqlite3

    try:
        connection = sqlite3.connect(file, timeout=60)
    except sqlite3.Error:
        return None
    return _if_current(Reader(connection), sqlite3.Error)


def _postgresql_reader(url: str) -> Reader | None:
    """The database through psycopg when its schema is the newest; None otherwise (and for
    any failure to connect, which `open_engine` then reports as it always has)."""
    conninfo = libpq_uri(url)
    if conninfo is None:
        return None
    try:
        import psycopg

        connection = psycopg.connect(conninfo)
    except Exception:  # any failure: the full path below says what is wrong
        return None
    return _if_current(Reader(connection, format_style=True), psycopg.Error)


def _if_current(reader: Reader, driver_error: type[Exception]) -> Reader | None:
    """`reader` when its database is at the newest schema; else closed, and None (an older
    schema, or tables that are not ours: `open_engine` migrates or explains)."""
    try:
        if reader.revision() == HEAD_REVISION:
            return reader
    except driver_error:
        pass
    reader.close()
    return None


def _format_style(engine: Engine) -> bool:
    return engine.dialect.name != "sqlite"  # psycopg takes `%s`


@contextlib.contextmanager
def engine_reader(engine: Engine) -> Iterator[Reader]:
    """A reader on one pooled connection of an open engine (the indexer's reads)."""
    reader = Reader(engine.raw_connection(), format_style=_format_style(engine))
    try:
        yield reader
    finally:
        reader.close()
