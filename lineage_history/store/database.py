"""Opening a database: URL or file path, SQLite pragmas, and automatic schema upgrades."""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from lineage_history.errors import DatabaseError, driver_reason
from lineage_history.store.records import HEAD_REVISION
from lineage_history.store.urls import describe

LOCKED_RETRY_SECONDS = 60.0


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create(url: str, *, must_exist: bool) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"not a database URL or file path: {url}") from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:":
            file = Path(path)
            if must_exist and not file.exists():
                raise DatabaseError(
                    f"no lineage database at {file}: run `lineage-history index` first"
                )
            if not file.parent.is_dir():
                raise DatabaseError(f"cannot create database {file}: directory does not exist")
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ImportError, SQLAlchemyError) as exc:
        raise DatabaseError(f"cannot use database {describe(url)}: {exc}") from None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision(connection)


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _alembic_config() -> Any:
    from alembic.config import Config

    from lineage_history._resources import migrations_dir

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def _refuse_foreign(connection: Connection, config: Any, url: str) -> None:
    """A database holding tables that are not ours is left exactly as it was."""
    from alembic.script import ScriptDirectory

    revision = _revision(connection)
    if revision is None:
        tables = sorted(inspect(connection).get_table_names())
        if not tables:
            return
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        reason = f"it already holds other tables ({shown})"
    else:
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        if revision in known:
            return
        reason = f"its schema is at Alembic revision {revision!r}, which is not one of ours"
    raise DatabaseError(
        f"{describe(url)} is not a lineage-history database: {reason}; "
        "give --db a new file or an empty database (or PostgreSQL schema)"
    )


@contextlib.contextmanager
def _schema_lock(engine: Engine) -> Iterator[Connection]:
    """One transaction holding the write lock, on SQLite with foreign keys off.

    pysqlite runs DDL outside any transaction unless one is begun explicitly, so on SQLite
    `BEGIN IMMEDIATE` both makes the migrations atomic and makes concurrent runs wait. Foreign
    keys are off meanwhile (the pragma is ignored inside a transaction, so it is set before):
    a batch ALTER rebuilds a table by copying it and dropping the original, which enforced
    keys would refuse for a referenced table. `PRAGMA foreign_key_check` before the commit
    stands in for them.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            if sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif connection.dialect.name == "postgresql":
                # Indexers starting together on a new database: one migrates, the others wait.
                connection.execute(text("SELECT pg_advisory_xact_lock(7210433)"))
            try:
                yield connection
                if sqlite:
                    _check_foreign_keys(connection)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        finally:
            if sqlite:
                _foreign_keys_on(connection)


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise DatabaseError(f"a migration left a broken foreign key: {tuple(broken)}")


def _foreign_keys_on(connection: Connection) -> None:
    """Foreign keys on again; a connection where that fails is not returned to the pool."""
    try:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.rollback()  # ends SQLAlchemy's autobegun transaction; nothing is open
    except SQLAlchemyError:
        connection.invalidate()


def _next_revisions(config: Any) -> dict[str | None, str]:
    """Each revision's successor in the one chain of migrations (None: an empty database)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(config).walk_revisions()
    return {script.down_revision: script.revision for script in scripts}  # type: ignore[misc]


def _upgrade_step(engine: Engine, config: Any, revision: str, url: str) -> bool:
    """Apply the next migration in its own transaction, or every one of them for a new
    database (so that a schema is created all or nothing); False once at `revision`."""
    from alembic import command

    with _schema_lock(engine) as connection:
        _refuse_foreign(connection, config, url)
        current = _revision(connection)  # read under the lock: a concurrent run may have moved it
        if current == revision or (revision == "head" and current == HEAD_REVISION):
            return False
        target = revision if current is None else _next_revisions(config).get(current)
        if target is None:  # the newest revision, or one that is not ours
            return False
        config.attributes["connection"] = connection
        command.upgrade(config, target)
        return True


def upgrade(engine: Engine, revision: str = "head", *, url: str = "") -> None:
    """Apply the migrations shipped with the package (Alembic), each in its own transaction."""
    config = _alembic_config()
    while _upgrade_step(engine, config, revision, url or describe(str(engine.url))):
        pass


def _bring_up_to_date(engine: Engine, url: str) -> None:
    """Migrate if needed, then WAL on SQLite. Each step is idempotent, so a step that SQLite
    refuses at once with "database is locked" (it skips the busy timeout where waiting could
    deadlock, as when two first runs switch a new file to WAL together) is tried again."""
    deadline = time.monotonic() + LOCKED_RETRY_SECONDS
    while True:
        try:
            if current_revision(engine) != HEAD_REVISION:
                upgrade(engine, url=url)
            if engine.dialect.name == "sqlite":  # only once the file is known to be ours
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            return
        except OperationalError as exc:
            if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.05, 0.2))


def open_engine(url: str, *, must_exist: bool = False) -> Engine:
    """An engine on an up-to-date schema; user-facing errors for unusable databases."""
    engine = create(url, must_exist=must_exist)
    try:
        _bring_up_to_date(engine, url)
    except DatabaseError:
        engine.dispose()
        raise
    except OperationalError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot open database {describe(url)}: {driver_reason(exc)}") from None
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot use database {describe(url)}: {driver_reason(exc)}") from None
    return engine


@contextlib.contextmanager
def write_failures(url: str) -> Iterator[None]:
    """A database failing under writes (disk full, server gone) is one line, not a
    traceback; each write is one transaction, so what was written is whole."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"cannot write to database {describe(url)}: {driver_reason(exc)}"
        ) from None


def database_file(url: str) -> Path | None:
    """The file of an SQLite URL (query options allowed); None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if parsed.database == ":memory:" else Path(parsed.database)


def require_writable(url: str) -> None:
    """An SQLite file (or its directory, before it exists) this process cannot write is a
    user error before any work starts."""
    path = database_file(url)
    if path is not None:
        target = path if path.exists() else path.parent
        if not os.access(target, os.W_OK):
            raise DatabaseError(f"cannot write to database {path}: permission denied")
