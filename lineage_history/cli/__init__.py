"""The command line: parse arguments, call one service function, print. Nothing else.

Each `commands_*` module registers its commands on the shared typer app.
"""

from __future__ import annotations

import os
import signal
import sys

import typer

from lineage_history.cli import (  # noqa: F401
    commands_dags,
    commands_diff,
    commands_index,
    commands_query,
    commands_review,
)
from lineage_history.cli._common import app
from lineage_history.errors import LineageHistoryError, UserError

__all__ = ["app", "main"]


CLOSED_PIPE_STATUS = 128 + signal.SIGPIPE  # what a shell shows for a reader gone early


def _closed_pipe() -> None:
    """The reader of our output went away (`| head -1`): stop quietly, as `git log` does, with
    141, never 1 (`--exit-code` and `path` use 1 for "found")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the exit-time flush must not fail again
    sys.exit(CLOSED_PIPE_STATUS)


def main() -> None:
    """Console entry point: user errors become one line on stderr and status 2."""
    try:
        # Without standalone mode click returns a command's `typer.Exit` code instead of
        # exiting, and leaves our own errors to us.
        code = app(standalone_mode=False)
        sys.stdout.flush()  # here, where a closed pipe can still be told apart
    except BrokenPipeError:
        _closed_pipe()
    except SystemExit as exc:
        # typer turns a closed pipe into exit status 1, after wrapping stdout to pacify it.
        if exc.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            _closed_pipe()
        raise
    except LineageHistoryError as exc:
        typer.echo(f"lineage-history: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("lineage-history: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        # Usage errors (unknown option, bad value): click's exceptions, which typer vendors
        # under a private name in some versions, so they are recognised by their shape.
        format_message = getattr(exc, "format_message", None)
        if not callable(format_message) or not isinstance(getattr(exc, "exit_code", None), int):
            raise
        message = " ".join(format_message().split())
        typer.echo(f"lineage-history: error: {message} (see --help)", err=True)
        sys.exit(UserError.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
