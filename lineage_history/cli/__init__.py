"""The command line, on typer: each command parses its options, calls one function, prints.

`app` holds every command; the modules below register theirs on it when imported here."""

from __future__ import annotations

from lineage_history.cli import (  # noqa: F401  (each registers its commands on the app)
    index_commands,
    question_commands,
    review_commands,
    web_commands,
    worker_commands,
)
from lineage_history.cli.app import app

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """The console script: run the app (it exits with the command's status)."""
    app(args=argv, prog_name="lineage-history")
