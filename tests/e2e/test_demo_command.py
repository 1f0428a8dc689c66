"""`lineage-history demo`, run as a user runs it (a child process): builds, indexes and shows
the diff on a machine with nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import run_process


@pytest.mark.slow
def test_demo_builds_indexes_and_shows_the_diff(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = run_process("demo", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "lineage diff: demo/v1 (the first pipeline) -> main" in result.stdout
    assert "+ added     cabin_encoder" in result.stdout
    assert "Try, from there" in result.stdout
    status = run_process("status", "--format", "json", cwd=target)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["commits"] == 18 and data["failed"] == 1 and data["behind"] == 0
    assert data["last_run"]["status"] == "ok"
    again = run_process("demo", str(target), cwd=tmp_path)
    assert again.returncode == 2 and "not an empty directory" in again.stderr
