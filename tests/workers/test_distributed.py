"""Builds on other machines, for real: `index --workers` queues on a real RabbitMQ (or Redis)
broker, real `lineage-history worker` processes build from their own clones into a real
PostgreSQL schema, one of them is killed (SIGKILL) in the middle of a build, and the stored
history must be the one a local `index` stores, node for node.

Set LINEAGE_HISTORY_TEST_PG to run the PostgreSQL ones (as tests/test_postgres.py);
LINEAGE_HISTORY_TEST_BROKER and LINEAGE_HISTORY_TEST_REDIS name the brokers (default: the
local RabbitMQ and Redis); a broker that does not answer skips its tests.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from lineage_history.repo.clone import WORK_DIRNAME
from lineage_history.workers.celery_app import make_app, queue_name
from tests.fixtures import (
    PG_URL,
    PYPROJECT,
    Repo,
    build_processes_in,
    fresh_pg_schema,
    git,
    run_cli,
    wait_for,
)

RABBITMQ = os.environ.get("LINEAGE_HISTORY_TEST_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
REDIS = os.environ.get("LINEAGE_HISTORY_TEST_REDIS", "redis://127.0.0.1:6379/15")
LH = (sys.executable, "-m", "lineage_history")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


needs_pg = pytest.mark.skipif(not PG_URL, reason="needs LINEAGE_HISTORY_TEST_PG")


def _broker(url: str) -> Any:
    return pytest.mark.skipif(not _answers(url), reason=f"no broker answers at {url}")


def _module(seconds: float, variant: int) -> str:
    """A tagged pipeline module that sleeps when imported (a build takes `seconds`)."""
    pii = "true" if variant % 2 else "false"
    return (
        "import time\n\nfrom hamilton.function_modifiers import tag\n\n"
        f"time.sleep({seconds})\n\n\n"
        f'@tag(owner="team-{variant % 3}", PII="{pii}")\n'
        f"def a(x: int) -> int:\n    return x + {variant}\n\n\n"
        "def b(a: int) -> int:\n    return a * 2\n"
    )


def _history_repo(root: Path, builds: int, seconds: float) -> Repo:
    """`builds` commits that each need a build of their own, one commit that reuses a build,
    and one whose build fails; its root commit is new, so is its queue."""
    repo = Repo(root)
    repo.commit("config", {"pyproject.toml": PYPROJECT, "README": f"run {uuid.uuid4()}\n"})
    for variant in range(builds):
        repo.commit(f"v{variant}", {"pipe/m.py": _module(seconds, variant)})
        if variant == 1:
            repo.commit("docs only", {"README": "docs\n"})  # the same key as v1
    repo.commit("broken", {"pipe/m.py": "raise RuntimeError('broken on purpose')\n"})
    return repo


def _clone(source: Path, into: Path) -> Path:
    git(source.parent, "clone", "-q", str(source), str(into))
    return into


class Worker:
    """A real `lineage-history worker` process and what it logged."""

    def __init__(self, broker: str, clone: Path, db: str, log: Path) -> None:
        self.broker, self.clone, self.log = broker, clone, log
        env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
        self.process = subprocess.Popen(
            [*LH, "worker", "--broker", broker, "--repo", str(clone), "--db", db, "-c", "1"],
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
            env=env,
        )

    def ready(self) -> bool:
        """Whether it consumes its queue (it says so then)."""
        return "serving lineage-history." in self.log.read_text()

    def built(self) -> list[str]:
        """The keys (12 characters) this worker built and stored, failed builds included."""
        return re.findall(r"^(?:built|failed) (\w{12}) ", self.log.read_text(), re.MULTILINE)

    def building(self) -> bool:
        """Whether a build is in flight (its directory exists only while it runs)."""
        return any((self.clone / ".git" / WORK_DIRNAME).glob("build-*"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """The workers a test starts; stopped at its end whatever happened, and the queues they
    served (durable on RabbitMQ, and named by a root commit no other test has) deleted."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()
    for broker, clone in {(w.broker, w.clone) for w in started}:
        _drop_queue(broker, clone)


def _queue(broker: str, repo: Path, delete: bool) -> int:
    """How many messages wait on the queue of `repo`; or delete it (it is durable on
    RabbitMQ, and its name, from the root commit, is this test's own)."""
    app = make_app(broker)
    queue = queue_name(set(git(repo, "rev-list", "--max-parents=0", "HEAD").split()))
    try:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            if delete:
                channel.queue_delete(queue)
                if broker.startswith("redis"):  # kombu keeps its bindings in keys of their own
                    channel.client.delete(f"_kombu.binding.{queue}")
                    channel.client.delete(f"_kombu.binding_permanent.{queue}")
                return 0
            return channel.queue_declare(queue, passive=True).message_count
    finally:
        app.close()


def _drop_queue(broker: str, repo: Path) -> None:
    _queue(broker, repo, delete=True)


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


STATES = """
SELECT c.sha, c.position, c.subject, cd.dag, cd.status, cd.error, b.key, b.status, b.error,
       b.stubbed, s.digest, s.config, s.node_count
FROM commits c JOIN commit_dags cd ON cd.commit_id = c.id
LEFT JOIN builds b ON b.id = cd.build_id LEFT JOIN snapshots s ON s.id = b.snapshot_id
ORDER BY c.sha, cd.dag
"""
NODES = """
SELECT c.sha, cd.dag, nv.name, nv.type, nv.role, nv.dependencies, nv.tags, nv.code, nv.doc,
       nv.module, nv.function, nv.digest
FROM commits c JOIN commit_dags cd ON cd.commit_id = c.id
JOIN builds b ON b.id = cd.build_id JOIN snapshot_nodes sn ON sn.snapshot_id = b.snapshot_id
JOIN node_versions nv ON nv.id = sn.node_version_id
ORDER BY c.sha, cd.dag, nv.name
"""
TAGS = """
SELECT nv.digest, t.key, t.value FROM node_tags t JOIN node_versions nv ON nv.id = t.node_version_id
ORDER BY 1, 2, 3
"""
BUILDS = "SELECT key, status, error, stubbed FROM builds ORDER BY key"


def _history(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """What an index stores, without ids, times or durations."""
    parts = {"states": STATES, "nodes": NODES, "tags": TAGS, "builds": BUILDS}
    return {name: _rows(url, sql) for name, sql in parts.items()}


def _index_with_workers(broker: str, repo: Path, db: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    return subprocess.Popen(
        [*LH, "index", "--workers", broker, "--repo", str(repo), "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _assert_same_as_local(
    repo: Path, distributed: str, jobs: int
) -> dict[str, list[tuple[Any, ...]]]:
    with fresh_pg_schema("lh_local") as local:
        done = run_cli("index", "--jobs", str(jobs), "--repo", str(repo), "--db", local)
        assert done.returncode == 0, done.stderr
        expected = _history(local)
    found = _history(distributed)
    for part in expected:
        assert found[part] == expected[part], part
    return found


@needs_pg
@_broker(RABBITMQ)
@pytest.mark.slow
def test_a_worker_killed_mid_build_loses_nothing_and_builds_nothing_twice(
    tmp_path: Path, workers: list[Worker]
) -> None:
    repo = _history_repo(tmp_path / "origin", builds=5, seconds=1.2)
    with fresh_pg_schema("lh_workers") as db:
        for name in ("a", "b"):  # two machines: a clone each
            clone = _clone(repo.path, tmp_path / f"clone-{name}")
            workers.append(Worker(RABBITMQ, clone, db, tmp_path / f"worker-{name}.log"))
        doomed, survivor = workers
        wait_for(lambda: doomed.ready() and survivor.ready())
        index = _index_with_workers(RABBITMQ, repo.path, db)
        try:
            wait_for(lambda: doomed.building() and len(doomed.built() + survivor.built()) >= 2)
            doomed.process.send_signal(signal.SIGKILL)
            stdout, stderr = index.communicate(timeout=120)
        finally:
            index.kill()
        assert index.returncode == 0, stderr
        assert "8 commits seen, 8 new" in stdout and "(interrupted)" not in stdout, stdout
        assert doomed.process.wait() == -signal.SIGKILL
        # Its build server and the build it was running died with it.
        wait_for(lambda: not build_processes_in(doomed.clone / ".git" / WORK_DIRNAME), 10)
        by_doomed, by_survivor = doomed.built(), survivor.built()
        assert by_doomed and by_survivor  # both took part
        stored = _assert_same_as_local(repo.path, db, jobs=2)
        keys = [row[0][:12] for row in stored["builds"]]
        assert len(keys) == 6  # five variants and the broken one; "docs only" reused v1's
        # Each build was stored by exactly one worker: the killed one's is redone elsewhere.
        assert sorted(by_doomed + by_survivor) == sorted(keys)
        again = run_cli("index", "--repo", str(repo.path), "--db", db)
        assert again.returncode == 0 and "0 new" in again.stdout, again.stdout


@needs_pg
@_broker(REDIS)
@pytest.mark.slow
def test_redis_broker_a_worker_fetches_what_its_clone_lacks_and_stores_what_local_does(
    tmp_path: Path, workers: list[Worker]
) -> None:
    repo = _history_repo(tmp_path / "origin", builds=3, seconds=0)
    with fresh_pg_schema("lh_workers") as db:
        clone = _clone(repo.path, tmp_path / "clone")
        late = repo.commit("after the clone", {"pipe/m.py": _module(0, 99)})
        workers.append(Worker(REDIS, clone, db, tmp_path / "worker.log"))
        index = _index_with_workers(REDIS, repo.path, db)
        stdout, stderr = index.communicate(timeout=120)
        assert index.returncode == 0, stderr
        assert "7 commits seen, 7 new" in stdout and "1 failed" in stdout, stdout
        assert f"fetching: commit {late[:10]} is not in the clone yet" in workers[0].log.read_text()
        _assert_same_as_local(repo.path, db, jobs=1)  # builds of no time: one server


@needs_pg
@_broker(RABBITMQ)
@pytest.mark.slow
def test_with_no_worker_the_indexer_says_so_and_what_ctrl_c_left_queued_is_built_once(
    tmp_path: Path, workers: list[Worker]
) -> None:
    repo = _history_repo(tmp_path / "origin", builds=1, seconds=0)
    with fresh_pg_schema("lh_workers") as db:
        index = _index_with_workers(RABBITMQ, repo.path, db)
        assert index.stderr is not None
        for line in index.stderr:  # progress lines first, then the notice (after 5 s)
            if "which no worker serves yet" in line:
                break
        index.send_signal(signal.SIGINT)
        stdout, _ = index.communicate(timeout=30)
        assert index.returncode == 130 and "(interrupted)" in stdout, stdout
        assert "3 commits seen, 3 new" in stdout, stdout
        assert _queue(RABBITMQ, repo.path, delete=False) == 2  # left for workers to come
        # A second run queues the same two keys again; a worker comes and serves all four
        # jobs: it builds each key once and finds it stored the second time.
        again = _index_with_workers(RABBITMQ, repo.path, db)
        wait_for(lambda: _queue(RABBITMQ, repo.path, delete=False) == 4)
        workers.append(Worker(RABBITMQ, _clone(repo.path, tmp_path / "clone"), db,
                              tmp_path / "worker.log"))  # fmt: skip
        stdout, stderr = again.communicate(timeout=120)
        assert again.returncode == 0, stderr
        # The first run recorded the commit that needed no build before it was stopped.
        assert "2 new; 2 (commit, DAG) states: 0 built, 2 reused" in stdout, stdout
        assert len(workers[0].built()) == 2
        _assert_same_as_local(repo.path, db, jobs=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "--workers", "amqp://guest:guest@127.0.0.1:1//", "--db", "postgresql://h/d"],
         "cannot reach the broker at amqp://guest:***@127.0.0.1:1//"),
        (["index", "--workers", "redis://127.0.0.1:1/0", "--db", "postgresql://h/d"],
         "cannot reach the broker at redis://127.0.0.1:1/0"),
        (["index", "--workers", "http://broker", "--db", "postgresql://h/d"],
         "unsupported broker URL"),
        (["index", "--workers", RABBITMQ, "--db", "lineage.sqlite"],
         "--workers needs a database the workers share, not the SQLite file"),
        (["index", "--workers", RABBITMQ], "--workers needs a database the workers share"),
        (["worker", "--broker", RABBITMQ, "--db", "lineage.sqlite"],
         "`worker` needs a database the workers share, not the SQLite file"),
        (["worker", "--broker", "redis://127.0.0.1:1/0", "--db", "postgresql://h/d"],
         "cannot reach the broker"),
    ],
)  # fmt: skip
def test_bad_worker_input_is_one_line_and_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit("config", {"pyproject.toml": PYPROJECT})
    done = run_cli(*args, "--repo", str(repo.path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert message in done.stderr, done.stderr


_WITHOUT_CELERY = """
import sys
sys.modules["celery"] = None  # as if the `workers` extra were not installed
from lineage_history.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize(
    "command", [["index", "--workers", RABBITMQ], ["worker", "--broker", RABBITMQ]]
)
def test_without_celery_the_worker_paths_say_what_to_install(
    tmp_path: Path, command: list[str]
) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit("config", {"pyproject.toml": PYPROJECT})
    where = ["--repo", str(repo.path), "--db", "postgresql://h/d"]
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_CELERY, *command, *where],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "pip install 'lineage-history[workers]'" in done.stderr, done.stderr
