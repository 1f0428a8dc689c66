"""The typer app every command registers on, the options they share, and how a run ends: a
user error is one line on stderr and its exit status, never a traceback.

Only typer (which vendors click) is imported at start-up: each command imports what it runs,
so a query never pays for SQLAlchemy, Hamilton or GitPython, and rich is loaded only for
help and progress bars.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any

import typer

from lineage_history import __version__
from lineage_history.cli.completion import complete_dag
from lineage_history.errors import LineageHistoryError, first_line

CLOSED_PIPE_STATUS = 128 + signal.SIGPIPE  # what a shell shows for a reader gone early


class LineageGroup(typer.core.TyperGroup):
    """The app's command group. Its `main` runs a command and turns every way it can end into
    an exit status and at most one line on stderr: here rather than in the console script,
    so that `CliRunner` sees the same."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        prog_name = prog_name or "lineage-history"
        self._main_shell_completion(extra, prog_name, complete_var)
        try:
            with self.make_context(prog_name, args or ["--help"], **extra) as ctx:
                code = self.invoke(ctx)
            sys.stdout.flush()  # here, where a closed pipe can still be told apart
        except BrokenPipeError:
            _closed_pipe()
        except typer.Exit as exc:
            code = exc.exit_code
        except typer.TyperException as exc:  # click's usage and parameter errors
            status = getattr(exc, "exit_code", 2)
            usage = " (see --help)" if status == 2 else ""
            info(f"lineage-history: error: {_message(exc)}{usage}")
            sys.exit(status)
        except LineageHistoryError as exc:
            info(f"lineage-history: error: {exc}")
            sys.exit(exc.exit_code)
        except (KeyboardInterrupt, typer.Abort):
            info("lineage-history: interrupted")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


def _message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    return first_line(format_message() if format_message else exc)


def _closed_pipe() -> None:
    """The reader of our output went away (`| head -1`): stop quietly, as `git log` does, with
    141, never 1 (`--exit-code` and `path` use 1 for "found")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the exit-time flush must not fail again
    sys.exit(CLOSED_PIPE_STATUS)


app = typer.Typer(
    name="lineage-history",
    cls=LineageGroup,
    help="Git-aware lineage history for Hamilton dataflows: index every commit's DAG once, "
    "then diff, log and query the lineage of any commit instantly.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["--help", "-h"], "max_content_width": 100},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: no rich import, no boxes, and wraps like git's
)


def _print_version(value: bool) -> None:
    if value:
        echo(f"lineage-history {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Git-aware lineage history for Hamilton dataflows: index every commit's DAG once, then
    diff, log and query the lineage of any commit instantly."""


# -- options every command shares ---------------------------------------------------------------

Repo = Annotated[
    str | None,
    typer.Option(
        metavar="PATH",
        help="The git repository (default: the one around the current directory); without "
        "it, queries read the database alone.",
        show_default=False,
    ),
]
Db = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help="SQLAlchemy URL or SQLite file (default: $LINEAGE_HISTORY_DB, else "
        "lineage-history.sqlite in the git directory).",
        show_default=False,
    ),
]
BuildTimeout = Annotated[
    float,
    typer.Option(metavar="SECONDS", min=1, help="Seconds a build may take before it is killed."),
]
MemoryLimit = Annotated[
    int,
    typer.Option("--memory-limit", metavar="MIB", min=64, help="Memory limit of a build, in MiB."),
]
Dag = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="The DAG, where several are defined.",
        autocompletion=complete_dag,
        show_default=False,
    ),
]


class Format(str, Enum):
    table = "table"
    json = "json"


class DiffFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    mermaid = "mermaid"


class CheckFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


def format_option(help_text: str = "Output format.") -> Any:
    return typer.Option("--format", "-f", help=help_text, case_sensitive=False)


# -- output -------------------------------------------------------------------------------------


def echo(text: str = "", *, nl: bool = True) -> None:
    sys.stdout.write(text + ("\n" if nl else ""))


def echo_json(data: Any) -> None:
    echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def colour() -> bool:
    """Colours only for a terminal that can show them (not `TERM=dumb`), unless `NO_COLOR`."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM", "dumb") in ("dumb", ""):
        return False
    return sys.stdout.isatty()


def info(message: str) -> None:
    sys.stderr.write(message + "\n")
