"""One repository stays one repository: shallow clones and `--unshallow`, an orphan branch
checked out, linked worktrees and several clones, on real clones and both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import commit_file, git, run_cli

PYPROJECT = '[tool.lineage-history.dags.main]\nmodules = ["pipe/m.py"]\n'


def module(variant: int) -> str:
    return (
        f"def a(x: int) -> int:\n    return x + {variant}\n\n\n"
        "def b(a: int) -> int:\n    return a\n"
    )


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, list[str]]:
    """config, v0 (adds `a`), v1, v2, v3 (each changes `a`'s code)."""
    repo = tmp_path / "source"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = [commit_file(repo, "pyproject.toml", PYPROJECT, "config")]
    shas += [commit_file(repo, "pipe/m.py", module(v), f"v{v}") for v in range(4)]
    return repo, shas


def clone(source: Path, target: Path, *options: str) -> Path:
    git(source.parent, "clone", "-q", *options, f"file://{source}", str(target))
    return target


def cli(repo: Path, db: str, *args: str) -> str:
    result = run_cli(*args, "--repo", str(repo), "--db", db)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def repositories(db: str, cwd: Path) -> list[dict]:
    result = run_cli("status", "--all-repos", "--format", "json", "--db", db, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["repositories"]


def log_changes(repo: Path, db: str) -> list[tuple[str, object]]:
    entries = json.loads(cli(repo, db, "log", "a", "--format", "json"))
    return [(entry["subject"], entry["change"]) for entry in entries]


@pytest.mark.slow
def test_a_shallow_clone_says_where_its_history_stops_and_unshallowing_keeps_it_one(
    source: tuple[Path, list[str]], any_db: str, tmp_path: Path
) -> None:
    src, _shas = source
    shallow = clone(src, tmp_path / "shallow", "--depth", "2")
    cli(shallow, any_db, "index")
    changes = log_changes(shallow, any_db)
    assert changes == [("v3", ["code"]), ("v2", "boundary")]
    table = cli(shallow, any_db, "log", "a")
    assert "boundary" in table and "git fetch --unshallow" in table

    git(shallow, "fetch", "-q", "--unshallow")
    assert log_changes(shallow, any_db) == changes  # still indexed, not "not indexed"
    cli(shallow, any_db, "index")
    assert len(repositories(any_db, tmp_path)) == 1
    assert log_changes(shallow, any_db) == [
        ("v3", ["code"]),
        ("v2", ["code"]),
        ("v1", ["code"]),
        ("v0", "added"),
    ]


@pytest.mark.slow
def test_an_orphan_branch_checked_out_still_answers_about_main(
    source: tuple[Path, list[str]], any_db: str, tmp_path: Path
) -> None:
    src, _shas = source
    repo = clone(src, tmp_path / "site")
    cli(repo, any_db, "index")
    git(repo, "checkout", "-q", "--orphan", "gh-pages")
    git(repo, "rm", "-q", "-r", "--cached", ".")
    commit_file(repo, "index.html", "<h1>docs</h1>\n", "pages")
    assert "a" in cli(repo, any_db, "diff", "main~3", "main")
    assert [s for s, _ in log_changes_at(repo, any_db, "main")] == ["v3", "v2", "v1", "v0"]
    cli(repo, any_db, "index")
    assert len(repositories(any_db, tmp_path)) == 1


def log_changes_at(repo: Path, db: str, rev: str) -> list[tuple[str, object]]:
    entries = json.loads(cli(repo, db, "log", "a", rev, "--format", "json"))
    return [(entry["subject"], entry["change"]) for entry in entries]


@pytest.mark.slow
def test_a_linked_worktree_and_other_clones_are_the_same_repository(
    source: tuple[Path, list[str]], any_db: str, tmp_path: Path
) -> None:
    src, _shas = source
    first = clone(src, tmp_path / "first")
    cli(first, any_db, "index")
    worktree = tmp_path / "linked"
    git(first, "worktree", "add", "-q", "-b", "feature", str(worktree))
    commit_file(worktree, "pipe/m.py", module(9), "feature")
    cli(worktree, any_db, "index")
    second = clone(src, tmp_path / "second")
    assert "v0" in cli(second, any_db, "log", "a")  # found before it ever indexed
    [stored] = repositories(any_db, tmp_path)
    assert stored["path"] == str(first.resolve())  # the main worktree, not the linked one
    cli(second, any_db, "index")
    [stored] = repositories(any_db, tmp_path)
    assert stored["path"] == str(second.resolve())
    assert "feature" in cli(worktree, any_db, "log", "a", "feature")
