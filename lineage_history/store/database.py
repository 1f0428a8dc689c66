"""Opening a database: URL or file path, SQLite pragmas, and automatic schema upgrades."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from lineage_history.errors import DatabaseError

# The newest migration in migrations/versions; a test keeps the two in step. Checking it with
# one SELECT keeps Alembic out of every query command's start-up.
HEAD_REVISION = "0003"  # the chain: 0001, 0002, 0004, 0003
ENV_VAR = "LINEAGE_HISTORY_DB"
DEFAULT_FILENAME = "lineage-history.sqlite"


def database_url(db: str | None, git_dir: Path | None) -> str:
    """`--db` as given (URL or file path), else $LINEAGE_HISTORY_DB, else a file in .git."""
    value = db or os.environ.get(ENV_VAR)
    if not value:
        if git_dir is None:
            raise DatabaseError("no database: pass --db or set LINEAGE_HISTORY_DB")
        return f"sqlite:///{git_dir / DEFAULT_FILENAME}"
    if "://" in value:
        scheme, rest = value.split("://", 1)
        if scheme in ("postgres", "postgresql"):  # the driver this package installs
            return f"postgresql+psycopg://{rest}"
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


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
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations shipped with the package (Alembic, one transaction each)."""
    from alembic import command
    from alembic.config import Config

    from lineage_history._resources import migrations_dir

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Indexers starting together on a new database: one migrates, the others wait.
            connection.execute(text("SELECT pg_advisory_xact_lock(7210433)"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def open_engine(url: str, *, must_exist: bool = False) -> Engine:
    """An engine on an up-to-date schema; user-facing errors for unusable databases."""
    engine = create(url, must_exist=must_exist)
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        if current_revision(engine) != HEAD_REVISION:
            upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot open database {describe(url)}: {reason}") from None
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"cannot use database {describe(url)}: {reason}") from None
    return engine
