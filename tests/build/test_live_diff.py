"""`diff [REV]` against the working tree and `diff --staged` against the index: built on the
fly in the build child from files on disk or staged blobs, with nothing stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import git, run_cli

CONFIG = '[dags.main]\nmodules = ["pipe/features.py"]\n'
FEATURES = """
from hamilton.function_modifiers import tag


@tag(owner="data")
def age(raw: dict) -> int:
    return raw["age"]


def features(age: int) -> list:
    return [age]
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits (the second adds `doubled`), indexed into tmp_path/lineage.sqlite."""
    repo = tmp_path / "repo"
    (repo / "pipe").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "lineage-history.toml").write_text(CONFIG)
    (repo / "pipe" / "features.py").write_text(FEATURES)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    edit(repo, FEATURES + "\n\ndef doubled(age: int) -> int:\n    return 2 * age\n")
    git(repo, "commit", "-q", "-am", "doubled")
    result = run_cli("index", "--repo", str(repo), "--db", str(tmp_path / "lineage.sqlite"))
    assert result.returncode == 0, result.stderr
    return repo


def edit(repo: Path, text: str) -> None:
    (repo / "pipe" / "features.py").write_text(text)


def diff(repo: Path, *args: str) -> tuple[int, Any]:
    db = repo.parent / "lineage.sqlite"
    result = run_cli("diff", *args, "--repo", str(repo), "--db", str(db), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def names(data: dict[str, Any], kind: str) -> list[str]:
    return [n["name"] for n in data["nodes"][kind]]


def stored_rows(repo: Path) -> dict[str, int]:
    with sqlite3.connect(repo.parent / "lineage.sqlite") as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master "
                                                       "WHERE type = 'table'")]  # fmt: skip
        return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.mark.slow
def test_an_uncommitted_edit_shows_in_diff_with_nothing_stored(repo: Path) -> None:
    before = stored_rows(repo)
    code, clean = diff(repo, "--exit-code")
    assert code == 0 and clean["summary"]["added"] == 0
    assert clean["head"] == {"rev": "working tree", "sha": None, "stubbed": []}
    edit(repo, FEATURES.replace("return [age]", "return [age, age]") + "\n\ndef tripled(age: int)"
         " -> int:\n    return 3 * age\n")  # fmt: skip
    code, changed = diff(repo, "--exit-code")
    assert code == 1
    assert changed["base"]["sha"] == git(repo, "rev-parse", "HEAD")
    assert names(changed, "added") == ["tripled"]
    assert names(changed, "removed") == ["doubled"]
    assert [(m["name"], m["changes"]) for m in changed["nodes"]["modified"]] == [
        ("features", ["code"])
    ]
    # one revision: that revision against the working tree
    code, from_first = diff(repo, "HEAD~1")
    assert names(from_first, "added") == ["tripled"] and names(from_first, "removed") == []
    assert stored_rows(repo) == before  # no commit, build, snapshot or node was stored


@pytest.mark.slow
def test_staged_edits_are_the_index_not_the_working_tree(repo: Path) -> None:
    before = stored_rows(repo)
    edit(repo, FEATURES.replace('@tag(owner="data")\n', ""))
    git(repo, "add", "pipe/features.py")
    edit(repo, FEATURES.replace('@tag(owner="data")\n', "") + "\n\ndef extra(age: int) -> int:"
         "\n    return age\n")  # fmt: skip
    code, staged = diff(repo, "--staged")
    assert code == 0  # no --exit-code
    assert staged["head"] == {"rev": "index", "sha": None, "stubbed": []}
    assert names(staged, "added") == [] and names(staged, "removed") == ["doubled"]
    assert [(m["name"], m["changes"]) for m in staged["nodes"]["modified"]] == [("age", ["tags"])]
    _, working = diff(repo)
    assert names(working, "added") == ["extra"]
    assert stored_rows(repo) == before


def test_a_working_tree_that_fails_to_build_and_bad_combinations(repo: Path) -> None:
    db = str(repo.parent / "lineage.sqlite")
    edit(repo, FEATURES + "\n\ndef broken(:\n")
    result = run_cli("diff", "--repo", str(repo), "--db", db)
    assert result.returncode == 3
    assert "failed to build in the working tree" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run_cli("diff", "HEAD~1", "HEAD", "--staged", "--repo", str(repo), "--db", db)
    assert result.returncode == 2 and "--staged compares one revision" in result.stderr
    (repo / "lineage-history.toml").write_text("[dags.main]\nmodules = 3\n")
    result = run_cli("diff", "--repo", str(repo), "--db", db)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_a_dag_removed_from_the_working_tree_is_an_empty_graph(repo: Path) -> None:
    (repo / "pipe" / "features.py").unlink()
    _, gone = diff(repo)
    assert names(gone, "removed") == ["age", "doubled", "features", "raw"]
