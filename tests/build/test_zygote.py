"""Build servers forked from a zygote store exactly what servers the indexer starts itself
store, and a run the zygote must not serve (another start-up environment) starts its own."""

from __future__ import annotations

import json
import os
import runpy
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage_history.build.forked import ZYGOTE_VARIABLE, forked_server
from lineage_history.build.pool import build_environment
from lineage_history.build.zygote import refusal
from tests.fixtures import ROOT, IndexedDemo, Zygote, run_cli, running_zygote

# (commit, DAG) -> (status, digest of the whole snapshot) for every state of a database: the
# comparison `scripts/compare_keys.py` makes between its two ways of indexing.
states = runpy.run_path(str(ROOT / "scripts" / "compare_keys.py"))["states"]


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    """A zygote of the test's own, so that its log shows only this test's servers."""
    with running_zygote() as started:
        yield started


def test_forked_servers_store_what_spawned_servers_store(
    fresh_demo: IndexedDemo, zygote: Zygote, tmp_path: Path
) -> None:
    repo = str(fresh_demo.repo)
    forked, spawned = tmp_path / "forked.sqlite", tmp_path / "spawned.sqlite"
    env = {ZYGOTE_VARIABLE: zygote.socket}
    done = run_cli("index", "--all", "--jobs", "2", "--repo", repo, "--db", str(forked), env=env)
    assert done.returncode == 0, done.stderr
    assert len(zygote.forked()) in (1, 2)
    env = {ZYGOTE_VARIABLE: ""}
    done = run_cli("index", "--all", "--jobs", "2", "--repo", repo, "--db", str(spawned), env=env)
    assert done.returncode == 0, done.stderr
    assert len(zygote.forked()) in (1, 2)
    stored = states(forked)
    assert sum(digest is not None for _status, digest in stored.values()) >= 5
    assert any(digest is None for _status, digest in stored.values())  # the broken step
    assert stored == states(spawned)


def test_another_start_up_environment_starts_its_own_server(
    fresh_demo: IndexedDemo, zygote: Zygote
) -> None:
    other = "C" if os.environ.get("LC_ALL") != "C" else "C.UTF-8"
    env = {ZYGOTE_VARIABLE: zygote.socket, "LC_ALL": other}
    db = str(fresh_demo.db)
    done = run_cli("index", "--repo", str(fresh_demo.repo), "--db", db, env=env)
    assert done.returncode == 0, done.stderr
    assert " 15 built" in done.stdout
    assert zygote.forked() == []


def test_what_the_zygote_refuses() -> None:
    own = build_environment()  # a zygote's environment, as the pool gives it to its servers
    same = {"executable": sys.executable, "env": own}
    assert refusal(same, own) is None
    assert refusal({**same, "executable": "/usr/bin/python3.9"}, own) == (
        "another interpreter (/usr/bin/python3.9)"
    )
    hashed = {**same, "env": {**own, "PYTHONHASHSEED": "1"}}
    assert refusal(hashed, own) == "another PYTHONHASHSEED"
    assert refusal({**same, "env": {**own, "PATH": "/elsewhere"}}, own) is None  # set per server


def test_a_bad_request_is_refused_and_the_zygote_serves_on(
    zygote: Zygote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = os.pipe()
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
        connection.connect(zygote.socket)
        socket.send_fds(connection, [b"[1, 2"], [reader, writer])
        assert json.loads(connection.recv(1024)) == {"refused": "not a request"}
    os.close(reader)
    os.close(writer)
    monkeypatch.setenv(ZYGOTE_VARIABLE, zygote.socket)
    forked = forked_server(build_environment(), str(tmp_path))
    assert forked is not None and zygote.forked() == [forked.pid]
    assert forked.stdout is not None and json.loads(forked.stdout.readline()) == {"ready": True}
    os.killpg(forked.pid, signal.SIGTERM)
    assert forked.wait(timeout=10) == 0
