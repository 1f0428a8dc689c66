"""The command line: parse arguments, call one function, print. Nothing else.

Each `commands_*` module registers its commands on the shared parser (`_common.command`).
"""

from __future__ import annotations

import os
import signal
import sys

from lineage_history.cli import (  # noqa: F401  (each registers its commands)
    commands_dags,
    commands_diff,
    commands_index,
    commands_query,
    commands_review,
)
from lineage_history.cli._common import PARSER, info, parse
from lineage_history.errors import LineageHistoryError

__all__ = ["main"]


CLOSED_PIPE_STATUS = 128 + signal.SIGPIPE  # what a shell shows for a reader gone early


def _closed_pipe() -> None:
    """The reader of our output went away (`| head -1`): stop quietly, as `git log` does, with
    141, never 1 (`--exit-code` and `path` use 1 for "found")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the exit-time flush must not fail again
    sys.exit(CLOSED_PIPE_STATUS)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line on stderr and status 2."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        PARSER.print_help()
        sys.exit(0)
    try:
        run, values = parse(args)
        code = run(**values)
        sys.stdout.flush()  # here, where a closed pipe can still be told apart
    except BrokenPipeError:
        _closed_pipe()
    except LineageHistoryError as exc:
        info(f"lineage-history: error: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        info("lineage-history: interrupted")
        sys.exit(130)
    sys.exit(code or 0)
