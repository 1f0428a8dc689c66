"""What a build leaves behind: no process (a daemonizing module), and a missing data file's
error that says how to include it; real repositories, real build servers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.fixtures import commit_file, git, run_cli

DAEMON = """
import os, time

def _daemonize(pid_file):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(pid_file, "w") as handle:
                handle.write(str(os.getpid()))
            time.sleep(300)
        os._exit(0)
    os.wait()
    while not os.path.exists(pid_file):
        time.sleep(0.01)

_daemonize({pid_file!r})


def a(x: int) -> int:
    return x
"""


def alive(pid: int) -> bool:
    """Running (a zombie has finished: its parent has not reaped it yet)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_a_daemon_started_by_a_build_does_not_outlive_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    pid_file = tmp_path / "daemon.pid"
    commit_file(repo, "pyproject.toml", '[tool.lineage-history.dags.d]\nmodules = ["m.py"]\n', "c")
    commit_file(repo, "m.py", DAEMON.format(pid_file=str(pid_file)), "a module that daemonizes")
    result = run_cli("index", "--repo", str(repo), "--db", str(tmp_path / "db.sqlite"))
    assert result.returncode == 0, result.stderr
    assert "1 built" in result.stdout
    daemon = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while alive(daemon) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(daemon)


@pytest.mark.slow
def test_a_missing_data_file_says_that_include_would_add_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, "data/rates.json", '{"eu": 2}\n', "data")
    module = (
        "import json, pathlib\n"
        "RATES = json.loads(pathlib.Path('data/rates.json').read_text())\n\n\n"
        "def a(x: int) -> int:\n    return x * RATES['eu']\n"
    )
    commit_file(repo, "m.py", module, "module reads a data file")
    config = '[tool.lineage-history.dags.d]\nmodules = ["m.py"]\n'
    commit_file(repo, "pyproject.toml", config, "config")
    db = str(tmp_path / "db.sqlite")
    result = run_cli("index", "--repo", str(repo), "--db", db)
    assert "1 failed" in result.stdout, result.stdout + result.stderr
    status = json.loads(
        run_cli("status", "--format", "json", "--repo", str(repo), "--db", db).stdout
    )
    [failure] = status["failures"]
    assert "FileNotFoundError" in failure["error"]
    assert 'include = ["data/rates.json"]' in failure["error"]
    commit_file(repo, "pyproject.toml", config + 'include = ["data/rates.json"]\n', "fixed")
    fixed = run_cli("index", "--repo", str(repo), "--db", db)
    assert "1 built" in fixed.stdout, fixed.stdout + fixed.stderr
