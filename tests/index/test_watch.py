"""`index --watch`: rounds until SIGTERM, one log line each, new commits picked up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import commit_file, count, make_repo, slow_module, wait_for


@pytest.mark.slow
def test_watch_indexes_new_commits_each_round_until_sigterm(tmp_path: Path) -> None:
    repo, shas = make_repo(tmp_path, [0])
    db = tmp_path / "db.sqlite"
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lineage_history",
            "index",
            "--watch",
            "--interval",
            "0.5",
            "--repo",
            str(repo),
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    wait_for(lambda: count(db, "SELECT count(*) FROM commits") == len(shas))
    commit_file(repo, "pipe/m.py", slow_module(0, 42), "a new commit while watching")
    wait_for(lambda: count(db, "SELECT count(*) FROM commits") == len(shas) + 1)
    wait_for(lambda: count(db, "SELECT count(*) FROM index_runs WHERE status = 'ok'") >= 3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = out.strip().splitlines()
    assert len(lines) >= 3 and all("seen" in line for line in lines)
    assert any("1 new; 1 (commit, DAG) state: 1 built" in line for line in lines)
    assert "Traceback" not in err
