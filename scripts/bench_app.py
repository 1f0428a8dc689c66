"""Indexes an application-shaped history (`_app_repo`) twice, with structure keys (the
default) and with `--exact-keys`, and checks that both store the same snapshot at every
(commit, DAG): node for node, edge for edge, tag for tag, fingerprint for fingerprint.

Prints each run's phases (planning, building, storing), its peak memory (the indexer process
alone, not its build servers) and a no-op re-index, and the ratios of the two modes.

    python scripts/bench_app.py --commits 300 --pipelines 20
    python scripts/bench_app.py --commits 2700 --pipelines 100 --skip-exact
    python scripts/bench_app.py --commits 2700 --pipelines 100 --planning-only

`--planning-only` plans every commit in this process, as `index` does, and prints the rate
per 300 commits and the peak memory so far.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _app_repo import generate

from lineage_history.store.connect import open_reader

_SUMMARY = re.compile(
    r"planning (?P<planning>[\d.]+) s, building (?P<building>[\d.]+) s, "
    r"storing (?P<storing>[\d.]+) s"
)


def _peak_kib(pid: int, stop: threading.Event, found: list[int]) -> None:
    """The process's VmHWM (peak resident memory), polled until it exits."""
    while not stop.is_set():
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        match = re.search(r"VmHWM:\s+(\d+) kB", text)
        if match:
            found[0] = max(found[0], int(match.group(1)))
        stop.wait(0.2)


def run_index(repo: Path, db: Path, jobs: int, extra: list[str]) -> dict[str, Any]:
    """One `lineage-history index` process: wall time, phases, summary, peak memory."""
    command = [sys.executable, "-m", "lineage_history", "index", "--db", str(db), "-j", str(jobs)]
    started = time.monotonic()
    process = subprocess.Popen(
        command + extra, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stop, peak = threading.Event(), [0]
    watcher = threading.Thread(target=_peak_kib, args=(process.pid, stop, peak), daemon=True)
    watcher.start()
    out, err = process.communicate()
    seconds = time.monotonic() - started
    stop.set()
    if process.returncode != 0:
        raise SystemExit(f"index failed ({process.returncode}):\n{out}\n{err}")
    summary = out.strip().splitlines()[-1]
    phases = _SUMMARY.search(summary)
    result: dict[str, Any] = {"seconds": round(seconds, 2), "summary": summary}
    result["peak_rss_mib"] = round(peak[0] / 1024, 1)
    if phases:
        result.update({name: float(value) for name, value in phases.groupdict().items()})
    return result


def planning_rates(repo: Path, db: Path, step: int = 300) -> dict[str, Any]:
    """Plan every commit with structure keys, as `index` does: commits/s and peak RSS (MiB)
    per `step` commits."""
    from lineage_history.index.commit_plans import CommitPlanner
    from lineage_history.repo.git import GitRepo
    from lineage_history.store.database import open_engine
    from lineage_history.store.writer import Store

    git = GitRepo(repo)
    planner = CommitPlanner(git, Store(open_engine(f"sqlite:///{db}")), None, (), structure=True)
    commits = git.commits([])
    started = mark = time.monotonic()
    rates = []
    for position, info in enumerate(commits):
        planner.plan_commit(info, position)
        if position % step == step - 1:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            rates.append((round(step / (time.monotonic() - mark), 1), peak))
            mark = time.monotonic()
    seconds = time.monotonic() - started
    return {"commits_per_second": round(len(commits) / seconds, 1), "per_step": rates}


def snapshots(db: Path) -> dict[tuple[str, str], Any]:
    """Every (commit, DAG) state of the database: its snapshot, or its status."""
    reader = open_reader(f"sqlite:///{db}")
    try:
        (repository,) = reader.repositories()
        found: dict[tuple[str, str], Any] = {}
        for dag in reader.dag_names(repository.id):
            for sha, state in reader.dag_states(repository.id, dag).items():
                if state.snapshot_id is None:
                    found[(sha, dag)] = state.status
                else:
                    found[(sha, dag)] = reader.load_snapshot(state.snapshot_id)
        return found
    finally:
        reader.close()


def compare(left: Path, right: Path) -> dict[str, int]:
    """Counts of what was compared; raises on the first difference."""
    one, other = snapshots(left), snapshots(right)
    if set(one) != set(other):
        raise SystemExit(f"the (commit, DAG) states differ: {len(set(one) ^ set(other))}")
    counts = {"states": 0, "nodes": 0, "edges": 0, "tags": 0, "fingerprints": 0}
    for pair, snapshot in one.items():
        theirs = other[pair]
        counts["states"] += 1
        if isinstance(snapshot, str) or isinstance(theirs, str):
            if snapshot != theirs:
                raise SystemExit(f"{pair}: {snapshot!r} != {theirs!r}")
            continue
        if set(snapshot.nodes) != set(theirs.nodes) or snapshot.edges != theirs.edges:
            raise SystemExit(f"{pair}: nodes or edges differ")
        counts["edges"] += len(snapshot.edges)
        for name, node in snapshot.nodes.items():
            mine = theirs.nodes[name]
            if node.tags != mine.tags or node.code != mine.code or node != mine:
                raise SystemExit(f"{pair} {name}: {node} != {mine}")
            counts["nodes"] += 1
            counts["tags"] += len(node.tags)
            counts["fingerprints"] += node.code is not None
        if snapshot != theirs:
            raise SystemExit(f"{pair}: snapshots differ")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--pipelines", type=int, default=20)
    parser.add_argument("--other-files", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-exact", action="store_true", help="Only the default mode.")
    parser.add_argument("--planning-only", action="store_true", help="Only plan, in process.")
    parser.add_argument("--workdir", type=Path, help="Where to put the repository (kept).")
    parser.add_argument("--json", type=Path, help="Write the results there too.")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-app-"))
    started = time.monotonic()
    app = generate(
        workdir / "repo", args.commits, pipelines=args.pipelines, other_files=args.other_files
    )
    results: dict[str, Any] = {
        "commits": args.commits,
        "pipelines": args.pipelines,
        "kinds": dict(app.kinds),
        "generate_seconds": round(time.monotonic() - started, 1),
        "load_before": Path("/proc/loadavg").read_text().split()[:3],
    }
    if args.planning_only:
        results["planning"] = planning_rates(app.path, workdir / "planning.db")
        print(json.dumps(results, indent=1))
        return
    modes = {"structure": []} if args.skip_exact else {"structure": [], "exact": ["--exact-keys"]}
    for mode, extra in modes.items():
        db = workdir / f"{mode}.db"
        results[mode] = run_index(app.path, db, args.jobs, extra)
        results[mode]["noop"] = run_index(app.path, db, args.jobs, extra)
        print(mode, json.dumps(results[mode], indent=1), flush=True)
    if not args.skip_exact:
        results["identical"] = compare(workdir / "structure.db", workdir / "exact.db")
        for name in ("seconds", "building"):
            results[f"{name}_ratio"] = round(
                results["exact"][name] / max(results["structure"][name], 0.01), 2
            )
    results["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps({k: v for k, v in results.items() if k not in modes}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
