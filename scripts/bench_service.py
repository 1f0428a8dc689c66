#!/usr/bin/env python
"""Benchmark of lineage-history as a shared service on PostgreSQL (issue 6).

In one run it:

1. generates the benchmark repository of `bench_index.py` (`_bench_repo.py`: default 1,000
   commits, a 100+ node Hamilton pipeline changed by about one commit in ten, 2,000 other
   files) and makes one `git clone` of it per worker (before any timing);
2. indexes it once into SQLite with one `lineage-history index --jobs 2` (the reference: it
   also gives the number of distinct build keys of the history);
3. indexes it into PostgreSQL with 1, 2 and 4 concurrent workers, each a separate
   `lineage-history index --jobs 1` process in its own clone, all started at once against
   the same fresh schema; the wall time runs from the start of the first to the exit of the
   last; then one process with the reference's `--jobs` on PostgreSQL (the same work as the
   reference, on the other database). It also records the CPU time of the workers' process
   trees and, when the server runs on this machine, of the PostgreSQL server. After each run
   it checks that every worker succeeded, that the builds the workers report ("N built") add
   up to the rows of `builds` and to the distinct keys of the reference (no key built twice),
   that every commit is indexed once (no duplicate commit rows) and that no claim is left;
4. measures query latency on both databases: `diff A B`, `log NODE`, `show HEAD --tag KEY`,
   `upstream NODE`, `downstream NODE` and `blame KEY` (all `--format json`, nodes and tags of
   the generated pipeline) end to end as processes, N times each (median, min, max), and
   checks that both databases give the same answers; then the same calls inside one Python
   process (`_bench_inproc.py`: the database is opened once, each call is timed many times
   with the snapshot cache cleared, so what is left is the database work and the computation,
   without process start-up, imports and opening). A freshly indexed PostgreSQL schema has no
   planner statistics until it is analyzed (autovacuum does that some time later, when it is
   on); the in-process calls are timed once in that state, then the benchmark runs ANALYZE on
   the schema's tables and every other query figure is taken after it.

Each PostgreSQL measurement uses a schema of its own (`?options=-csearch_path%3D<schema>`),
created before and dropped after. Figures are printed as tables; `--json FILE` saves them.

    python scripts/bench_service.py                  # the full benchmark (several minutes)
    python scripts/bench_service.py --quick          # a smoke run (a few dozen commits)
    python scripts/bench_service.py --pg postgresql+psycopg://user@host/db
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench_repo
from _bench_phase import proc_stats
from _bench_repo import git
from sqlalchemy import create_engine, text

from lineage_history.store.database import database_url

HERE = Path(__file__).resolve().parent
DEFAULT_PG = os.environ.get(
    "LINEAGE_HISTORY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SUMMARY = re.compile(
    r"(\d+) commits seen, (\d+) new: (\d+) built, (\d+) reused, (\d+) failed in ([\d.]+) s"
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- helpers --------------------------------------------------------------------------------


def lineage_history_command() -> list[str]:
    """The installed console script next to this interpreter (what a user runs)."""
    script = Path(sys.executable).parent / "lineage-history"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lineage_history"]


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}


def seconds_text(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s"


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


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
    workers = []
    for number, process in enumerate(processes):
        out = (scratch / f"{label}-{number}.out").read_text()
        err = (scratch / f"{label}-{number}.err").read_text()
        match = SUMMARY.search(out)
        workers.append(
            {
                "returncode": process.returncode,
                "seconds": ends[number] - started,
                "summary": match.group(0) if match else out.strip()[-300:],
                "seen": int(match.group(1)) if match else None,
                "new": int(match.group(2)) if match else None,
                "built": int(match.group(3)) if match else None,
                "reused": int(match.group(4)) if match else None,
                "failed": int(match.group(5)) if match else None,
                "stderr": err.strip(),
            }
        )
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "server_cpu_seconds": server,
        "workers": workers,
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


# -- choosing the queries -------------------------------------------------------------------


def reach(start: str, edges: dict[str, set[str]]) -> int:
    seen, stack = {start}, [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return len(seen) - 1


def pick_queries(repo: Path, db: str, shas: list[str]) -> list[tuple[str, str, list[str]]]:
    """(label, function, arguments) of the six queries, from the generated history: the node
    changed by the most commits, the nodes with the most upstream / downstream nodes."""
    shown = subprocess.run(
        [
            *lineage_history_command(),
            "show",
            "HEAD",
            "--format",
            "json",
            "--repo",
            str(repo),
            "--db",
            db,
        ],
        check=True,
        capture_output=True,
        text=True,
        env=child_env(),
    )
    nodes = json.loads(shown.stdout)["nodes"]
    names = {n["name"] for n in nodes}
    producers = {n["name"]: set(n["dependencies"]) for n in nodes}
    consumers: dict[str, set[str]] = {}
    for name, deps in producers.items():
        for dep in deps:
            consumers.setdefault(dep, set()).add(name)
    up = max(sorted(names), key=lambda n: reach(n, producers))
    down = max(sorted(names), key=lambda n: reach(n, consumers))
    subjects = git(repo, "log", "--format=%s", "--", _bench_repo.PIPELINE_PREFIX).splitlines()
    mentioned = Counter(
        word for subject in subjects for word in re.findall(r"\w+", subject) if word in names
    )
    logged = mentioned.most_common(1)[0][0] if mentioned else sorted(names)[0]
    base, head = shas[max(1, len(shas) // 20)], shas[-1]
    return [
        (f"diff {base[:10]} {head[:10]}", "diff", [base[:10], head[:10]]),
        (f"log {logged}", "log", [logged]),
        ("show HEAD --tag pii", "show", ["pii"]),
        (f"upstream {up}", "upstream", [up]),
        (f"downstream {down}", "downstream", [down]),
        ("blame owner", "blame", ["owner"]),
    ]


def cli_args(function: str, args: list[str]) -> list[str]:
    if function == "show":
        return ["show", "HEAD", "--tag", *args]
    return [function, *args]


def end_to_end(
    queries: list[tuple[str, str, list[str]]],
    backends: dict[str, str],
    repo: Path,
    runs: int,
    scratch: Path,
) -> tuple[dict[str, dict[str, list[float]]], dict[str, bool]]:
    """Each query as a process on each database: one untimed run (whose answers are compared),
    then `runs` timed runs, interleaved so that drift hits both databases alike."""
    lh = lineage_history_command()
    commands = {
        (label, backend): [
            *lh,
            *cli_args(function, args),
            "--format",
            "json",
            "--repo",
            str(repo),
            "--db",
            url,
        ]
        for label, function, args in queries
        for backend, url in backends.items()
    }
    answers: dict[tuple[str, str], Any] = {}
    for key, argv in commands.items():
        done = subprocess.run(argv, capture_output=True, text=True, env=child_env())
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr}")
        answers[key] = json.loads(done.stdout)
    agree = {
        label: len({json.dumps(answers[(label, b)], sort_keys=True) for b in backends}) == 1
        for label, _, _ in queries
    }
    times: dict[str, dict[str, list[float]]] = {
        label: {b: [] for b in backends} for label, *_ in queries
    }
    out = scratch / "query.out"
    for _ in range(runs):
        for label, _, _ in queries:
            for backend in backends:
                with open(out, "wb") as handle:
                    started = time.perf_counter()
                    done = subprocess.run(
                        commands[(label, backend)],
                        stdout=handle,
                        stderr=subprocess.PIPE,
                        env=child_env(),
                    )
                    times[label][backend].append(time.perf_counter() - started)
                if done.returncode != 0:
                    raise SystemExit(f"{label} on {backend} failed: {done.stderr.decode()}")
    return times, agree


def in_process(
    queries: list[tuple[str, str, list[str]]], repo: Path, url: str, calls: int, scratch: Path
) -> dict[str, Any]:
    out = scratch / f"inproc-{time.monotonic_ns()}.json"
    spec = {"repo": str(repo), "db": url, "calls": calls, "opens": 5, "queries": queries}
    subprocess.run(
        [sys.executable, str(HERE / "_bench_inproc.py"), str(out), json.dumps(spec)],
        check=True,
        env=child_env(),
    )
    result = json.loads(out.read_text())
    out.unlink()
    return result


# -- the run --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=1000, help="commits to generate")
    parser.add_argument("--files", type=int, default=2000, help="non-pipeline files")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workers",
        default="1,2,4",
        help="comma-separated numbers of concurrent PostgreSQL workers (default 1,2,4)",
    )
    parser.add_argument("--sqlite-jobs", type=int, default=2, help="--jobs of the SQLite run")
    parser.add_argument("--query-runs", type=int, default=7, help="timed runs of each command")
    parser.add_argument("--calls", type=int, default=30, help="timed in-process calls of each")
    parser.add_argument("--pg", default=DEFAULT_PG, help=f"PostgreSQL server URL ({DEFAULT_PG})")
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it (repository, clones)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes for a smoke run (a few dozen commits)"
    )
    parser.add_argument(
        "--bytecode-cache",
        action="store_true",
        help="let every process cache compiled bytecode in the working directory, as an "
        "installed package has its .pyc files (see bench_index.py)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.commits, args.files, args.query_runs, args.calls = 40, 200, 3, 5
    try:
        args.worker_counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error("--workers: comma-separated numbers, e.g. 1,2,4")
    if args.commits < 10 or min(args.worker_counts) < 1:
        parser.error("need at least 10 commits and 1 worker")
    return args


def line(text: str = "") -> None:
    print(text, flush=True)


def table(rows: Iterable[Iterable[str]], indent: str = "  ") -> None:
    rows = [list(r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        line(
            indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    if args.keep:  # absolute: the repository generator runs git in the repository
        args.keep = args.keep.resolve()
    root = args.keep or Path(tempfile.mkdtemp(prefix="lineage-bench-service-"))
    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            raise SystemExit(f"--keep {args.keep}: the directory is not empty")
        args.keep.mkdir(parents=True, exist_ok=True)
    scratch = root / "scratch"
    scratch.mkdir()
    repo, sqlite_db = root / "repo", root / "lineage.sqlite"
    sqlite_url = f"sqlite:///{sqlite_db}"
    lh = lineage_history_command()
    cores = os.cpu_count() or 1
    figures["environment"] = {
        "python": platform.python_version(),
        "cores": cores,
        "machine": platform.machine(),
        "git": git(Path.cwd(), "--version").strip(),
    }
    figures["parameters"] = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
    }
    schemas = Schemas(args.pg)
    try:
        with schemas.admin.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar_one()
    except Exception as exc:
        raise SystemExit(f"cannot reach PostgreSQL at {args.pg}: {exc}") from None
    figures["environment"]["postgresql"] = server
    line(
        f"lineage-history service benchmark: {args.commits} commits, {args.files} other files, "
        f"workers {args.workers} on PostgreSQL {server}, SQLite with --jobs {args.sqlite_jobs} "
        f"({cores} cores, Python {platform.python_version()})"
    )
    line(f"working directory: {root}")
    if args.bytecode_cache:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        line(f"bytecode cached in {root / 'pycache'} (--bytecode-cache)")
    elif os.environ.get("PYTHONDONTWRITEBYTECODE"):
        line(
            "note: PYTHONDONTWRITEBYTECODE is set: modules without .pyc files are compiled in "
            "every process (see --bytecode-cache)"
        )
    if max(args.worker_counts) > cores:
        line(
            f"note: this machine has {cores} cores: more than {cores} workers cannot be faster "
            f"than {cores}; the runs beyond show the cost of contention, not a speed-up"
        )
    try:
        # -- the repository and the clones --------------------------------------------------
        line("\n[repository]")
        started = time.perf_counter()
        generated = _bench_repo.generate(
            repo, args.commits, other_files=args.files, pipeline_share=0.1, seed=args.seed
        )
        shas = generated.shas
        clones = []
        for number in range(max(args.worker_counts)):
            clone = root / f"clone-{number}"
            subprocess.run(
                ["git", "clone", "-q", str(repo), str(clone)],
                check=True,
                env=_bench_repo.git_env(root),
            )
            clones.append(clone)
        prepared = time.perf_counter() - started
        line(
            f"  {len(shas)} commits ({len(generated.pipeline_commits)} change pipelines/), "
            f"{len(clones)} clones, in {prepared:.1f} s"
        )
        figures["commits"] = len(shas)
        figures["pipeline_commits"] = len(generated.pipeline_commits)
        # Warm-up (not timed): one build, so that the first timed run does not pay for
        # reading pandas, scikit-learn and Hamilton from disk.
        subprocess.run(
            [*lh, "index", shas[0], "--repo", str(clones[0]), "--db", str(scratch / "warm.sqlite")],
            check=True,
            capture_output=True,
            env=child_env(),
        )

        # -- indexing -----------------------------------------------------------------------
        line("\n[index] SQLite reference and PostgreSQL with concurrent workers")
        runs: list[dict[str, Any]] = []
        sqlite_run = run_concurrently(
            [
                (
                    [
                        *lh,
                        "index",
                        "--repo",
                        str(repo),
                        "--db",
                        str(sqlite_db),
                        "--jobs",
                        str(args.sqlite_jobs),
                    ],
                    repo,
                )
            ],
            scratch,
            "sqlite",
            None,
        )
        sqlite_facts = database_facts(sqlite_url)
        expected_keys = sqlite_facts["distinct_keys"]
        sqlite_run.update(
            backend="SQLite",
            label=f"SQLite, 1 process --jobs {args.sqlite_jobs}",
            processes=1,
            jobs=args.sqlite_jobs,
            facts=sqlite_facts,
            checks=index_checks(sqlite_facts, sqlite_run, len(shas), None),
        )
        runs.append(sqlite_run)
        report_index_run(sqlite_run)
        query_url = None
        # The workers (each `--jobs 1` in its own clone), then one process with the SQLite
        # run's --jobs on PostgreSQL: the same work as the reference, on the other database.
        plans = [(count, 1) for count in args.worker_counts] + [(1, args.sqlite_jobs)]
        for number, (count, jobs) in enumerate(plans):
            url = schemas.create(f"w{count}j{jobs}")
            commands = [
                ([*lh, "index", "--repo", str(clone), "--db", url, "--jobs", str(jobs)], clone)
                for clone in clones[:count]
            ]
            measured = run_concurrently(commands, scratch, f"pg-{count}-{jobs}", url)
            facts = database_facts(url)
            kind = "worker" if jobs == 1 else "process"
            measured.update(
                backend="PostgreSQL",
                label=f"PostgreSQL, {count} {kind}{'s' if count > 1 else ''} --jobs {jobs}",
                processes=count,
                jobs=jobs,
                facts=facts,
                checks=index_checks(facts, measured, len(shas), expected_keys),
            )
            runs.append(measured)
            report_index_run(measured)
            if number == len(plans) - 1:
                query_url = url  # kept for the queries, dropped at the end
            else:
                schemas.drop(url)
        figures["distinct_keys"] = expected_keys
        figures["index_runs"] = runs
        index_table(runs, cores)
        all_ok = all(all(r["checks"].values()) for r in runs)
        figures["index_checks_ok"] = all_ok

        # -- queries ------------------------------------------------------------------------
        assert query_url is not None
        queries = pick_queries(repo, sqlite_url, shas)
        backends = {"SQLite": sqlite_url, "PostgreSQL": query_url}
        line(
            f"\n[queries] end to end ({args.query_runs} timed runs of each command, after one "
            f"untimed) and in process ({args.calls} calls each), --repo {repo.name}"
        )
        # A fresh schema has no planner statistics until it is analyzed (by autovacuum, when
        # it is on, some time after the index run; lineage-history does not ANALYZE).
        statistics_state = planner_statistics(query_url)
        figures["postgresql_statistics"] = statistics_state
        unanalyzed = None
        if not statistics_state["analyzed"]:
            unanalyzed = in_process(queries, repo, query_url, args.calls, scratch)
        analyze_schema(query_url)
        line(
            f"  PostgreSQL autovacuum is {statistics_state['autovacuum']}; the indexed schema "
            + (
                "had no planner statistics: the in-process queries ran once so, then the "
                "benchmark ran ANALYZE on its tables; every other figure is after ANALYZE"
                if unanalyzed is not None
                else "was already analyzed; the benchmark ran ANALYZE on its tables again"
            )
        )
        times, agree = end_to_end(queries, backends, repo, args.query_runs, scratch)
        inproc = {
            b: in_process(queries, repo, url, args.calls, scratch) for b, url in backends.items()
        }
        figures["queries"] = query_figures(queries, times, inproc, agree, unanalyzed)
        figures["in_process_overhead"] = {
            b: {
                "import_seconds": inproc[b]["import_seconds"],
                "first_open_seconds": inproc[b]["open_seconds"][0],
                "open_seconds_median": statistics.median(inproc[b]["open_seconds"][1:]),
            }
            for b in backends
        }
        query_table(figures["queries"], figures["in_process_overhead"], args)
        figures["answers_agree"] = all(agree.values())
        schemas.drop(query_url)
    finally:
        schemas.close()
    figures["postgresql_schemas"] = schemas.used  # all dropped

    # -- summary ----------------------------------------------------------------------------
    line("\nsummary")
    if args.quick:
        line("  (--quick: too few commits for the figures to mean anything; a smoke run)")
    workers = [r for r in runs if r["backend"] == "PostgreSQL" and r["jobs"] == 1]
    single = runs[-1]  # PostgreSQL, one process with the SQLite run's --jobs
    base = next((r for r in workers if r["processes"] == 1), workers[0])
    for r in runs:
        if r["backend"] == "PostgreSQL":
            r["speedup_vs_1_worker"] = base["wall_seconds"] / r["wall_seconds"]
    best = min(workers, key=lambda r: r["wall_seconds"])
    line(
        f"  index, PostgreSQL workers: fastest with {best['processes']}: "
        f"{best['wall_seconds']:.1f} s ({best['speedup_vs_1_worker']:.2f}x one worker; "
        + ", ".join(f"{r['processes']}: {r['wall_seconds']:.1f} s" for r in workers)
        + ")"
    )
    line(
        f"  index, one process --jobs {args.sqlite_jobs}: SQLite {sqlite_run['wall_seconds']:.1f}"
        f" s, PostgreSQL {single['wall_seconds']:.1f} s "
        f"({single['wall_seconds'] / sqlite_run['wall_seconds']:.2f}x)"
    )
    line(
        f"  index checks (no key built twice, every commit once, no claim left): "
        f"{'all ok' if figures['index_checks_ok'] else 'FAILED (see above)'}"
    )
    ratios = [q["end_to_end"]["ratio"] for q in figures["queries"].values()]
    inproc_ratios = [q["in_process"]["ratio"] for q in figures["queries"].values()]
    line(
        f"  queries, PostgreSQL / SQLite: end to end {min(ratios):.2f}x .. {max(ratios):.2f}x, "
        f"in process {min(inproc_ratios):.2f}x .. {max(inproc_ratios):.2f}x"
    )
    before = [
        q["in_process_postgresql_before_analyze"]["ratio"]
        for q in figures["queries"].values()
        if "in_process_postgresql_before_analyze" in q
    ]
    if before:
        line(
            f"  in process on PostgreSQL before ANALYZE (no planner statistics yet): "
            f"{min(before):.2f}x .. {max(before):.2f}x SQLite"
        )
    line(f"  same answers on both databases: {'yes' if figures['answers_agree'] else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        line(f"figures written to {args.json}")
    if args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
        line(f"kept: repository {repo}, clones {root}/clone-*, SQLite database {sqlite_db}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    if not figures["index_checks_ok"] or not figures["answers_agree"]:
        raise SystemExit(1)
    return figures


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


def query_figures(
    queries: list[tuple[str, str, list[str]]],
    times: dict[str, dict[str, list[float]]],
    inproc: dict[str, Any],
    agree: dict[str, bool],
    unanalyzed: dict[str, Any] | None,
) -> dict[str, Any]:
    result = {}
    for label, _, _ in queries:
        entry: dict[str, Any] = {
            "end_to_end": {},
            "in_process": {},
            "in_process_warm": {},
            "same_answer": agree[label],
        }
        for backend in ("SQLite", "PostgreSQL"):
            values = times[label][backend]
            entry["end_to_end"][backend] = {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
                "runs": values,
            }
            cold = inproc[backend]["queries"][label]["cold"]
            warm = inproc[backend]["queries"][label]["warm"]
            entry["in_process"][backend] = {
                "median": statistics.median(cold),
                "min": min(cold),
                "max": max(cold),
            }
            entry["in_process_warm"][backend] = {"median": statistics.median(warm)}
        for kind in ("end_to_end", "in_process", "in_process_warm"):
            entry[kind]["ratio"] = (
                entry[kind]["PostgreSQL"]["median"] / entry[kind]["SQLite"]["median"]
            )
        if unanalyzed is not None:
            cold = unanalyzed["queries"][label]["cold"]
            entry["in_process_postgresql_before_analyze"] = {
                "median": statistics.median(cold),
                "min": min(cold),
                "max": max(cold),
                "ratio": statistics.median(cold) / entry["in_process"]["SQLite"]["median"],
            }
        result[label] = entry
    return result


def query_table(
    figures: dict[str, Any], overhead: dict[str, Any], args: argparse.Namespace
) -> None:
    before = all("in_process_postgresql_before_analyze" in e for e in figures.values())
    rows = [
        ["", "end to end, ms", "", "", "in process, ms", "", ""]
        + (["PG before ANALYZE", ""] if before else [])
        + ["warm cache, ms", ""],
        ["query", "SQLite", "PostgreSQL", "PG/SQLite", "SQLite", "PostgreSQL", "PG/SQLite"]
        + (["in process", "PG/SQLite"] if before else [])
        + ["SQLite", "PostgreSQL"],
    ]
    for label, entry in figures.items():
        e2e, inp, warm = entry["end_to_end"], entry["in_process"], entry["in_process_warm"]

        def spread(values: dict[str, float]) -> str:
            return f"{ms(values['median'])} [{ms(values['min'])}-{ms(values['max'])}]"

        extra = []
        if before:
            unanalyzed = entry["in_process_postgresql_before_analyze"]
            extra = [ms(unanalyzed["median"]), f"{unanalyzed['ratio']:.2f}x"]
        rows.append(
            [
                label + ("" if entry["same_answer"] else " (ANSWERS DIFFER)"),
                spread(e2e["SQLite"]),
                spread(e2e["PostgreSQL"]),
                f"{e2e['ratio']:.2f}x",
                ms(inp["SQLite"]["median"]),
                ms(inp["PostgreSQL"]["median"]),
                f"{inp['ratio']:.2f}x",
                *extra,
                ms(warm["SQLite"]["median"]),
                ms(warm["PostgreSQL"]["median"]),
            ]
        )
    line("")
    table(rows)
    line(
        f"  End to end: the `lineage-history ... --format json` process, median [min-max] of "
        f"{args.query_runs} runs. In process: medians of {args.calls} calls of the "
        f"service/queries function alone on an open database, the snapshot cache cleared "
        f"before each (every call reads the database; min and max in --json); warm cache: the "
        f"same calls with the cache kept."
        + (
            " PG before ANALYZE: in process on PostgreSQL right after indexing, before the "
            "schema had planner statistics."
            if before
            else ""
        )
    )
    line(
        "  what a command pays before its query, in process: importing lineage_history's "
        "query modules "
        + ", ".join(f"{b} {ms(o['import_seconds'])} ms" for b, o in overhead.items())
        + "; the first open of the database (database driver import, first connection, "
        "schema check, repository lookup) "
        + ", ".join(f"{b} {ms(o['first_open_seconds'])} ms" for b, o in overhead.items())
        + "; a later open "
        + ", ".join(f"{b} {ms(o['open_seconds_median'])} ms" for b, o in overhead.items())
    )


def main(argv: list[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
