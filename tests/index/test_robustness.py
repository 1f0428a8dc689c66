"""Concurrent runs, kills, interrupts, schema upgrades, rewritten history and retries, each
on a real repository and a real SQLite file, through the real command line."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from lineage_history.dag.model import Node, Snapshot
from lineage_history.store.database import (
    HEAD_REVISION,
    create,
    current_revision,
    open_engine,
    upgrade,
)
from lineage_history.store.schema import builds, commit_dags, repositories
from lineage_history.store.snapshot_rows import save_snapshots
from lineage_history.store.writer import Store
from tests.fixtures import (
    build_processes_in,
    commit_file,
    count,
    git,
    make_repo,
    run_cli,
    slow_module,
    start_index,
    wait_for,
)


@pytest.mark.slow
def test_two_concurrent_runs_build_each_key_once(tmp_path: Path) -> None:
    repo, shas = make_repo(tmp_path, [0.7] * 4)
    db = tmp_path / "db.sqlite"
    first = start_index(repo, db)
    wait_for(lambda: db.exists() and count(db, "SELECT count(*) FROM index_runs") >= 1)
    second = start_index(repo, db)
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert "waiting for another index run" in err2
    assert count(db, "SELECT count(*) FROM builds") == 4
    assert count(db, "SELECT count(*) FROM commits") == len(shas)
    assert "4 built" in out1 and "0 new; 0 built in " in out2


@pytest.mark.slow
def test_sigkill_mid_run_leaves_a_consistent_database_and_the_next_run_finishes(
    tmp_path: Path, server_origin: str
) -> None:
    repo, shas = make_repo(tmp_path, [0.6] * 6)
    db = tmp_path / "db.sqlite"
    proc = start_index(repo, db)
    wait_for(lambda: db.exists() and count(db, "SELECT count(*) FROM builds") >= 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    work = repo / ".git" / "lineage-history-work"
    wait_for(lambda: build_processes_in(work) == [], timeout=10)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = connection.execute(
            "SELECT count(*) FROM commits c WHERE c.sha != ? AND NOT EXISTS "
            "(SELECT 1 FROM commit_dags d WHERE d.commit_id = c.id)",
            (shas[0],),
        ).fetchone()[0]
    assert orphans == 0  # every recorded commit has its DAG rows: one transaction each
    partial = count(db, "SELECT count(*) FROM commits")
    assert partial < len(shas)
    again = start_index(repo, db)
    _out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert count(db, "SELECT count(*) FROM commits") == len(shas)
    assert count(db, "SELECT count(*) FROM builds") == 6
    assert not any(work.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_quickly_and_cleans_up(
    tmp_path: Path, signum: int, server_origin: str
) -> None:
    repo, _shas = make_repo(tmp_path, [0.1, 60])
    db = tmp_path / "db.sqlite"
    proc = start_index(repo, db, "--timeout", "120")
    work = repo / ".git" / "lineage-history-work"
    wait_for(lambda: db.exists() and count(db, "SELECT count(*) FROM builds") >= 1)
    wait_for(lambda: work.exists() and any(work.iterdir()))  # the 60 s build is running
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 10
    assert proc.returncode == 130, err
    assert "interrupted" in out and "Traceback" not in err
    assert not any(work.iterdir())
    assert build_processes_in(work) == []
    runs = count(db, "SELECT count(*) FROM index_runs WHERE status = 'interrupted'")
    assert runs == 1
    assert count(db, "SELECT count(*) FROM builds WHERE status = 'failed'") == 0


@pytest.mark.slow
def test_leaked_build_directories_are_removed_by_the_next_run(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path, [0])
    work = repo / ".git" / "lineage-history-work"
    work.mkdir()
    dead = subprocess.run(["true"]).args and 2**22 + 12345  # a pid that is not running
    leaked = work / f"build-{dead}-abc"
    (leaked / "tree").mkdir(parents=True)
    result = run_cli("index", "--repo", str(repo), "--db", str(tmp_path / "db.sqlite"))
    assert result.returncode == 0, result.stderr
    assert not leaked.exists()


def test_database_at_the_first_migration_is_upgraded_with_its_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create(url, must_exist=False)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as connection:  # the columns a repository had at the first migration
        repository_id = connection.execute(
            insert(repositories).values(
                identity="root-sha", name="old", path=str(tmp_path), created_at=1.0
            )
        ).inserted_primary_key[0]
    snapshot = Snapshot.of(
        [
            Node("x", "int", role="input"),
            Node("y", "int", dependencies=("x",), code="c", tags={"PII": "true"}),
        ],
        {"region": "eu"},
    )
    with engine.begin() as connection:  # the columns a build had at the first migration
        [snapshot_id] = save_snapshots(connection, [snapshot])
        build_id = connection.execute(
            insert(builds).values(
                key="key-1", status="ok", snapshot_id=snapshot_id, seconds=0.1, created_at=1.0
            )
        ).inserted_primary_key[0]
        commit_id = connection.execute(  # the columns a commit had at the first migration
            text(
                "INSERT INTO commits (repository_id, sha, parents, author_name, author_email, "
                "authored_at, committed_at, subject, position, indexed_at) VALUES "
                f"({repository_id}, '{'a' * 40}', '', 'Ann', 'ann@example.com', 1, 1, 'first', "
                "0, 1.0) RETURNING id"
            )
        ).scalar_one()
        connection.execute(
            insert(commit_dags).values(
                commit_id=commit_id, dag="d", status="built", build_id=build_id
            )
        )
    engine.dispose()

    upgraded = Store(open_engine(url, must_exist=True))
    assert current_revision(upgraded.engine) == HEAD_REVISION != "0001"
    with upgraded.reading() as reader:
        state = reader.dag_states(repository_id, "d")["a" * 40]
        assert reader.load_snapshot(state.snapshot_id) == snapshot
    assert state.stubbed == ()  # builds from before stand-ins were exact
    assert upgraded.claims.claim("key-2", "me", 10)  # the table the upgrade added works
    upgraded.close()


def test_head_revision_matches_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from lineage_history._resources import migrations_dir

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert heads == [HEAD_REVISION]  # one chain, whose newest migration the code expects


@pytest.mark.slow
def test_rewritten_history_keeps_old_commits_and_moves_refs(tmp_path: Path) -> None:
    repo, shas = make_repo(tmp_path, [0, 0, 0])
    db = tmp_path / "db.sqlite"
    assert run_cli("index", "--repo", str(repo), "--db", str(db)).returncode == 0
    git(repo, "reset", "-q", "--hard", shas[-2])
    new_head = commit_file(repo, "pipe/m.py", slow_module(0, 99), "rewritten")
    result = run_cli("index", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0 and "1 new" in result.stdout
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    old_head = shas[-1]
    moved = tmp_path / "moved"
    repo.rename(moved)  # the queries below read the database alone
    diff_old = run_cli("diff", shas[1], old_head, "--db", str(db), "--format", "json", cwd=tmp_path)
    assert diff_old.returncode == 0, diff_old.stderr
    diff_new = run_cli("diff", old_head, "main", "--db", str(db), "--format", "json", cwd=tmp_path)
    assert diff_new.returncode == 0, diff_new.stderr
    assert json.loads(diff_new.stdout)["head"]["sha"] == new_head


@pytest.mark.slow
def test_retry_failed_rebuilds_only_the_failed_commits(tmp_path: Path) -> None:
    flag = tmp_path / "environment-fixed"
    repo, _shas = make_repo(tmp_path, [0, 0])
    failing = commit_file(
        repo,
        "pipe/m.py",
        f"import pathlib\nassert pathlib.Path({str(flag)!r}).exists(), 'env not ready'\n"
        + slow_module(0, 7),
        "needs the environment",
    )
    db = tmp_path / "db.sqlite"
    first = run_cli("index", "--repo", str(repo), "--db", str(db))
    assert first.returncode == 0 and "1 failed" in first.stdout
    assert "env not ready" in first.stderr
    flag.touch()
    again = run_cli("index", "--repo", str(repo), "--db", str(db))
    assert "0 built" in again.stdout  # without --retry-failed, a failure is remembered
    retried = run_cli("index", "--retry-failed", "--repo", str(repo), "--db", str(db))
    assert retried.returncode == 0, retried.stderr
    assert "1 built" in retried.stdout
    status = json.loads(
        run_cli("status", "--format", "json", "--repo", str(repo), "--db", str(db)).stdout
    )
    assert status["failed"] == 0 and status["failures"] == []
    assert failing not in {f["sha"] for f in status["failures"]}
