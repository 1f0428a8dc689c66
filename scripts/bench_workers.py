#!/usr/bin/env python
"""Does `index --workers` scale? One worker against two, in the same run, on the
application-shaped history of `_app_repo.py` (pipeline modules that build their own drivers
over shared helpers: most commits change every pipeline's build key).

Each configuration indexes the same history into a fresh PostgreSQL schema, timed from the
`index` command's start to its exit. The workers start before the clock, each from a clone
of its own as on separate machines; their build servers do not (each worker's first build
pays the Hamilton import, as in production):

- `local -j1`: a plain `index --jobs 1` (no broker), the single-machine reference;
- `1 worker`: `index --workers` with one `worker --concurrency 1`: the baseline;
- `2 workers`: the same with two such workers.

It prints seconds, builds per second and the ratio of each to the baseline, then what the
measured serial part (the indexer's planning and recording, the per-build broker and database
round trips) implies for N machines: the workers' CPU seconds per build divide by N, the
indexer's do not.

    python scripts/bench_workers.py                       # 40 commits, 12 pipelines, best of 2
    python scripts/bench_workers.py --commits 80 --pipelines 20 --broker redis://127.0.0.1:6379/14
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _app_repo import generate

LH = [sys.executable, "-m", "lineage_history"]
PG = os.environ.get("LINEAGE_HISTORY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}


class Schema:
    """A fresh PostgreSQL schema and a URL whose connections use it."""

    def __init__(self, base: str) -> None:
        self.name = f"lh_bench_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(base)
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.name}"'))
        separator = "&" if "?" in base else "?"
        self.url = f"{base}{separator}options=-csearch_path%3D{self.name}"

    def count(self, sql: str) -> int:
        with self.admin.connect() as connection:
            connection.execute(text(f'SET search_path TO "{self.name}"'))
            return int(connection.execute(text(sql)).scalar_one())

    def drop(self) -> None:
        with self.admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.admin.dispose()


def _start_worker(broker: str, clone: Path, db: str, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*LH, "worker", "--broker", broker, "--repo", str(clone), "--db", db, "-c", "1"],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        env=_env(),
    )
    deadline = time.monotonic() + 60
    while "serving" not in log.read_text():  # logged once it consumes
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start: {log.read_text()}")
        time.sleep(0.1)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _children_cpu() -> float:
    """CPU seconds of the children this process has waited for (and of theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _index(repo: Path, db: str, extra: list[str]) -> tuple[float, float, str]:
    """The wall-clock and CPU seconds of one `index` (its own children included), and its
    summary line."""
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [*LH, "index", "--repo", str(repo), "--db", db, *extra],
        capture_output=True,
        text=True,
        env=_env(),
    )
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"index failed ({done.returncode}): {done.stdout}{done.stderr}")
    return seconds, cpu, done.stdout.strip().splitlines()[-1]


def _run(name: str, repo: Path, clones: list[Path], broker: str, work: Path) -> dict:
    """One configuration: its seconds, builds stored, the CPU seconds of the indexer and of
    the workers (their build servers included)."""
    schema = Schema(PG)
    workers = [
        _start_worker(broker, clone, schema.url, work / f"{name}-{i}.log")
        for i, clone in enumerate(clones)
    ]
    try:
        extra = ["--workers", broker] if clones else ["--jobs", "1"]
        seconds, indexer_cpu, summary = _index(repo, schema.url, extra)
        builds = schema.count("SELECT count(*) FROM builds")
        noop, noop_cpu, _ = _index(repo, schema.url, extra)  # start-up and listing: no build
    finally:
        before = _children_cpu()
        for process in workers:
            _stop(process)
        workers_cpu = _children_cpu() - before
        schema.drop()
    print(f"  {name:<10} {seconds:7.1f} s  {builds} builds  ({summary})", flush=True)
    return {
        "seconds": seconds,
        "builds": builds,
        "indexer": indexer_cpu,
        "indexer_fixed": noop_cpu,
        "noop": noop,
        "workers": workers_cpu,
        "count": len(clones),
    }


def _idle_worker_cpu(broker: str, clone: Path, work: Path) -> float:
    """The CPU seconds of a worker that starts, builds nothing and stops."""
    schema = Schema(PG)
    try:
        process = _start_worker(broker, clone, schema.url, work / "idle.log")
        before = _children_cpu()
        _stop(process)
        return _children_cpu() - before
    finally:
        schema.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=40)
    parser.add_argument("--pipelines", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2, help="each configuration's best of")
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as scratch:
        work = Path(scratch)
        # The queue is named by the root commit, the same for the same arguments: run one
        # benchmark at a time on a broker.
        app = generate(work / "origin", args.commits, pipelines=args.pipelines, other_files=200)
        clones = []
        for i in range(2):
            clone = work / f"clone-{i}"
            subprocess.run(["git", "clone", "-q", str(app.path), str(clone)], check=True)
            clones.append(clone)
        print(f"{args.commits} commits, {args.pipelines} pipelines, broker {args.broker}, "
              f"{os.cpu_count()} cores, best of {args.rounds}", flush=True)  # fmt: skip
        configurations = {"local -j1": [], "1 worker": clones[:1], "2 workers": clones}
        results: dict[str, dict] = {}
        for _ in range(args.rounds):  # interleaved: a load that comes and goes hits all
            for name, serving in configurations.items():
                found = _run(name, app.path, serving, args.broker, work)
                if name not in results or found["seconds"] < results[name]["seconds"]:
                    results[name] = found
        idle = _idle_worker_cpu(args.broker, clones[0], work)
        _drop_queue(args.broker, app.path)
    _report(results, idle)


def _drop_queue(broker: str, repo: Path) -> None:
    """The queue is durable on RabbitMQ: delete it."""
    from lineage_history.repo.clone import repository_identity
    from lineage_history.repo.git import GitRepo
    from lineage_history.workers.celery_app import make_app, queue_name

    roots, _ = repository_identity(GitRepo(str(repo)))
    celery = make_app(broker)
    with celery.connection_for_write() as connection:
        connection.default_channel.queue_delete(queue_name(roots))
    celery.close()


def _report(results: dict[str, dict], idle_worker: float) -> None:
    base = results["1 worker"]
    print(f"\n{'configuration':<14}{'seconds':>9}{'builds/s':>10}{'vs 1 worker':>13}"
          f"{'indexer CPU s':>15}{'workers CPU s':>15}")  # fmt: skip
    for name, found in results.items():
        rate, ratio = found["builds"] / found["seconds"], base["seconds"] / found["seconds"]
        workers = f"{found['workers']:15.1f}" if found["workers"] else f"{'-':>15}"
        print(f"{name:<14}{found['seconds']:9.1f}{rate:10.2f}{ratio:12.2f}x"
              f"{found['indexer']:15.1f}{workers}")  # fmt: skip
    _project(results, idle_worker)


def _project(results: dict[str, dict], idle_worker: float) -> None:
    """N machines of one build slot each, from the one-worker run. Apart from a fixed part
    (a no-op `index --workers`: start-up, planning, the broker), the one-worker run is one
    worker's wall-clock time per build, which divides by N; the indexer's CPU time per build
    does not (one process queues, collects and records everything)."""
    base = results["1 worker"]
    builds, fixed = base["builds"], base["noop"]
    per_build = (base["seconds"] - fixed) / builds
    indexer = max(0.001, base["indexer"] - base["indexer_fixed"]) / builds
    worker_cpu = max(0.0, base["workers"] - idle_worker) / builds
    ms = {"build": per_build * 1000, "cpu": worker_cpu * 1000, "indexer": indexer * 1000}
    print(f"\none worker: {ms['build']:.0f} ms per build ({ms['cpu']:.0f} ms of it CPU), "
          f"{fixed:.1f} s fixed; the indexer: {ms['indexer']:.0f} ms of CPU per build, a cap "
          f"of {1 / indexer:.0f} builds/s, reached with {per_build / indexer:.0f} build "
          "slots")  # fmt: skip
    measured = results["2 workers"]["seconds"]
    for machines in (1, 2, 4, 8, 16, 32):
        projected = fixed + builds * max(per_build / machines, indexer)
        seen = f" (measured {measured:.1f} s)" if machines == 2 else ""
        print(f"  {machines:>2} machine(s) of one build slot: {projected:6.1f} s, "
              f"{base['seconds'] / projected:5.2f}x the one-worker run{seen}")  # fmt: skip


if __name__ == "__main__":
    main()
