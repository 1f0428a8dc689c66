#!/usr/bin/env python
"""What discovery costs over a repository's history: the DAGs found in driver code at every
commit, the time per commit (cold: every blob parsed; warm: parse results read from the
database, as a second worker or a re-run gets them), and optionally the build planning of
those DAGs (the import closure and key of each, what `index` does before building).

    python scripts/bench_discovery.py --repo /work/hamilton            # HEAD's history
    python scripts/bench_discovery.py --repo DIR --plan --rev main~100
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from lineage_history.build.plans import Planner
from lineage_history.definitions.discovery import Discoverer
from lineage_history.repo.git import GitRepo
from lineage_history.store.database import open_engine
from lineage_history.store.writer import Store


def _walk(repo: GitRepo, shas: list[str], discoverer: Discoverer, with_plans: bool) -> dict:
    """Discover (and plan) every commit; the figures of the pass."""
    started = time.perf_counter()
    per_commit, pairs, names, keys = [], 0, Counter[str](), set()
    planner = Planner()  # as the indexer plans: a plan is reused while what it read holds
    for sha in shas:
        begin = time.perf_counter()
        tree = repo.commit_tree(sha)
        found = discoverer.definitions(tree)
        if with_plans:
            for definition in found.values():
                build_plan = planner.plan(tree, definition)
                if build_plan is not None:
                    keys.add(build_plan.key)
        per_commit.append(time.perf_counter() - begin)
        pairs += len(found)
        names.update(found.keys())
    return {
        "seconds": time.perf_counter() - started,
        "median_ms": 1000 * statistics.median(per_commit),
        "max_ms": 1000 * max(per_commit),
        "pairs": pairs,
        "names": len(names),
        "parsed": discoverer.parsed,
        "keys": len(keys),
        "at_last": len(found) if shas else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="a git repository (any clone)")
    parser.add_argument("--rev", default="HEAD", help="whose history to walk")
    parser.add_argument("--plan", action="store_true", help="also plan the builds (closures)")
    args = parser.parse_args()

    repo = GitRepo(args.repo)
    shas = [commit.sha for commit in repo.commits([args.rev])]
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(open_engine(f"sqlite:///{Path(scratch) / 'cache.sqlite'}"))
        try:
            for label in ("cold", "warm"):  # a fresh process's caches; the database kept
                fresh = GitRepo(args.repo)
                figures = _walk(fresh, shas, Discoverer(store), args.plan)
                fresh.close()
                print(
                    f"{label}: {len(shas)} commits in {figures['seconds']:.1f} s "
                    f"(median {figures['median_ms']:.1f} ms, max {figures['max_ms']:.0f} ms "
                    f"per commit); {figures['pairs']} (commit, DAG) pairs, "
                    f"{figures['names']} DAG names, {figures['at_last']} at {args.rev}; "
                    f"{figures['parsed']} blobs parsed"
                    + (f"; {figures['keys']} distinct build keys" if args.plan else ""),
                    flush=True,
                )
        finally:
            store.close()
    repo.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
