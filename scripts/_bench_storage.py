"""Phase (e) of `bench_index.py`: the storage cost of a commit that changes no pipeline.

Measured two ways: the pages of the per-commit tables (`commits`, `commit_dags`, their
indexes) over the whole history divided by the commits, and the growth of the database when
N more such commits are appended and indexed, divided by N (which also shows that no build,
snapshot or node rows were added for them).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import _bench_repo
from _bench_common import phase
from _bench_context import Bench

PER_COMMIT_TABLES = ("commits", "commit_dags")
SNAPSHOT_TABLES = ("builds", "snapshots", "snapshot_nodes", "node_versions", "node_tags")


def db_stats(path: Path) -> dict[str, Any]:
    """Used bytes (pages minus free pages), and per table (its indexes folded in): bytes of
    pages, bytes in use inside them (page size minus unused space) and row payload."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        free = connection.execute("PRAGMA freelist_count").fetchone()[0]
        owner = dict(
            connection.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"
            )
        )
        tables: dict[str, dict[str, int]] = {}
        for name, size, used, payload in connection.execute(
            "SELECT name, SUM(pgsize), SUM(pgsize - unused), SUM(payload) FROM dbstat GROUP BY name"
        ):
            entry = tables.setdefault(owner.get(name, name), {"pages": 0, "used": 0, "payload": 0})
            entry["pages"] += size
            entry["used"] += used
            entry["payload"] += payload
        commits = connection.execute("SELECT COUNT(*) FROM commits").fetchone()[0]
    finally:
        connection.close()
    return {
        "file_bytes": path.stat().st_size,
        "used_bytes": (pages - free) * page_size,
        "tables": tables,
        "commits": commits,
    }


def per_commit_bytes(stats: dict[str, Any], field: str = "pages") -> float:
    """Bytes of the per-commit tables (rows and indexes) divided by the commits."""
    return sum(stats["tables"][t][field] for t in PER_COMMIT_TABLES) / stats["commits"]


def storage_phase(bench: Bench) -> None:
    """Append unchanged commits, index them, and report what they cost."""
    args, shas, report = bench.args, bench.shas, bench.report
    report.line(f"\n[e] storage: {args.unchanged} more commits that do not touch pipelines/")
    before_stats = db_stats(bench.db)
    _bench_repo.append_commits(
        bench.repo,
        args.unchanged,
        other_files=args.files,
        seed=args.seed + 1,
        start_index=len(shas),
    )
    incremental = phase(
        [{"argv": bench.index_command(), "stdout": str(bench.summary_file)}], bench.scratch
    )
    report.line(f"    {bench.summary_file.read_text().strip()}")
    after_stats = db_stats(bench.db)
    added_commits = after_stats["commits"] - before_stats["commits"]
    growth = {
        name: {
            field: (value - before_stats["tables"].get(name, {}).get(field, 0)) / added_commits
            for field, value in table.items()
        }
        for name, table in after_stats["tables"].items()
    }
    report.figure(
        "db_bytes_after_history",
        f"database after {len(shas)} commits",
        before_stats["used_bytes"],
        f"{before_stats['used_bytes'] / 1024:.0f} KiB "
        f"({before_stats['used_bytes'] / len(shas):.0f} B per commit, snapshots included)",
    )
    report.figure(
        "incremental_index_seconds",
        f"incremental index of {added_commits} new commits",
        incremental["seconds"][0],
        f"{incremental['seconds'][0]:.3f} s",
    )
    growth_figures(bench, before_stats, after_stats, growth, added_commits)


def growth_figures(
    bench: Bench,
    before_stats: dict[str, Any],
    after_stats: dict[str, Any],
    growth: dict[str, dict[str, float]],
    added_commits: int,
) -> None:
    """The bytes per commit both ways, and the rows the unchanged commits did not add."""
    report = bench.report
    whole_history = per_commit_bytes(after_stats)
    growth_pages = (after_stats["used_bytes"] - before_stats["used_bytes"]) / added_commits
    report.figure(
        "bytes_per_commit",
        "per-commit rows + indexes, whole history",
        whole_history,
        f"{whole_history:.0f} B in pages, {per_commit_bytes(after_stats, 'used'):.0f} B used, "
        f"{per_commit_bytes(after_stats, 'payload'):.0f} B payload",
    )
    report.figure(
        "growth_per_unchanged_commit",
        f"DB growth per appended commit ({added_commits})",
        growth_pages,
        f"{growth_pages:.0f} B of pages; in use: "
        + ", ".join(
            f"{name} {values['used']:.0f}"
            for name, values in sorted(growth.items())
            if abs(values["used"]) >= 1
        ),
    )
    rebuilt = {
        name: values["payload"]
        for name, values in growth.items()
        if name in SNAPSHOT_TABLES and values["payload"]
    }
    report.figure(
        "unchanged_commit_builds",
        "snapshot/build rows added by them",
        rebuilt,
        "none" if not rebuilt else str(rebuilt),
    )
    report.figures["db_tables_after"] = after_stats["tables"]
    bench.measured["bytes_per_unchanged"] = max(
        whole_history, growth["commits"]["used"] + growth["commit_dags"]["used"]
    )
