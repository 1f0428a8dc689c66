"""A run stopped by SIGTERM is recorded as `interrupted`, never as `failed`, whether its
output still has a reader or goes to a pipe whose reader is gone (`index | head -0`,
`index 2>&1 | head -0`); and no build is recorded as failed because of the stop. A real
`index` process, real builds, the real `status` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import count, make_repo, run_cli, wait_for


def _start(repo: Path, db: Path, closed: str) -> tuple[subprocess.Popen[bytes], int]:
    """`index` whose stdout, stderr or both go to a pipe; the pipe's read end (still open:
    the caller closes it when the reader should be gone)."""
    read_end, write_end = os.pipe()
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    command = [sys.executable, "-m", "lineage_history", "index", "--jobs", "1"]
    try:
        proc = subprocess.Popen(
            [*command, "--timeout", "120", "--repo", str(repo), "--db", str(db)],
            stdout=write_end if closed in ("stdout", "both") else subprocess.DEVNULL,
            stderr=write_end if closed in ("stderr", "both") else subprocess.DEVNULL,
            env=env,
        )
    finally:
        os.close(write_end)
    return proc, read_end


def _last_run(repo: Path, db: Path) -> dict:
    result = run_cli("status", "--format", "json", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["last_run"]


def _stopped_while_building(tmp_path: Path, closed: str, reader_gone: str) -> tuple[Path, Path]:
    """Index a repository whose second build takes a minute; SIGTERM while it runs. The
    reader of the closed output is gone from the start (`index | head -0`) or goes at the
    stop (a whole pipeline stopped at once)."""
    repo, _shas = make_repo(tmp_path, [0.1, 60])
    db = tmp_path / "db.sqlite"
    work = repo / ".git" / "lineage-history-work"
    proc, read_end = _start(repo, db, closed)
    if reader_gone == "from the start":
        os.close(read_end)
    try:
        wait_for(lambda: db.exists() and count(db, "SELECT count(*) FROM builds") >= 1)
        wait_for(lambda: work.exists() and any(work.iterdir()))  # the 60 s build is running
        if reader_gone == "at the stop":
            os.close(read_end)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return repo, db


@pytest.mark.slow
@pytest.mark.parametrize(
    ("closed", "reader_gone"),
    [
        ("stdout", "from the start"),
        ("stderr", "at the stop"),
        ("both", "at the stop"),
    ],
)
def test_sigterm_with_a_closed_output_pipe_is_an_interruption(
    tmp_path: Path, closed: str, reader_gone: str
) -> None:
    repo, db = _stopped_while_building(tmp_path, closed, reader_gone)
    run = _last_run(repo, db)
    assert run["status"] == "interrupted", run
    assert count(db, "SELECT count(*) FROM builds WHERE status = 'failed'") == 0
    assert count(db, "SELECT count(*) FROM builds") == 1  # the one that finished before


def test_a_progress_output_without_a_reader_stops_the_run_as_interrupted(tmp_path: Path) -> None:
    """`index 2>&1 | head -0`: the first progress line has nowhere to go."""
    repo, _shas = make_repo(tmp_path, [0.1, 0.1])
    db = tmp_path / "db.sqlite"
    proc, read_end = _start(repo, db, "both")
    os.close(read_end)
    proc.wait(timeout=120)
    run = _last_run(repo, db)
    assert run["status"] == "interrupted", run
    assert count(db, "SELECT count(*) FROM builds WHERE status = 'failed'") == 0
