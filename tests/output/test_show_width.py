"""`show` fits its rows to the terminal: one node with many dependencies no longer pads every
row's dependency column to hundreds of columns (the full list stays in `--format json`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixtures import Repo, run_cli

INPUTS = [f"sensor_reading_{i:02d}" for i in range(21)]
MODULE = f"""
def wide_total({", ".join(f"{name}: float" for name in INPUTS)}) -> float:
    return 0.0


def doubled(wide_total: float) -> float:
    return wide_total * 2
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = Repo(tmp_path_factory.mktemp("show-width") / "repo")
    repo.commit("wide", {"lineage-history.toml": '[dags.d]\nmodules = ["m.py"]\n', "m.py": MODULE})
    repo.index()
    return repo


def show(repo: Repo, columns: str | None, *extra: str) -> str:
    env = {"COLUMNS": columns} if columns else {}
    if columns is None:
        os.environ.pop("COLUMNS", None)
    where = ("--repo", str(repo.path), "--db", str(repo.db))
    result = run_cli("show", *extra, *where, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(("columns", "width"), [("100", 100), ("60", 60), (None, 120)])
def test_rows_fit_the_terminal(repo: Repo, columns: str | None, width: int) -> None:
    lines = show(repo, columns).splitlines()
    assert max(len(line) for line in lines) <= width, lines
    wide = next(line for line in lines if line.startswith("wide_total"))
    cell = wide.split("float", 1)[1].rsplit("module=m", 1)[0].strip()
    *shown, more = cell.split(", ")
    assert more.startswith("+") and more.endswith(" more")
    assert shown and shown[0].startswith("sen")  # cut short (…) when it does not fit
    assert len(shown) + int(more[1:].split()[0]) == len(INPUTS)
    doubled = next(line for line in lines if line.startswith("doubled"))
    assert len(doubled) <= width and "wide_total" in doubled


def test_json_keeps_every_dependency(repo: Repo, tmp_path: Path) -> None:
    nodes = json.loads(show(repo, "60", "--format", "json"))["nodes"]
    assert next(n for n in nodes if n["name"] == "wide_total")["dependencies"] == INPUTS
