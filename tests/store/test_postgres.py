"""The team service on the real PostgreSQL server: same answers as SQLite, several indexers
cooperating on one database, and a killed worker's claim lapsing.

Set LINEAGE_HISTORY_TEST_PG (for example
postgresql+psycopg://postgres@127.0.0.1:5432/test) to run these; `.ci/run` does.
Each test works in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures import (
    PG_URL,
    PYPROJECT,
    IndexedDemo,
    commit_file,
    git,
    run_cli,
    scalar,
    slow_module,
    start_index,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="PostgreSQL tests need LINEAGE_HISTORY_TEST_PG, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/test (.ci/run sets it)",
)


QUERIES = [
    ["diff", "demo/v1", "main"],
    ["diff", "demo/sex-pii~1", "demo/sex-pii"],
    ["diff", "demo/fixed", "demo/side"],
    ["log", "sex"],
    ["log", "family_count", "--follow"],
    ["log", "max_depth"],
    ["show", "main", "--tag", "PII=true"],
    ["show", "demo/v1", "--role", "input"],
    ["upstream", "fit_random_forest", "--at", "demo/v1"],
    ["downstream", "sex", "--tag", "artifact"],
    ["path", "age", "fit_random_forest"],
    ["blame", "PII=true"],
]


@pytest.mark.slow
def test_every_query_answers_the_same_on_postgresql_and_sqlite(
    indexed_demo: IndexedDemo, pg_db: str, tmp_path: Path
) -> None:
    repo = tmp_path / "titanic"
    shutil.copytree(indexed_demo.repo, repo, symlinks=True)
    indexed = run_cli("index", "--all", "--repo", str(repo), "--db", pg_db)
    assert indexed.returncode == 0, indexed.stderr
    for query in QUERIES:
        on_sqlite = run_cli(
            *query,
            "--format",
            "json",
            "--repo",
            str(indexed_demo.repo),
            "--db",
            str(indexed_demo.db),
        )
        on_postgres = run_cli(*query, "--format", "json", "--repo", str(repo), "--db", pg_db)
        assert on_sqlite.returncode == on_postgres.returncode == 0, (query, on_postgres.stderr)
        assert json.loads(on_postgres.stdout) == json.loads(on_sqlite.stdout), query
    statuses = [
        json.loads(run_cli("status", "--format", "json", "--repo", str(r), "--db", d).stdout)
        for r, d in ((indexed_demo.repo, str(indexed_demo.db)), (repo, pg_db))
    ]
    for key in ("commits", "snapshots", "failed"):
        assert statuses[0][key] == statuses[1][key], key


@pytest.mark.slow
def test_one_database_holds_many_repositories(
    indexed_demo: IndexedDemo, pg_db: str, tmp_path: Path
) -> None:
    demo = tmp_path / "titanic"
    shutil.copytree(indexed_demo.repo, demo, symlinks=True)
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    commit_file(other, "pyproject.toml", PYPROJECT, "config")
    commit_file(other, "pipe/m.py", slow_module(0, 1), "pipeline")
    for repo in (demo, other):
        assert run_cli("index", "--repo", str(repo), "--db", pg_db).returncode == 0
    everything = json.loads(
        run_cli("status", "--all-repos", "--format", "json", "--db", pg_db, cwd=tmp_path).stdout
    )
    assert sorted(r["name"] for r in everything["repositories"]) == ["other", "titanic"]
    # Without the repositories on disk, a query names its repository.
    shutil.rmtree(demo)
    shutil.rmtree(other)
    answer = run_cli(
        "show", "main", "--repo", "other", "--db", pg_db, "--format", "json", cwd=tmp_path
    )
    assert answer.returncode == 0, answer.stderr
    assert {n["name"] for n in json.loads(answer.stdout)["nodes"]} == {"a", "b", "x"}
    ambiguous = run_cli("show", "main", "--db", pg_db, cwd=tmp_path)
    assert ambiguous.returncode == 2 and "several repositories" in ambiguous.stderr


def slow_history(root: Path, builds: int, seconds: float) -> Path:
    repo = root / "origin"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, "pyproject.toml", PYPROJECT, "config")
    for variant in range(builds):
        commit_file(repo, "pipe/m.py", slow_module(seconds, variant), f"v{variant}")
        commit_file(repo, f"docs/{variant}.md", "text\n", f"docs {variant}")  # reuses a build
    return repo


@pytest.mark.slow
def test_three_concurrent_indexers_build_each_key_once(pg_db: str, tmp_path: Path) -> None:
    origin = slow_history(tmp_path, builds=9, seconds=0.4)
    clones = []
    for n in range(3):
        clone = tmp_path / f"clone{n}"
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
        clones.append(clone)
    workers = [start_index(clone, pg_db) for clone in clones]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    built = sum(int(re.search(r"(\d+) built", out).group(1)) for out, _ in outputs)
    assert built == 9  # the builds counted by the workers themselves
    assert scalar(pg_db, "SELECT count(*) FROM builds") == 9
    assert scalar(pg_db, "SELECT count(*) FROM commits") == 1 + 2 * 9
    assert scalar(pg_db, "SELECT count(*) FROM repositories") == 1
    assert scalar(pg_db, "SELECT count(*) FROM build_claims") == 0
    assert (
        scalar(
            pg_db,
            "SELECT count(*) FROM (SELECT sha FROM commits GROUP BY sha "
            "HAVING count(*) > 1) AS duplicates",
        )
        == 0
    )


@pytest.mark.slow
def test_a_killed_workers_claim_lapses_after_the_claim_timeout(pg_db: str, tmp_path: Path) -> None:
    flag = tmp_path / "slow"
    flag.touch()
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, "pyproject.toml", PYPROJECT, "config")
    commit_file(
        repo,
        "pipe/m.py",
        f"import os, time\nwhile os.path.exists({str(flag)!r}):\n    time.sleep(0.1)\n"
        + slow_module(0, 1),
        "slow while the flag exists",
    )
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    # The first worker runs as another host, so the second cannot tell it died: only the
    # claim timeout frees the key.
    first = start_index(
        repo,
        pg_db,
        "--claim-timeout",
        "3",
        prefix=("unshare", "--uts", "sh", "-c", 'hostname elsewhere && exec "$0" "$@"'),
    )
    wait_for(lambda: _claims(pg_db) >= 1, timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    flag.unlink()
    started = time.monotonic()
    second = start_index(clone, pg_db, "--claim-timeout", "3")
    out, err = second.communicate(timeout=120)
    waited = time.monotonic() - started
    assert second.returncode == 0, err
    assert "claimed by another indexer" in err
    assert "1 built" in out
    assert waited < 30  # the lapse of a 3 s claim, not the dead worker's whole build
    assert scalar(pg_db, "SELECT count(*) FROM commits") == 2


def _claims(url: str) -> int:
    try:
        return scalar(url, "SELECT count(*) FROM build_claims")
    except Exception:  # the schema is still being created
        return 0
