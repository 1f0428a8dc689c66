"""The state a `bench_index.py` run hands from phase to phase, and the naive recipe's build.

The naive recipe is what someone without lineage-history does for each commit a question
needs: a full checkout in a new worktree, then a fresh Python process that imports the
modules, builds the Hamilton driver and lists its variables (`_bench_naive.py`).

The same state describes a real repository (`--real-repo`, `_bench_real.py`): its clone,
the one DAG the read commands ask about (`--dag`) and that DAG's definition for the naive
build. A clone whose object store lacks some blobs (a mirror that left out large files)
is checked out without exactly those files, so the naive checkout is, if anything, cheaper.
"""

from __future__ import annotations

import json
import subprocess
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
    repo_dir: Path | None = None  # a real repository's clone (default: root / "repo")
    dag: str | None = None  # the DAG the read commands ask about (`--dag`), if several
    definition: dict[str, Any] | None = None  # that DAG's modules and config, for naive builds

    @property
    def repo(self) -> Path:
        return self.repo_dir or self.root / "repo"

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
        """`lineage-history WORDS... --format json` on the run's repository and database
        (and `--dag` when the run names one and the command takes it)."""
        dag = ["--dag", self.dag] if self.dag and words[0] in DAG_COMMANDS else []
        return [
            *self.lh,
            *words,
            "--format",
            "json",
            "--repo",
            str(self.repo),
            "--db",
            str(self.db),
            *dag,
        ]


# The read commands that answer about one DAG (`status` is about the whole repository).
DAG_COMMANDS = frozenset({"diff", "log", "show", "upstream", "downstream", "path", "blame"})


def missing_blobs(repo: Path, sha: str) -> list[str]:
    """The files of `sha` whose blobs the object store lacks (none in a complete clone)."""
    listing = git(repo, "ls-tree", "-r", "-z", "--full-tree", sha).split("\0")
    entries = [entry.split("\t", 1) for entry in listing if entry]
    blobs = [(meta.split()[2], path) for meta, path in entries if meta.split()[1] == "blob"]
    checked = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-check"],
        input="".join(f"{blob}\n" for blob, _ in blobs),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    answers = checked.splitlines()
    return [path for (_, path), out in zip(blobs, answers, strict=True) if out.endswith("missing")]


def checkout_commands(bench: Bench, sha: str, tree: Path) -> list[list[str]]:
    """A full checkout of `sha` in a new worktree: `git worktree add`, or, where blobs are
    missing, the same without them (`--no-checkout`, then `git checkout` of the rest)."""
    add = ["git", "-C", str(bench.repo), "worktree", "add", "-q", "--detach"]
    missing = missing_blobs(bench.repo, sha) if bench.repo_dir else []
    if not missing:
        return [[*add, str(tree), sha]]
    excluded = [f":(exclude,literal){path}" for path in missing]
    return [
        [*add, "--no-checkout", str(tree), sha],
        ["git", "-C", str(tree), "checkout", "-q", sha, "--", ".", *excluded],
    ]


def naive_build(
    bench: Bench, sha: str, name: str, definition: dict[str, Any] | None = None
) -> tuple[dict, dict[str, Any]]:
    """Full checkout of `sha` in a new worktree, then a fresh Python process that builds the
    driver (of `definition`, else `bench.definition`, else the checkout's pyproject.toml).
    Returns the variables and the phase report (seconds: [checkout, build])."""
    tree = (bench.checkout_dir or bench.scratch) / f"naive-{name}"
    out = bench.scratch / f"naive-{name}.json"
    checkout = checkout_commands(bench, sha, tree)
    build = [sys.executable, str(HERE / "_bench_naive.py"), str(tree), _bench_repo.DAG_NAME]
    build.append(str(out))
    definition = definition or bench.definition
    if definition is not None:
        build.append(json.dumps(definition))
    report = phase([*checkout, {"argv": build, "cwd": str(tree)}], bench.scratch)
    if len(checkout) == 2:  # the two checkout steps count as one
        report["seconds"] = [report["seconds"][0] + report["seconds"][1], report["seconds"][2]]
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


def warm_up(bench: Bench, sha: str) -> None:
    """--bytecode-cache: fill the cache (a naive build of `sha`, lineage-history's modules)
    before anything is timed, so no timed phase pays for compiling."""
    naive_build(bench, sha, "warm-up")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import lineage_history.cli, lineage_history.index.session, lineage_history.index.run, "
            "lineage_history.queries, lineage_history.output.tables, lineage_history.store",
        ],
        check=True,
    )
