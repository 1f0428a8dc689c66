"""Every mistake a user can make on the command line: status 2, one clear line, no traceback,
and the database exactly as it was."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.fixtures import IndexedDemo, git, run_cli


@pytest.fixture(scope="module")
def workspace(indexed_demo: IndexedDemo, tmp_path_factory: pytest.TempPathFactory):
    """A private copy of the indexed demo, with one commit made after indexing."""
    root = tmp_path_factory.mktemp("bad-input")
    repo = root / "titanic"
    shutil.copytree(indexed_demo.repo, repo, symlinks=True)
    db = root / "lineage.sqlite"
    shutil.copy(indexed_demo.db, db)
    (repo / "NOTES.md").write_text("not indexed yet\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-q", "-m", "after the index")
    (root / "bad.toml").write_text("[dags.x\nmodules = 1\n")
    (root / "corrupt.sqlite").write_bytes(b"this is not a database" * 100)
    (root / "a-directory.sqlite").mkdir()
    (root / "not-a-repo").mkdir()
    return root, repo, db


def ambiguous_prefix(repo: Path) -> str:
    """A 4-character prefix shared by two commits (made on a side branch until one exists)."""
    git(repo, "checkout", "-q", "-b", "ambiguity")
    seen: dict[str, str] = {}
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    for n in range(5000):
        sha = git(repo, "commit-tree", tree, "-m", f"c{n}")
        if sha[:4] in seen:
            git(repo, "update-ref", "refs/heads/ambiguity", sha)
            git(repo, "update-ref", "refs/heads/ambiguity2", seen[sha[:4]])
            git(repo, "checkout", "-q", "main")
            return sha[:4]
        seen[sha[:4]] = sha
    raise AssertionError("no collision")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"


CASES = [
    ("unknown revision", ["diff", "nope", "main"], "unknown revision: 'nope'"),
    ("not indexed", ["diff", "demo/v1", "HEAD"], "is not indexed"),
    (
        "unknown DAG",
        ["diff", "demo/v1", "demo/role", "--dag", "nope"],
        "unknown DAG 'nope'; known DAGs: titanic",
    ),
    ("invalid --config", ["index", "--config", "{root}/bad.toml"], "not valid TOML"),
    ("missing --config", ["index", "--config", "{root}/missing.toml"], "cannot read config file"),
    ("not a git repository", ["index", "--repo", "{root}/not-a-repo"], "not a git repository"),
    (
        "query outside a repository",
        ["diff", "a", "b", "--repo", "{root}/not-a-repo", "--db", "{root}/nothing-here.sqlite"],
        "no lineage database",
    ),
    (
        "corrupt database",
        ["diff", "demo/v1", "main", "--db", "{root}/corrupt.sqlite"],
        "file is not a database",
    ),
    (
        "corrupt database (index)",
        ["index", "--db", "{root}/corrupt.sqlite"],
        "file is not a database",
    ),
    (
        "database is a directory",
        ["index", "--db", "{root}/a-directory.sqlite"],
        "cannot open database",
    ),
    (
        "database in a missing directory",
        ["index", "--db", "{root}/no/such/dir/x.sqlite"],
        "directory does not exist",
    ),
    ("unknown node (log)", ["log", "sexx", "demo/role"], "unknown node 'sexx'"),
    (
        "unknown node (upstream)",
        ["upstream", "fit_random_forst", "--at", "demo/v1"],
        "did you mean fit_random_forest",
    ),
    ("unknown option", ["diff", "--bogus"], "No such option"),
    ("bad format", ["diff", "demo/v1", "main", "--format", "yaml"], "yaml"),
]


@pytest.mark.parametrize(("label", "args", "message"), CASES, ids=[c[0] for c in CASES])
def test_user_error_is_one_line_with_status_2(workspace, label, args, message) -> None:
    root, repo, db = workspace
    args = [a.format(root=root) for a in args]
    if "--db" not in args:
        args += ["--db", str(db)]
    if "--repo" not in args:
        args += ["--repo", str(repo)]
    before = digest(db)
    result = run_cli(*args, cwd=root)
    assert result.returncode == 2, (label, result.stdout, result.stderr)
    assert message in result.stderr, (label, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, (label, result.stderr)
    assert digest(db) == before


def test_ambiguous_short_sha(workspace) -> None:
    _, repo, db = workspace
    prefix = ambiguous_prefix(repo)
    result = run_cli("diff", prefix, "main", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 2
    assert f"ambiguous revision '{prefix}'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
