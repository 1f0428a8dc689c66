"""A `pyproject.toml` that is not TOML is the project's business: the commit's DAGs come from
discovery, with a warning (stderr of `dags`, a note of each DAG), and indexing records them.
Our own `lineage-history.toml`, or a `[tool.lineage-history]` table that parses but is wrong,
stay errors."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures import Repo, run_cli

FUNCTIONS = "def base(seed: int) -> int:\n    return seed + 1\n"
DRIVER = """
from hamilton import driver
import functions

dr = driver.Builder().with_modules(functions).build()
"""
BROKEN = '[project]\nname = "x"\nversion = = "1"\n'


def _repo(tmp_path: Path, extra: dict[str, str]) -> Repo:
    repo = Repo(tmp_path / "project")
    repo.commit("a driver", {"flows/functions.py": FUNCTIONS, "flows/run.py": DRIVER, **extra})
    return repo


def test_a_broken_pyproject_leaves_the_dags_to_discovery(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"pyproject.toml": BROKEN})
    result = run_cli("dags", "--repo", str(repo.path), "--db", str(repo.db))
    assert result.returncode == 0, result.stderr
    assert "flows/run  [not indexed]" in result.stdout
    warning = result.stderr.strip()
    assert warning.startswith("warning: pyproject.toml is not valid TOML (")
    assert warning.endswith("its [tool.lineage-history] is not read")
    assert "note:    pyproject.toml is not valid TOML" in result.stdout

    repo.index()
    listed = repo.cli("dags", "--format", "json")
    assert [(d["name"], d["status"]) for d in listed] == [("flows/run", "ok")]
    assert listed[0]["notes"] == [warning.removeprefix("warning: ")]
    assert set(repo.nodes("HEAD", "flows/run")) == {"base", "seed"}
    status = repo.cli("status", "--format", "json")
    assert status["failed"] == 0


def test_our_own_broken_files_stay_errors(tmp_path: Path) -> None:
    own = _repo(tmp_path / "own", {"lineage-history.toml": "[dags.x\n"})
    result = run_cli("dags", "--repo", str(own.path))
    assert result.returncode == 2
    assert (
        result.stderr.count("\n") == 1 and "lineage-history.toml is not valid TOML" in result.stderr
    )

    table = _repo(tmp_path / "table", {"pyproject.toml": "[tool.lineage-history]\ndags = 3\n"})
    result = run_cli("dags", "--repo", str(table.path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "pyproject.toml" in result.stderr
