"""The claim heartbeat on a real SQLite database: a renewal the database refuses, a claim that
lapsed meanwhile and a claim another indexer took are reported, never swallowed; and an
index run tells the user when it lost a claim."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from lineage_history.index.claims import ClaimHeartbeat
from lineage_history.store.database import open_engine
from lineage_history.store.writer import Store
from tests.fixtures import PYPROJECT, commit_file, count, git, slow_module, start_index, wait_for

KEY = "k" * 64


def _store(db: Path) -> Store:
    return Store(open_engine(f"sqlite:///{db}"))


def _owner_of(db: Path, key: str) -> str | None:
    with sqlite3.connect(db) as connection:
        row = connection.execute("SELECT owner FROM build_claims WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _sql(db: Path, statement: str) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute(statement)


def _reported(heartbeat: ClaimHeartbeat, seen: list[str], text: str) -> bool:
    seen.extend(heartbeat.reports())
    return any(text in message for message in seen)


def test_a_renewal_the_database_refuses_is_reported_and_so_is_the_lapse(tmp_path: Path) -> None:
    db = tmp_path / "claims.sqlite"
    store = _store(db)
    ttl = 0.6  # renewed every 0.2 s
    assert store.claims.claim(KEY, "me", ttl)
    heartbeat = ClaimHeartbeat(store, "me", ttl)
    heartbeat.add(KEY)
    seen: list[str] = []
    try:
        _sql(db, "ALTER TABLE build_claims RENAME TO build_claims_away")
        wait_for(lambda: _reported(heartbeat, seen, "could not renew 1 build claim"))
        assert heartbeat.last_error is not None
        assert "no such table: build_claims" in heartbeat.last_error
        assert any("no such table: build_claims" in message for message in seen)
        time.sleep(ttl)  # the claim's last renewal is now more than its timeout ago
        _sql(db, "ALTER TABLE build_claims_away RENAME TO build_claims")
        wait_for(lambda: _reported(heartbeat, seen, "renewed again after"))
        assert any(f"the claim on build {KEY[:12]} lapsed" in message for message in seen)
        assert _owner_of(db, KEY) == "me"  # renewed once the table was back
    finally:
        heartbeat.stop()


def test_a_claim_another_indexer_took_is_reported_and_left_to_it(tmp_path: Path) -> None:
    db = tmp_path / "claims.sqlite"
    store = _store(db)
    ttl = 600.0  # the heartbeat's own thread does not beat during the test: renew() does
    assert store.claims.claim(KEY, "me", ttl)
    heartbeat = ClaimHeartbeat(store, "me", ttl)
    heartbeat.add(KEY)
    try:
        heartbeat.renew()
        assert heartbeat.reports() == []
        # Another indexer whose clock runs ahead sees the claim lapsed and takes it.
        _sql(db, "UPDATE build_claims SET expires_at = 0")
        assert _store(db).claims.claim(KEY, "elsewhere:1:other", ttl)
        heartbeat.renew()
        reports = heartbeat.reports()
        assert reports == [
            f"lost the claim on build {KEY[:12]} to another indexer, which may build it as well"
        ]
        heartbeat.renew()  # reported once; the claim is no longer renewed nor taken back
        assert heartbeat.reports() == []
        assert _owner_of(db, KEY) == "elsewhere:1:other"
        assert heartbeat.last_error is None
    finally:
        heartbeat.stop()


def _take_over(db: Path, other: Store) -> bool:
    """Take the running build's claim as another indexer would after it lapsed (its renewal
    may come first: then try again)."""
    with sqlite3.connect(db) as connection:
        row = connection.execute("SELECT key FROM build_claims").fetchone()
        connection.execute("UPDATE build_claims SET expires_at = 0")
    return row is not None and other.claims.claim(row[0], "elsewhere:1:other", 600)


def test_an_index_run_tells_the_user_it_lost_a_claim(tmp_path: Path) -> None:
    flag = tmp_path / "slow"
    flag.touch()
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, "pyproject.toml", PYPROJECT, "config")
    waits = f"import os, time\nfor _ in range(600):\n    if not os.path.exists({str(flag)!r}):\n"
    module = waits + "        break\n    time.sleep(0.1)\n" + slow_module(0, 1)
    commit_file(repo, "pipe/m.py", module, "slow while the flag exists")
    db = tmp_path / "lineage.sqlite"
    worker = start_index(repo, db, "--claim-timeout", "1")
    try:
        wait_for(lambda: count(db, "SELECT count(*) FROM build_claims") == 1)
        other = _store(db)
        wait_for(lambda: _take_over(db, other))
        assert worker.stderr is not None
        lines = []
        for line in worker.stderr:
            lines.append(line)
            if "lost the claim on build" in line:
                break
        flag.unlink()
        out, err = worker.communicate(timeout=120)
    finally:
        flag.unlink(missing_ok=True)
        if worker.poll() is None:
            worker.kill()
    stderr = "".join(lines) + err
    assert worker.returncode == 0, stderr
    assert "to another indexer, which may build it as well" in stderr
    assert "1 built" in out
    assert _owner_of(db, _only_key(db)) == "elsewhere:1:other"  # released only by its owner


def _only_key(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT key FROM build_claims").fetchone()[0]
