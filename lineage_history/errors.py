"""Error types: user errors (exit status 2, one line) and failures the CLI reports cleanly."""

from __future__ import annotations


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
    """git itself failed on something that should have worked."""
