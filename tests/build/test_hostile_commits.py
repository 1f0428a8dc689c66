"""Hostile commits: each case is a real repository whose history holds a module that
misbehaves; the indexer records a clear failure and goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import build_processes_in, commit_file, git, run_cli

GOOD = """
def a(x: int) -> int:
    return x + 1


def b(a: int) -> int:
    return a * 2
"""

PYPROJECT = """
[tool.lineage-history.dags.main]
modules = ["pipe/m.py"]
"""

# Each case: (name, module source, expected error fragment)
HOSTILE = [
    ("hang", "while True:\n    pass\n", "timed out after 3 s"),
    ("os_exit", "import os\nos._exit(3)\n", "exited with status 3"),
    ("sys_exit", "import sys\nsys.exit()\n", "sys.exit(None)"),
    ("raises", "raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
    ("segfault", "import ctypes\nctypes.string_at(0)\n", "crashed with signal SIGSEGV"),
    ("memory", "hog = bytearray(2 * 1024 ** 3)\nhog2 = [hog] * 3\n", "memory"),
    (
        "type_mismatch",
        GOOD + "\n\ndef c(b: str) -> str:\n    return b\n",
        "c is expecting b:<class 'str'>, but found b:<class 'int'>",
    ),
]


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """good -> each hostile module in turn -> good again; indexed once."""
    repo = tmp_path_factory.mktemp("hostile") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = {"first": commit_file(repo, "pyproject.toml", PYPROJECT, "config")}
    shas["good"] = commit_file(repo, "pipe/m.py", GOOD, "good")
    for name, source, _ in HOSTILE:
        shas[name] = commit_file(repo, "pipe/m.py", source, name)
    shas["spam"] = commit_file(
        repo,
        "pipe/m.py",
        "import sys\nprint('x' * 3_000_000)\nprint('y' * 3_000_000, file=sys.stderr)\n" + GOOD,
        "spam",
    )
    shas["env"] = commit_file(
        repo,
        "pipe/m.py",
        "import os\nSEEN = {k: os.environ.get(k) for k in ('LINEAGE_HISTORY_DB', 'SECRET_TOKEN')}\n"
        "assert SEEN == {'LINEAGE_HISTORY_DB': None, 'SECRET_TOKEN': None}, SEEN\n" + GOOD,
        "env",
    )
    shas["missing_module"] = commit_file(
        repo,
        "pyproject.toml",
        PYPROJECT.replace('"pipe/m.py"', '"pipe/m.py", "pipe/gone.py"'),
        "missing module",
    )
    shas["broken_toml"] = commit_file(repo, "pyproject.toml", "[tool.lineage-history\n", "toml")
    shas["fixed"] = commit_file(repo, "pyproject.toml", PYPROJECT, "fixed")
    db = repo.parent / "db.sqlite"
    env = {"LINEAGE_HISTORY_DB": str(db), "SECRET_TOKEN": "hunter2"}
    result = run_cli(
        "index",
        "--repo",
        str(repo),
        "--timeout",
        "3",
        "--memory-limit",
        "1024",
        "--jobs",
        "2",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return repo, shas


def failures(repo: Path) -> dict[str, str]:
    result = run_cli(
        "status", "--format", "json", "--repo", str(repo), "--db", str(repo.parent / "db.sqlite")
    )
    assert result.returncode == 0, result.stderr
    return {f["sha"]: f["error"] for f in json.loads(result.stdout)["failures"]}


@pytest.mark.slow
@pytest.mark.parametrize(("name", "fragment"), [(n, f) for n, _, f in HOSTILE])
def test_hostile_module_is_recorded_as_failed(hostile_repo, name: str, fragment: str) -> None:
    repo, shas = hostile_repo
    errors = failures(repo)
    assert shas[name] in errors, f"{name} should have failed"
    assert fragment in errors[shas[name]]


def test_the_run_goes_on_and_good_commits_are_indexed(hostile_repo) -> None:
    repo, shas = hostile_repo
    errors = failures(repo)
    for name in ("good", "spam", "env", "fixed"):
        assert shas[name] not in errors, (name, errors.get(shas[name]))
    result = run_cli(
        "diff",
        shas["good"],
        shas["fixed"],
        "--repo",
        str(repo),
        "--db",
        str(repo.parent / "db.sqlite"),
        "--exit-code",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_problems_fail_with_the_error(hostile_repo) -> None:
    repo, shas = hostile_repo
    errors = failures(repo)
    assert "gone.py" in errors[shas["missing_module"]]
    assert "not valid TOML" in errors[shas["broken_toml"]]


def test_no_build_directories_or_processes_are_left(hostile_repo) -> None:
    repo, _ = hostile_repo
    work = repo / ".git" / "lineage-history-work"
    assert not any(work.iterdir())
    assert build_processes_in(work) == []
