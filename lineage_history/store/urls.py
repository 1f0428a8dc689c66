"""Where the database is: `--db`, $LINEAGE_HISTORY_DB or a file in the git directory, as a
URL; and URLs shown without their password. No SQLAlchemy: queries read this first."""

from __future__ import annotations

import os
import re
from pathlib import Path

from lineage_history.errors import DatabaseError

ENV_VAR = "LINEAGE_HISTORY_DB"
DEFAULT_FILENAME = "lineage-history.sqlite"
_PASSWORD = re.compile(r"^([a-zA-Z][\w+.-]*://[^/@:]*):[^/@]*@")


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
    """The URL without its password, for messages (as SQLAlchemy renders it: `***`)."""
    return _PASSWORD.sub(r"\1:***@", url)


def sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL; None for any other URL (another database,
    an in-memory one, or query options), which only SQLAlchemy should interpret."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix) :]
    return Path(path) if path and path != ":memory:" else None


def libpq_uri(url: str) -> str | None:
    """The libpq URI psycopg connects with for a PostgreSQL URL (SQLAlchemy's spelling names
    the driver: `postgresql+psycopg://`); None for any other database."""
    for prefix in ("postgresql+psycopg://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql://" + url.removeprefix(prefix)
    return None
