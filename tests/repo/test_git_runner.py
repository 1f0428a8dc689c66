"""Every git process of the package goes through `git.run_git`, whose error carries the
command, its exit status and its output."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from lineage_history.errors import GitError, LineageHistoryError
from lineage_history.repo.git import GitRepo, run_git
from tests.fixtures import git


def test_a_failed_git_command_carries_command_status_and_output(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "first")
    repo = GitRepo(tmp_path)
    with pytest.raises(GitError) as caught:
        repo.run("cat-file", "-p", "no-such-object")
    error = caught.value
    assert isinstance(error, LineageHistoryError) and error.exit_code == 1
    assert error.command == ("git", "-C", str(tmp_path), "cat-file", "-p", "no-such-object")
    assert error.status == 128 and "no-such-object" in error.stderr
    assert str(error).startswith("git cat-file -p no-such-object failed: fatal:")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.command, copy.status, str(copy)) == (error.command, 128, str(error))
    assert run_git(tmp_path, "cat-file", "-t", "HEAD").stdout == "commit\n"
    assert run_git(tmp_path, "cat-file", "-t", "nope", check=False).returncode == 128
