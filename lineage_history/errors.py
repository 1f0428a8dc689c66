"""Error types: user errors (exit status 2, one line) and failures the CLI reports cleanly."""

from __future__ import annotations

from collections.abc import Sequence


def first_line(text: object) -> str:
    """The first non-empty line of a message, stripped ("" for none)."""
    lines = str(text).strip().splitlines()
    return lines[0].strip() if lines else ""


def describe_error(exc: BaseException) -> str:
    """`Type: first line of the message` (the type alone without a message): how a failure
    is recorded and shown in one line."""
    line = first_line(exc)
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def driver_reason(exc: BaseException) -> str:
    """Why a database call failed, in the driver's own words ("database or disk is full"):
    the first line of the error a wrapper (SQLAlchemy) carries as `orig`, else its own."""
    return first_line(getattr(exc, "orig", None) or exc) or type(exc).__name__


class LineageHistoryError(Exception):
    """Base of every error the CLI turns into one line on stderr instead of a traceback."""

    exit_code = 1


class UserError(LineageHistoryError):
    """Something the user can fix: a bad revision, path, node, DAG name, config or database."""

    exit_code = 2


class NotAGitRepository(UserError):
    pass


class UnknownRevision(UserError):
    pass


class NotIndexed(UserError):
    pass


class UnknownNode(UserError):
    pass


class UnknownDag(UserError):
    pass


class ConfigError(UserError):
    pass


class DatabaseError(UserError):
    pass


class BuildFailedError(LineageHistoryError):
    """A query named a commit whose DAG failed to build."""

    exit_code = 3


class GitError(LineageHistoryError):
    """git itself failed on something that should have worked. Carries the command, its exit
    status and its output; the message names the arguments and what git said."""

    def __init__(
        self, args: Sequence[str], cwd: str, status: int, stdout: str = "", stderr: str = ""
    ) -> None:
        self.git_args, self.cwd = tuple(args), cwd
        self.status, self.stdout, self.stderr = status, stdout, stderr
        super().__init__(f"git {' '.join(args)} failed: {(stderr or stdout).strip()}")

    @property
    def command(self) -> tuple[str, ...]:
        return ("git", "-C", self.cwd, *self.git_args)

    def __reduce__(self) -> tuple[type[GitError], tuple[object, ...]]:
        return type(self), (self.git_args, self.cwd, self.status, self.stdout, self.stderr)
