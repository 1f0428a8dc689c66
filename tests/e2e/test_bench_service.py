"""Smoke test of the service benchmark: a quick run on the real PostgreSQL server
completes, its correctness checks pass and it reports every figure.

No wall-clock assertions: timings depend on the machine; the full run is for people.
Needs LINEAGE_HISTORY_TEST_PG (its URL is the server the benchmark uses).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures import ROOT

SCRIPT = ROOT / "scripts" / "bench_service.py"
PG_URL = os.environ.get("LINEAGE_HISTORY_TEST_PG")
pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="the service benchmark needs PostgreSQL: set LINEAGE_HISTORY_TEST_PG, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/test (.ci/run sets it)",
)


@pytest.mark.slow
def test_bench_service_quick_run(tmp_path: Path) -> None:
    assert PG_URL
    figures_file = tmp_path / "figures.json"
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--workers",  # the default adds 4: tests/store/test_postgres.py runs 3 at once
            "1,2",
            "--pg",
            PG_URL,
            "--keep",
            str(tmp_path / "bench"),
            "--json",
            str(figures_file),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for expected in (
        "PostgreSQL, 1 worker --jobs 1",
        "PostgreSQL, 2 workers --jobs 1",
        "SQLite, 1 process --jobs 2",
        "PostgreSQL, 1 process --jobs 2",
        "this machine has",
        "end to end, ms",
        "in process, ms",
        "PG/SQLite",
        "index checks (no key built twice, every commit once, no claim left): all ok",
        "same answers on both databases: yes",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"

    figures = json.loads(figures_file.read_text())
    assert figures["commits"] >= 20
    keys = figures["distinct_keys"]
    assert keys >= 1
    runs = figures["index_runs"]
    assert [(r["processes"], r["jobs"]) for r in runs] == [(1, 2), (1, 1), (2, 1), (1, 2)]
    assert [r["backend"] for r in runs] == ["SQLite"] + ["PostgreSQL"] * 3
    for run in runs:
        assert all(run["checks"].values()), run
        assert all(w["returncode"] == 0 for w in run["workers"])
        # Facts, not timings: each key built exactly once, whatever the number of workers.
        assert sum(w["built"] for w in run["workers"]) == run["facts"]["builds"] == keys
        assert run["facts"]["commits"] == figures["commits"]
        assert run["facts"]["duplicate_commits"] == run["facts"]["claims_left"] == 0
        assert run["wall_seconds"] > 0
    queries = figures["queries"]
    assert len(queries) == 6
    assert {label.split()[0] for label in queries} == {
        "diff",
        "log",
        "show",
        "upstream",
        "downstream",
        "blame",
    }
    for entry in queries.values():
        assert entry["same_answer"] is True
        for kind in ("end_to_end", "in_process"):
            for backend in ("SQLite", "PostgreSQL"):
                assert entry[kind][backend]["median"] > 0
            assert entry[kind]["ratio"] > 0
    # Every schema the benchmark made is gone.
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as connection:
            left = connection.execute(
                text("SELECT schema_name FROM information_schema.schemata")
            ).scalars()
            assert not set(figures["postgresql_schemas"]) & set(left)
    finally:
        engine.dispose()
    assert len(figures["postgresql_schemas"]) == 3  # one per PostgreSQL run
    # --keep leaves the repository, the clones and the SQLite database for inspection.
    kept = tmp_path / "bench"
    assert (kept / "repo" / ".git").is_dir()
    assert sorted(p.name for p in kept.glob("clone-*")) == ["clone-0", "clone-1"]  # one per worker
    assert (kept / "lineage.sqlite").is_file()
