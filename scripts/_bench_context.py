"""The state a `bench_index.py` run hands from phase to phase, and the naive recipe's build.

The naive recipe is what someone without lineage-history does for each commit a question
needs: a full checkout in a new worktree, then a fresh Python process that imports the
modules, builds the Hamilton driver and lists its variables (`_bench_naive.py`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _bench_repo
from _bench_common import HERE, Report, phase
from _bench_repo import git


@dataclass
class Bench:
    """One run: its arguments, places, the command, the history and what was measured."""

    args: Any
    report: Report
    root: Path
    scratch: Path
    lh: list[str]
    checkout_dir: Path | None = None  # --checkout-dir: where the naive worktrees go
    shas: list[str] = field(default_factory=list)
    pipeline_commits: list[int] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)  # what later phases reuse

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    @property
    def db(self) -> Path:
        return self.root / "lineage.sqlite"

    @property
    def summary_file(self) -> Path:
        return self.scratch / "index-summary.txt"

    def index_command(self) -> list[str]:
        repo, db, jobs = str(self.repo), str(self.db), str(self.args.jobs)
        return [*self.lh, "index", "--repo", repo, "--db", db, "--jobs", jobs]

    def query_command(self, *words: str) -> list[str]:
        """`lineage-history WORDS... --format json` on the run's repository and database."""
        return [
            *self.lh,
            *words,
            "--format",
            "json",
            "--repo",
            str(self.repo),
            "--db",
            str(self.db),
        ]


def naive_build(bench: Bench, sha: str, name: str) -> tuple[dict, dict[str, Any]]:
    """Full checkout of `sha` in a new worktree, then a fresh Python process that builds the
    driver. Returns the variables and the phase report (seconds: [checkout, build])."""
    tree = (bench.checkout_dir or bench.scratch) / f"naive-{name}"
    out = bench.scratch / f"naive-{name}.json"
    report = phase(
        [
            ["git", "-C", str(bench.repo), "worktree", "add", "-q", "--detach", str(tree), sha],
            {
                "argv": [
                    sys.executable,
                    str(HERE / "_bench_naive.py"),
                    str(tree),
                    _bench_repo.DAG_NAME,
                    str(out),
                ],
                "cwd": str(tree),
            },
        ],
        bench.scratch,
    )
    variables = json.loads(out.read_text())
    out.unlink()
    git(bench.repo, "worktree", "remove", "--force", str(tree))  # clean-up, not timed
    return variables, report


def naive_compare(before: dict, after: dict) -> dict[str, list[str]]:
    """The naive diff: names added, removed, and present in both with any difference."""
    common = sorted(set(before) & set(after))
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "modified": [
            name
            for name in common
            if any(before[name][k] != after[name][k] for k in ("type", "dependencies", "tags"))
            or before[name]["source"] != after[name]["source"]
        ],
    }
