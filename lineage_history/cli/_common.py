"""What every command shares: the app, common options, output helpers."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from typing import Annotated, Any

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Git-aware lineage history for Hamilton dataflows.",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    table = "table"
    json = "json"


RepoOpt = Annotated[
    str | None,
    typer.Option(
        "--repo",
        help="The git repository (default: the one around the current "
        "directory); without it, queries read the database alone.",
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL or SQLite file (default: $LINEAGE_HISTORY_DB, "
        "else lineage-history.sqlite in the git directory).",
        show_default=False,
    ),
]
DagOpt = Annotated[str | None, typer.Option("--dag", help="The DAG, where several are defined.")]


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def colour() -> bool:
    """Colours only for a terminal that can show them (not `TERM=dumb`), unless `NO_COLOR`."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM", "dumb") in ("dumb", ""):
        return False
    return sys.stdout.isatty()


def info(message: str) -> None:
    typer.echo(message, err=True)
