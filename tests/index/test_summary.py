"""The index summary counts commits and (commit, DAG) states apart: one commit has a state per
DAG it defines, and one build answers every state of its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import Repo

DAGS = """
[dags.a]
modules = ["a.py"]

[dags.b]
modules = ["b.py"]
"""
NO_MODULE = DAGS + '\n[dags.c]\nmodules = ["not_there.py"]\n'


@pytest.mark.slow
def test_the_summary_says_which_counts_are_commits_and_which_states(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    files = {
        "lineage-history.toml": DAGS,
        "a.py": "def one(x: int) -> int:\n    return x\n",
        "b.py": "def two(y: int) -> int:\n    return y\n",
    }
    repo.commit("two DAGs", files)  # 2 states, 2 builds
    repo.commit("readme", {"README.md": "hi\n"})  # 2 states reused
    repo.commit("break b", {"b.py": "def two(:\n"})  # a reused, b built and failed
    repo.commit("a DAG without modules", {"lineage-history.toml": NO_MODULE})  # 2 reused, 1 none
    first = repo.index()
    assert first.stdout.startswith(
        "4 commits seen, 4 new; 9 (commit, DAG) states: 3 built, 5 reused from identical "
        "builds, 1 without a build; 2 failed (in 2 commits) in "
    ), first.stdout
    again = repo.index()
    assert again.stdout.startswith("4 commits seen, 0 new; 0 built in "), again.stdout
    assert "2 failed (commit, DAG) state(s), by cause:" in first.stderr
    status = repo.cli("status").stdout.splitlines()
    assert "failed:    2 commits with a failed DAG" in status
    assert "builds:    6 exact, 0 with stand-ins, 2 failed (commit, DAG) pairs" in status
    assert status[4].endswith(f"ok: {again.stdout.strip()}")  # the last run's summary
