"""The query side of `bench_service.py`: the six queries, timed on both databases.

End to end (each `lineage-history ... --format json` a fresh process, answers compared) and
in process (`_bench_inproc.py`), with the tables that set PostgreSQL against SQLite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _bench_common import (
    HERE,
    child_env,
    line,
    lineage_history_command,
    ms,
    pick_subjects,
    run_json,
    table,
)


def pick_queries(repo: Path, db: str, shas: list[str]) -> list[tuple[str, str, list[str]]]:
    """(label, function, arguments) of the six queries, from the generated history: the node
    changed by the most commits, the nodes with the most upstream / downstream nodes."""
    subjects = pick_subjects(repo, db, shas)
    base, head, up, down = subjects.base, subjects.head, subjects.up, subjects.down
    return [
        (f"diff {base[:10]} {head[:10]}", "diff", [base[:10], head[:10]]),
        (f"log {subjects.logged}", "log", [subjects.logged]),
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
            *("--format", "json", "--repo", str(repo), "--db", url),
        ]
        for label, function, args in queries
        for backend, url in backends.items()
    }
    answers = {key: run_json(argv) for key, argv in commands.items()}
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


def spread(values: dict[str, float]) -> str:
    return f"{ms(values['median'])} [{ms(values['min'])}-{ms(values['max'])}]"


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
    query_notes(before, overhead, args)


def query_notes(before: bool, overhead: dict[str, Any], args: argparse.Namespace) -> None:
    """What the query table's columns measure, and what a command pays before its query."""
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
