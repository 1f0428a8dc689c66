"""What every command shares: the parser and how commands register on it, common options,
output helpers.

The command line is built on the standard library's `argparse`: a query's whole run is a
few tens of milliseconds, and a richer framework's import alone would double it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from lineage_history.errors import UserError

Run = TypeVar("Run", bound=Callable[..., "int | None"])
FORMATS = ("table", "json")


class _Parser(argparse.ArgumentParser):
    """Usage errors as our one-line user errors (status 2), not argparse's usage dump."""

    def error(self, message: str) -> Any:
        if message.startswith("unrecognized arguments: "):
            message = "No such option: " + message.removeprefix("unrecognized arguments: ")
        raise UserError(f"{message} (see --help)")


PARSER = _Parser(
    prog="lineage-history",
    description="Git-aware lineage history for Hamilton dataflows.",
    formatter_class=argparse.RawDescriptionHelpFormatter,
)
_COMMANDS = PARSER.add_subparsers(dest="command", metavar="COMMAND", title="commands")


@dataclass(frozen=True)
class Arg:
    """One argument or option of a command, as `add_argument` takes it."""

    flags: tuple[str, ...]
    options: dict[str, Any]

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(*self.flags, **self.options)


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(flags, options)


def command(name: str, *arguments: Arg) -> Callable[[Run], Run]:
    """Register a command: its arguments, and the function their values are passed to by
    name (`dest`); the function's docstring is its help, the first line its summary."""

    def register(run: Run) -> Run:
        doc = (run.__doc__ or "").strip()
        parser = _COMMANDS.add_parser(
            name,
            help=doc.split("\n\n")[0].replace("\n", " "),
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for argument in arguments:
            argument.add_to(parser)
        parser.set_defaults(run=run)
        return run

    return register


def at_least(minimum: float, kind: Callable[[str], Any] = int) -> Callable[[str], Any]:
    """An argparse type: a number no smaller than `minimum`."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} is below the minimum {minimum}")
        return value

    return parse


def output_format(choices: Sequence[str] = FORMATS) -> Arg:
    return arg(
        "--format", "-f", dest="output_format", choices=choices, default="table",
        help=f"Output format (default: table; one of {', '.join(choices)}).",
    )  # fmt: skip


REPO = arg(
    "--repo",
    help="The git repository (default: the one around the current directory); without it, "
    "queries read the database alone.",
)
DB = arg(
    "--db",
    help="SQLAlchemy URL or SQLite file (default: $LINEAGE_HISTORY_DB, else "
    "lineage-history.sqlite in the git directory).",
)
DAG = arg("--dag", help="The DAG, where several are defined.")


def parse(argv: Sequence[str]) -> tuple[Callable[..., int | None], dict[str, Any]]:
    """The command `argv` names and the values of its arguments, by name."""
    values = vars(PARSER.parse_args(argv))
    values.pop("command", None)
    run = values.pop("run", None)
    if run is None:
        raise UserError("give a command (see --help)")
    return run, values


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
