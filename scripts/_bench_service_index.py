"""The indexing side of `bench_service.py`: PostgreSQL schemas, concurrent index runs, checks.

Each PostgreSQL measurement gets a fresh schema; `run_concurrently` starts index processes
together and measures their wall and CPU time (and the local server's); `database_facts` and
`index_checks` tell whether a key was built twice, a commit missed or a claim left.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _bench_common import child_env, line, table
from _bench_phase import proc_stats
from sqlalchemy import create_engine, text

from lineage_history.store.urls import database_url

# `IndexResult.summary()`: commits, then (commit, DAG) states; `failed` counts commits.
SUMMARY = re.compile(
    r"(?P<seen>\d+) commits? seen, (?P<new>\d+) new"
    r"(?:; \d+ \(commit, DAG\) states?: (?P<built>\d+) built[^,]*, "
    r"(?P<reused>\d+) reused from identical builds(?:, \d+ without a build)?; "
    r"\d+ failed(?: \(in (?P<failed>\d+) commits?\))?)?"
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Schemas:
    """Fresh PostgreSQL schemas, each created before and dropped after its measurement."""

    def __init__(self, server_url: str) -> None:
        self.server_url = database_url(server_url, None)
        self.admin = create_engine(self.server_url)
        self.live: list[str] = []
        self.used: list[str] = []

    def create(self, label: str) -> str:
        schema = f"lh_bench_{label}_{uuid.uuid4().hex[:8]}"
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.live.append(schema)
        self.used.append(schema)
        separator = "&" if "?" in self.server_url else "?"
        return f"{self.server_url}{separator}options=-csearch_path%3D{schema}"

    def drop(self, url: str) -> None:
        schema = url.rsplit("%3D", 1)[1]
        with self.admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.live.remove(schema)

    def close(self) -> None:
        for schema in list(self.live):
            with self.admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            self.live.remove(schema)
        self.admin.dispose()


def postgres_server_cpu(url: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL server processes on this machine: every
    `postgres` process's own time plus what the postmaster's exited children (the backends of
    closed connections) used. None when the server is not local or cannot be seen."""
    host = urlsplit(database_url(url, None).replace("+psycopg", "")).hostname or "localhost"
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    processes: dict[int, tuple[int, float, float]] = {}  # pid -> (ppid, own, children)
    for pid, name, fields in proc_stats():
        if name != b"postgres":
            continue
        own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        children = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
        processes[pid] = (int(fields[1]), own, children)
    if not processes:
        return None
    total = sum(own for _, own, _ in processes.values())
    total += sum(kids for ppid, _, kids in processes.values() if ppid not in processes)
    return total


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_concurrently(
    commands: list[tuple[list[str], Path]], scratch: Path, label: str, pg_url: str | None
) -> dict[str, Any]:
    """Start every command at once; wall time until the last exits, each one's own time,
    CPU of their process trees (and of the local PostgreSQL server), and their output."""
    server_before = postgres_server_cpu(pg_url) if pg_url else None
    cpu_before = children_cpu()
    processes: list[subprocess.Popen[bytes]] = []
    ends: list[float] = [0.0] * len(commands)
    files = []
    started = time.perf_counter()
    try:
        for number, (argv, cwd) in enumerate(commands):
            out = open(scratch / f"{label}-{number}.out", "wb")  # noqa: SIM115
            err = open(scratch / f"{label}-{number}.err", "wb")  # noqa: SIM115
            files += [out, err]
            processes.append(
                subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, env=child_env())
            )

        def wait(number: int) -> None:
            processes[number].wait()
            ends[number] = time.perf_counter()

        waiters = [threading.Thread(target=wait, args=(n,)) for n in range(len(processes))]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join()
    finally:
        for process in processes:  # only on an exception: ours, by pid
            if process.poll() is None:
                process.kill()
                process.wait()
        for handle in files:
            handle.close()
    wall = max(ends) - started
    cpu = children_cpu() - cpu_before
    server = None
    if server_before is not None:
        time.sleep(0.5)  # the backends of the closed connections exit and are reaped
        after = postgres_server_cpu(pg_url or "")
        server = None if after is None else after - server_before
    workers = [
        worker(scratch / f"{label}-{number}", process.returncode, ends[number] - started)
        for number, process in enumerate(processes)
    ]
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "server_cpu_seconds": server,
        "workers": workers,
    }


def worker(files: Path, returncode: int, seconds: float) -> dict[str, Any]:
    """One index process: its status, time, summary line and figures, and its stderr."""
    out = files.with_suffix(".out").read_text()
    err = files.with_suffix(".err").read_text()
    match = SUMMARY.search(out)
    return {
        "returncode": returncode,
        "seconds": seconds,
        "summary": match.group(0) if match else out.strip()[-300:],
        **{
            key: int(match.group(key) or 0) if match else None
            for key in ("seen", "new", "built", "reused", "failed")
        },
        "stderr": err.strip(),
    }


def planner_statistics(url: str) -> dict[str, Any]:
    """Whether autovacuum is on, and whether the schema's busiest tables were analyzed."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            autovacuum = connection.execute(text("SHOW autovacuum")).scalar_one()
            rows = connection.execute(
                text(
                    "SELECT relname, last_analyze, last_autoanalyze FROM pg_stat_user_tables "
                    "WHERE schemaname = current_schema() AND relname IN "
                    "('commits', 'commit_dags', 'builds', 'snapshot_nodes', 'node_versions')"
                )
            ).all()
    finally:
        engine.dispose()
    analyzed = bool(rows) and all(r.last_analyze or r.last_autoanalyze for r in rows)
    return {"autovacuum": autovacuum, "analyzed": analyzed}


def analyze_schema(url: str) -> None:
    """ANALYZE the tables of this schema only (a bare ANALYZE would cover the database)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            for table_name in list(tables):
                connection.execute(text(f'ANALYZE "{table_name}"'))
    finally:
        engine.dispose()


def database_facts(url: str) -> dict[str, int]:
    """Counts that show whether anything was built twice, missed or duplicated."""
    engine = create_engine(url)
    queries = {
        "repositories": "SELECT count(*) FROM repositories",
        "commits": "SELECT count(*) FROM commits",
        "duplicate_commits": "SELECT count(*) FROM (SELECT repository_id, sha FROM commits "
        "GROUP BY repository_id, sha HAVING count(*) > 1) AS duplicates",
        "commit_dags": "SELECT count(*) FROM commit_dags",
        "failed_commits": "SELECT count(DISTINCT commit_id) FROM commit_dags "
        "WHERE status = 'failed'",
        "builds": "SELECT count(*) FROM builds",
        "distinct_keys": "SELECT count(DISTINCT key) FROM builds",
        "failed_builds": "SELECT count(*) FROM builds WHERE status <> 'ok'",
        "snapshots": "SELECT count(*) FROM snapshots",
        "claims_left": "SELECT count(*) FROM build_claims",
    }
    try:
        with engine.connect() as connection:
            return {key: connection.execute(text(sql)).scalar_one() for key, sql in queries.items()}
    finally:
        engine.dispose()


def index_checks(
    facts: dict[str, int], run: dict[str, Any], commits: int, expected_keys: int | None
) -> dict[str, bool]:
    built = sum(w["built"] or 0 for w in run["workers"])
    checks = {
        "workers succeeded": all(w["returncode"] == 0 for w in run["workers"]),
        "builds reported == builds rows == distinct keys": built
        == facts["builds"]
        == facts["distinct_keys"],
        "every commit indexed": facts["commits"] == commits
        and facts["commit_dags"] == commits
        and facts["repositories"] == 1,
        "no duplicate commit rows": facts["duplicate_commits"] == 0,
        "no claim left": facts["claims_left"] == 0,
        "no failed build": facts["failed_builds"] == 0 and facts["failed_commits"] == 0,
    }
    if expected_keys is not None:
        checks["distinct keys == SQLite reference"] = facts["distinct_keys"] == expected_keys
    return checks


def report_index_run(run: dict[str, Any]) -> None:
    line(f"  {run['label']}: {run['wall_seconds']:.2f} s")
    for number, worker in enumerate(run["workers"]):
        status = "" if worker["returncode"] == 0 else f" EXIT {worker['returncode']}"
        line(f"    worker {number}: {worker['seconds']:.2f} s  {worker['summary']}{status}")
        for note in worker["stderr"].splitlines()[-3:]:
            line(f"      stderr: {note}")
    bad = [name for name, ok in run["checks"].items() if not ok]
    if bad:
        line(f"    CHECK FAILED: {', '.join(bad)}; database: {run['facts']}")


def index_table(runs: list[dict[str, Any]], cores: int) -> None:
    one = next(
        (r for r in runs if r["backend"] == "PostgreSQL" and r["processes"] == r["jobs"] == 1),
        None,
    )
    rows = [
        [
            "run",
            "wall",
            "vs 1",
            "CPU clients",
            "CPU server",
            "built",
            "rows",
            "keys",
            "commits",
            "dup",
            "claims",
            "checks",
        ]
    ]
    for r in runs:
        facts = r["facts"]
        speedup = (
            f"{one['wall_seconds'] / r['wall_seconds']:.2f}x"
            if one and r["backend"] == "PostgreSQL"
            else "-"
        )
        server = r["server_cpu_seconds"]
        rows.append(
            [
                r["label"],
                f"{r['wall_seconds']:.1f} s",
                speedup,
                f"{r['cpu_seconds']:.1f} s",
                "-" if server is None else f"{server:.1f} s",
                str(sum(w["built"] or 0 for w in r["workers"])),
                str(facts["builds"]),
                str(facts["distinct_keys"]),
                str(facts["commits"]),
                str(facts["duplicate_commits"]),
                str(facts["claims_left"]),
                "ok" if all(r["checks"].values()) else "FAILED",
            ]
        )
    line("")
    table(rows)
    line(
        "  built: sum of the workers' 'N built'; rows: rows of `builds`; keys: distinct keys "
        "(each must equal the SQLite reference's keys); dup: duplicate commit rows; claims: "
        "build claims left. CPU clients: user+system of the index processes and their build "
        "servers; CPU server: the local PostgreSQL processes."
    )
    line(
        f"  this machine has {cores} cores: {cores} workers can at best halve the wall time, "
        f"and more than {cores} cannot beat {cores} (they share the same cores)"
        if cores == 2
        else f"  this machine has {cores} cores: more workers than that cannot be faster"
    )
