#!/usr/bin/env python
"""Benchmark of lineage-history as a shared service on PostgreSQL.

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
created before and dropped after (`_bench_service_index.py`; the queries are in
`_bench_service_queries.py`). Figures are printed as tables; `--json FILE` saves them.

    python scripts/bench_service.py                  # the full benchmark (several minutes)
    python scripts/bench_service.py --quick          # a smoke run (20 commits)
    python scripts/bench_service.py --pg postgresql+psycopg://user@host/db
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench_repo
from _bench_common import (
    bytecode_setup,
    child_env,
    environment,
    finish,
    generate,
    line,
    lineage_history_command,
    parameters,
    working_directory,
)
from _bench_service_index import (
    Schemas,
    analyze_schema,
    database_facts,
    index_checks,
    index_table,
    planner_statistics,
    report_index_run,
    run_concurrently,
)
from _bench_service_queries import end_to_end, in_process, pick_queries, query_figures, query_table
from sqlalchemy import text

DEFAULT_PG = os.environ.get(
    "LINEAGE_HISTORY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass
class Service:
    """One run: its arguments, places, the command, the history and the index runs."""

    args: argparse.Namespace
    root: Path
    scratch: Path
    schemas: Schemas
    lh: list[str] = field(default_factory=lineage_history_command)
    figures: dict[str, Any] = field(default_factory=dict)
    shas: list[str] = field(default_factory=list)
    clones: list[Path] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    @property
    def sqlite_db(self) -> Path:
        return self.root / "lineage.sqlite"

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.sqlite_db}"


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
        "--quick", action="store_true", help="small sizes for a smoke run (20 commits)"
    )
    parser.add_argument(
        "--bytecode-cache",
        action="store_true",
        help="let every process cache compiled bytecode in the working directory, as an "
        "installed package has its .pyc files (see bench_index.py)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.commits, args.files, args.query_runs, args.calls = 20, 100, 2, 3
    try:
        args.worker_counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error("--workers: comma-separated numbers, e.g. 1,2,4")
    if args.commits < 10 or min(args.worker_counts) < 1:
        parser.error("need at least 10 commits and 1 worker")
    return args


def start(args: argparse.Namespace) -> Service:
    """The working directory, the PostgreSQL server and the heading."""
    if args.keep:  # absolute: the repository generator runs git in the repository
        args.keep = args.keep.resolve()
    root, scratch = working_directory(args.keep, "lineage-bench-service-")
    bench = Service(args, root, scratch, Schemas(args.pg))
    cores = os.cpu_count() or 1
    bench.figures["environment"] = environment()
    bench.figures["parameters"] = parameters(args)
    try:
        with bench.schemas.admin.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar_one()
    except Exception as exc:
        raise SystemExit(f"cannot reach PostgreSQL at {args.pg}: {exc}") from None
    bench.figures["environment"]["postgresql"] = server
    line(
        f"lineage-history service benchmark: {args.commits} commits, {args.files} other files, "
        f"workers {args.workers} on PostgreSQL {server}, SQLite with --jobs {args.sqlite_jobs} "
        f"({cores} cores, Python {platform.python_version()})"
    )
    line(f"working directory: {root}")
    bytecode_setup(args.bytecode_cache, root)
    if max(args.worker_counts) > cores:
        line(
            f"note: this machine has {cores} cores: more than {cores} workers cannot be faster "
            f"than {cores}; the runs beyond show the cost of contention, not a speed-up"
        )
    return bench


def repository_phase(bench: Service) -> None:
    """The history and one clone per worker, then one untimed build as a warm-up."""
    line("\n[repository]")
    started = time.perf_counter()
    generated = generate(bench.repo, bench.args)
    bench.shas = generated.shas
    for number in range(max(bench.args.worker_counts)):
        clone = bench.root / f"clone-{number}"
        subprocess.run(
            ["git", "clone", "-q", str(bench.repo), str(clone)],
            check=True,
            env=_bench_repo.git_env(bench.root),
        )
        bench.clones.append(clone)
    prepared = time.perf_counter() - started
    line(
        f"  {len(bench.shas)} commits ({len(generated.pipeline_commits)} change pipelines/), "
        f"{len(bench.clones)} clones, in {prepared:.1f} s"
    )
    bench.figures["commits"] = len(bench.shas)
    bench.figures["pipeline_commits"] = len(generated.pipeline_commits)
    # Warm-up (not timed): one build, so that the first timed run does not pay for
    # reading pandas, scikit-learn and Hamilton from disk.
    warm = str(bench.scratch / "warm.sqlite")
    subprocess.run(
        [*bench.lh, "index", bench.shas[0], "--repo", str(bench.clones[0]), "--db", warm],
        check=True,
        capture_output=True,
        env=child_env(),
    )


def sqlite_phase(bench: Service) -> int:
    """The SQLite reference index; the distinct build keys of the history."""
    line("\n[index] SQLite reference and PostgreSQL with concurrent workers")
    jobs = bench.args.sqlite_jobs
    command = [*bench.lh, "index", "--repo", str(bench.repo), "--db", str(bench.sqlite_db)]
    measured = run_concurrently(
        [([*command, "--jobs", str(jobs)], bench.repo)], bench.scratch, "sqlite", None
    )
    facts = database_facts(bench.sqlite_url)
    measured.update(
        backend="SQLite",
        label=f"SQLite, 1 process --jobs {jobs}",
        processes=1,
        jobs=jobs,
        facts=facts,
        checks=index_checks(facts, measured, len(bench.shas), None),
    )
    bench.runs.append(measured)
    report_index_run(measured)
    return facts["distinct_keys"]


def postgres_phase(bench: Service, expected_keys: int) -> str:
    """The workers (each `--jobs 1` in its own clone), then one process with the SQLite
    run's --jobs on PostgreSQL: the same work as the reference, on the other database.
    The URL of the last schema, kept for the queries."""
    plans = [(count, 1) for count in bench.args.worker_counts] + [(1, bench.args.sqlite_jobs)]
    for number, (count, jobs) in enumerate(plans):
        url = bench.schemas.create(f"w{count}j{jobs}")
        commands = [
            ([*bench.lh, "index", "--repo", str(clone), "--db", url, "--jobs", str(jobs)], clone)
            for clone in bench.clones[:count]
        ]
        measured = run_concurrently(commands, bench.scratch, f"pg-{count}-{jobs}", url)
        facts = database_facts(url)
        kind = "worker" if jobs == 1 else "process"
        measured.update(
            backend="PostgreSQL",
            label=f"PostgreSQL, {count} {kind}{'s' if count > 1 else ''} --jobs {jobs}",
            processes=count,
            jobs=jobs,
            facts=facts,
            checks=index_checks(facts, measured, len(bench.shas), expected_keys),
        )
        bench.runs.append(measured)
        report_index_run(measured)
        if number < len(plans) - 1:
            bench.schemas.drop(url)
    return url


def index_phases(bench: Service) -> str:
    """Every index run and its table; the PostgreSQL URL the queries use."""
    expected_keys = sqlite_phase(bench)
    query_url = postgres_phase(bench, expected_keys)
    bench.figures["distinct_keys"] = expected_keys
    bench.figures["index_runs"] = bench.runs
    index_table(bench.runs, os.cpu_count() or 1)
    bench.figures["index_checks_ok"] = all(all(r["checks"].values()) for r in bench.runs)
    return query_url


def queries_phase(bench: Service, query_url: str) -> None:
    """The six queries on both databases, end to end and in process."""
    args, figures, repo = bench.args, bench.figures, bench.repo
    queries = pick_queries(repo, bench.sqlite_url, bench.shas)
    backends = {"SQLite": bench.sqlite_url, "PostgreSQL": query_url}
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
        unanalyzed = in_process(queries, repo, query_url, args.calls, bench.scratch)
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
    times, agree = end_to_end(queries, backends, repo, args.query_runs, bench.scratch)
    inproc = {
        b: in_process(queries, repo, url, args.calls, bench.scratch) for b, url in backends.items()
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


def index_summary(bench: Service) -> None:
    """The index lines of the summary: workers, one process on each database, checks."""
    runs, args = bench.runs, bench.args
    workers = [r for r in runs if r["backend"] == "PostgreSQL" and r["jobs"] == 1]
    sqlite_run, single = runs[0], runs[-1]  # PostgreSQL, one process with the SQLite --jobs
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
        f"{'all ok' if bench.figures['index_checks_ok'] else 'FAILED (see above)'}"
    )


def summary(bench: Service) -> None:
    figures = bench.figures
    line("\nsummary")
    if bench.args.quick:
        line("  (--quick: too few commits for the figures to mean anything; a smoke run)")
    index_summary(bench)
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


def run(args: argparse.Namespace) -> dict[str, Any]:
    bench = start(args)
    figures = bench.figures
    try:
        repository_phase(bench)
        query_url = index_phases(bench)
        queries_phase(bench, query_url)
        bench.schemas.drop(query_url)
    finally:
        bench.schemas.close()
    figures["postgresql_schemas"] = bench.schemas.used  # all dropped
    summary(bench)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        line(f"figures written to {args.json}")
    kept = (
        f"repository {bench.repo}, clones {bench.root}/clone-*, SQLite database {bench.sqlite_db}"
    )
    finish(bench.root, bench.scratch, bool(args.keep), kept)
    if not figures["index_checks_ok"] or not figures["answers_agree"]:
        raise SystemExit(1)
    return figures


def main(argv: list[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
