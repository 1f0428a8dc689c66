"""Shared fixtures: a real demo repository, indexed once per session into a real SQLite file,
and a runner for the real `lineage-history` command in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lineage_history.demo_repo import build_demo_repo

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2024-03-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-03-01T12:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> CliResult:
    """Run the real console entry point in a child process."""
    full_env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "lineage_history", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def start_index(
    repo: Path, db: Path | str, *extra: str, prefix: tuple[str, ...] = ()
) -> subprocess.Popen[str]:
    """Start a real `index --jobs 1` in the background (for concurrency and signal tests)."""
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    return subprocess.Popen(
        [
            *prefix,
            sys.executable,
            "-m",
            "lineage_history",
            "index",
            "--repo",
            str(repo),
            "--db",
            str(db),
            "--jobs",
            "1",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed author and date, so SHAs are reproducible."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    proc = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


@dataclass
class IndexedDemo:
    repo: Path
    db: Path
    shas: dict[str, str]  # story tag -> commit SHA


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The demo repository, built once; copy it before changing it."""
    repo = tmp_path_factory.mktemp("demo-source") / "titanic"
    return repo, build_demo_repo(repo)


@pytest.fixture(scope="session")
def indexed_demo(
    demo_source: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> IndexedDemo:
    """The demo repository indexed with `--all` into its own SQLite file. Read-only for tests."""
    source, shas = demo_source
    repo = tmp_path_factory.mktemp("indexed") / "titanic"
    shutil.copytree(source, repo, symlinks=True)
    db = repo.parent / "lineage.sqlite"
    result = run_cli("index", "--all", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return IndexedDemo(repo, db, shas)


@pytest.fixture
def fresh_demo(demo_source: tuple[Path, dict[str, str]], tmp_path: Path) -> IndexedDemo:
    """A private copy of the (unindexed) demo repository that a test may change."""
    source, shas = demo_source
    repo = tmp_path / "titanic"
    shutil.copytree(source, repo, symlinks=True)
    return IndexedDemo(repo, tmp_path / "lineage.sqlite", shas)


PG_URL = os.environ.get("LINEAGE_HISTORY_TEST_PG")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="needs LINEAGE_HISTORY_TEST_PG"),
    ),
]


@pytest.fixture(params=BACKENDS)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, once per backend: a new SQLite file, and a new schema on
    the PostgreSQL server when LINEAGE_HISTORY_TEST_PG is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite'}"
        return
    assert PG_URL
    schema = f"lh_foreign_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
