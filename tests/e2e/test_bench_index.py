"""Smoke test of the benchmark script: a quick run completes and reports every figure.

No wall-clock assertions: timings depend on the machine; the full run is for people.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT

SCRIPT = ROOT / "scripts" / "bench_index.py"


READS = [  # every read command, in the order the benchmark times them
    "diff A B",
    "log NODE",
    "show REV",
    "upstream NODE",
    "downstream NODE",
    "path A B",
    "blame KEY",
    "status",
]
_ENV = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    """`bench_index.py ARGS` run to the end; it must succeed."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=900, env=_ENV
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.mark.slow
def test_bench_index_quick_run(tmp_path: Path) -> None:
    figures_file = tmp_path / "figures.json"
    proc = _bench("--quick", "--keep", str(tmp_path / "bench"), "--json", str(figures_file))
    out = proc.stdout
    for line in (
        "ratio cold index vs naive",
        "ratio diff vs naive",
        "no-op index of",
        "diff end to end",
        "diff imports pandas/sklearn/hamilton",
        "storage per unchanged commit",
        "peak memory:",
        "ratio log NODE vs naive",
        "ratio status vs naive",
    ):
        assert line in out, f"{line!r} missing from:\n{out}"

    figures = json.loads(figures_file.read_text())
    assert figures["commits"] >= 20
    assert figures["pipeline_nodes"][0] >= 100  # the generated pipeline has 100+ nodes
    assert figures["cold_index_speedup"] > 0 and figures["diff_speedup"] > 0
    assert figures["naive_extrapolated_seconds"] > 0
    assert figures["cold_index_max_rss_bytes"] > 0
    # Facts, not timings: the query path stays light and the two diff answers agree.
    assert figures["diff_forbidden_imports"] == []
    assert figures["diff_agrees_with_naive"] is True
    assert figures["unchanged_commit_builds"] == {}
    assert set(figures["targets"]) >= {"cold index vs naive", "diff vs naive"}
    # Every read command is timed against the naive recipe for the same question.
    reads = figures["reads"]
    assert list(reads) == READS
    for entry in reads.values():
        assert entry["seconds"] > 0 and entry["naive_seconds"] > 0 and entry["ratio"] > 0
    assert figures["show_agrees_with_naive"] is True
    # log and blame walk back over the commits that change the pipeline: at least one build.
    assert reads["log NODE"]["naive"].split()[0].isdigit()
    # --keep leaves the repository and the database for inspection.
    assert (tmp_path / "bench" / "repo" / ".git").is_dir()
    assert (tmp_path / "bench" / "lineage.sqlite").is_file()


@pytest.mark.slow
def test_bench_index_real_repo_only(tmp_path: Path) -> None:
    """`--real-repo DIR --only-real` on the demo repository (a real git history, a DAG with
    tags): every read command is timed against the naive recipe, and both ways agree."""
    demo = tmp_path / "demo"
    make_demo = SCRIPT.parent / "make_demo_repo.py"
    subprocess.run([sys.executable, str(make_demo), str(demo)], check=True, env=_ENV)
    figures_file = tmp_path / "figures.json"
    proc = _bench("--real-repo", str(demo), "--only-real", "--quick", "--json", str(figures_file))
    assert "[f] read commands end to end" in proc.stdout
    assert "[a] naive recipe" not in proc.stdout  # the generated repository's phases: skipped
    real = json.loads(figures_file.read_text())["real"]
    assert real["dag"] == "titanic"
    assert list(real["reads"]) == READS
    for entry in real["reads"].values():
        assert entry["seconds"] > 0 and entry["naive_seconds"] > 0 and entry["ratio"] > 0
    assert real["reads"]["blame KEY"]["command"].startswith("blame ")
    # Facts, not timings: the naive builds of the real history agree with lineage-history.
    assert real["show_agrees_with_naive"] is True
    assert real["diff_agrees_with_naive"] is True
    assert real["dag_changing_commits"] >= 2
