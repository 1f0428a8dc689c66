"""A full disk under an index run: one clear line, nothing half written, a clean `status`;
on a real 600 KiB tmpfs (as root), else under a real RLIMIT_FSIZE."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.fixtures import IndexedDemo, run_cli

# Exec the command with a file-size limit; SIGXFSZ ignored, so writes fail with EFBIG.
LIMITED = (
    "import os, resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000)); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def dag_rows(db: Path) -> dict[str, list[tuple[str, str, bool]]]:
    """Each stored commit's DAG rows: a commit is written whole or not at all."""
    with closing(sqlite3.connect(db)) as connection:
        rows = connection.execute(
            "SELECT c.sha, d.dag, d.status, d.build_id IS NOT NULL FROM commits c "
            "LEFT JOIN commit_dags d ON d.commit_id = c.id ORDER BY c.sha, d.dag"
        ).fetchall()
    found: dict[str, list[tuple[str, str, bool]]] = {}
    for sha, dag, status, built in rows:
        found.setdefault(sha, []).extend([(dag, status, bool(built))] if dag is not None else [])
    return found


MOUNT = "mount"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A directory on a 600 KiB file system, else a prefix that limits the size of files."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = shutil.which(MOUNT) is not None and (
        subprocess.run(
            [MOUNT, "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    if mounted:
        yield mount, [sys.executable, "-m", "lineage_history"]
        subprocess.run(["umount", "--lazy", str(mount)], check=False)
    else:
        yield mount, [sys.executable, "-c", LIMITED, "-m", "lineage_history"]


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_leaves_whole_commits(
    fresh_demo: IndexedDemo, indexed_demo: IndexedDemo, small_disk: tuple[Path, list[str]]
) -> None:
    directory, command = small_disk
    db = directory / "db.sqlite"
    index = [*command, "index", "--all", "--jobs", "1", "--repo", str(fresh_demo.repo)]
    full = subprocess.run([*index, "--db", str(db)], capture_output=True, text=True, check=False)
    assert full.returncode == 2, full.stderr
    assert "Traceback" not in full.stderr
    [error] = [line for line in full.stderr.splitlines() if "error" in line]  # after progress
    assert error == full.stderr.splitlines()[-1]
    assert error.startswith("lineage-history: error: cannot write to database")
    assert "disk is full" in error or "disk I/O error" in error

    status = run_cli("status", "--repo", str(fresh_demo.repo), "--db", str(db))
    assert status.returncode == 0, status.stderr
    [last_run] = [line for line in status.stdout.splitlines() if line.startswith("last run:")]
    assert "failed: " in last_run and "sqlalche.me" not in status.stdout
    assert all(re.match(r"[a-z ]+:\s", line) for line in status.stdout.splitlines())  # no spill

    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = dag_rows(db)
    assert stored and all(rows == dag_rows(indexed_demo.db)[sha] for sha, rows in stored.items())
    roomy = fresh_demo.repo.parent / "roomy.sqlite"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copy(f"{db}{suffix}", f"{roomy}{suffix}")
    resumed = run_cli("index", "--all", "--repo", str(fresh_demo.repo), "--db", str(roomy))
    assert resumed.returncode == 0, resumed.stderr
    args = ("diff", "demo/v1", "main", "--format", "json")
    ours = run_cli(*args, "--repo", str(fresh_demo.repo), "--db", str(roomy))
    reference = run_cli(*args, "--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db))
    assert json.loads(ours.stdout) == json.loads(reference.stdout)
