#!/usr/bin/env python
"""Benchmark of `lineage-history index` and its read commands against the naive recipe.

In one run it (issues 3 and 14):

1. generates a repository with `git fast-import` (default 1,000 commits, about 10% of them
   changing a Hamilton pipeline of 100+ nodes in `pipelines/`, the rest changing some of
   2,000 other files), with fixed dates and a fixed seed, so the SHAs are reproducible;
2. (a) times the naive recipe on a sample of commits: `git worktree add` (a full checkout)
   plus a fresh Python process that imports the modules and builds the Hamilton driver and
   lists its variables; extrapolates the mean to the whole history;
3. (b) times a cold `lineage-history index` of the whole history into a new SQLite file;
4. (c) times a second, no-op `index`;
5. (d) times `lineage-history diff A B --format json` between two far-apart commits (median
   of several runs, process start to exit) against the naive answer (two checkouts, two
   builds, a comparison); checks with `python -X importtime` that the diff imports neither
   pandas, scikit-learn nor Hamilton, and that both answers agree (`_bench_diff.py`);
6. (e) measures the storage cost of a commit that does not change the pipeline, two ways:
   the pages of the per-commit tables (`commits`, `commit_dags`, their indexes) over the whole
   history divided by the commits (an unchanged commit adds rows there only), and the growth
   of the database when N more such commits are appended and indexed, divided by N (which
   also shows that no build, snapshot or node rows were added for them). The checked figure
   is the larger of the first and the in-page growth of those two tables (`_bench_storage.py`);
7. (f) times every read command (`diff`, `log`, `show`, `upstream`, `downstream`, `path`,
   `blame`, `status`) end to end against the naive recipe for the same question, and prints
   each ratio with the 20x target (`_bench_reads.py` says what naive costs for each);
8. with `--real-repo PATH`, the same side by side on a real history: PATH cloned, indexed with
   no configuration, one DAG built exactly at HEAD (`--real-dag`), its naive diff measured and
   phase (f) run on it (`_bench_real.py`); `--only-real` skips steps 1-7.

Every phase runs in its own fresh process (`_bench_phase.py`), which reports wall-clock
seconds and peak memory of the phase's process tree. Figures, ratios and targets are printed
as a table; `--json FILE` saves them.

    python scripts/bench_index.py                 # the full benchmark (a few minutes)
    python scripts/bench_index.py --quick         # a smoke run (20 commits)
    python scripts/bench_index.py --real-repo ../hamilton --only-real   # a real history only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import (
    Report,
    bytecode_setup,
    environment,
    finish,
    generate,
    lineage_history_command,
    mib,
    parameters,
    phase,
    verdict,
    working_directory,
)
from _bench_context import Bench, naive_build, warm_up
from _bench_diff import diff_phase
from _bench_reads import read_checks, reads_phase
from _bench_real import real_phase
from _bench_repo import git
from _bench_storage import storage_phase

TARGETS = {
    "cold_index_speedup": 50.0,  # naive extrapolated / cold index, at least
    "noop_index_seconds": 2.0,  # at most
    "diff_speedup": 10.0,  # naive diff / lineage-history diff, at least
    "diff_seconds": 0.5,  # at most
    "bytes_per_unchanged_commit": 500.0,  # "a few hundred bytes at most"
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=1000, help="commits to generate")
    parser.add_argument("--files", type=int, default=2000, help="non-pipeline files")
    parser.add_argument("--sample", type=int, default=12, help="commits the naive recipe builds")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="index --jobs")
    parser.add_argument("--diff-runs", type=int, default=7, help="timed runs of each diff")
    parser.add_argument("--read-runs", type=int, default=7, help="timed runs of each read")
    parser.add_argument(
        "--unchanged", type=int, default=500, help="commits appended to measure storage"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it (repository, db)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes for a smoke run (20 commits)"
    )
    parser.add_argument(
        "--checkout-dir",
        type=Path,
        help="where the naive recipe's worktrees go (default: the working directory); "
        "e.g. /dev/shm to see the naive way on a memory filesystem",
    )
    parser.add_argument(
        "--bytecode-cache",
        action="store_true",
        help="let every process cache compiled bytecode in the working directory, as an "
        "installed package has its .pyc files (this matters when PYTHONDONTWRITEBYTECODE is "
        "set and lineage-history is installed editable: each process then compiles it)",
    )
    real_arguments(parser)
    args = parser.parse_args(argv)
    if args.only_real and not args.real_repo:
        parser.error("--only-real needs --real-repo")
    if args.quick:
        args.commits, args.files, args.sample = 20, 100, 1
        args.diff_runs, args.read_runs, args.unchanged = 2, 2, 10
    if args.commits < 10 or args.sample < 1:
        parser.error("need at least 10 commits and a sample of 1")
    return args


def real_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--real-repo",
        type=Path,
        help="also time the read commands against the naive recipe on this git repository's "
        "real history (cloned, indexed with no config; see _bench_real.py)",
    )
    parser.add_argument(
        "--real-dag",
        help="the DAG of --real-repo to ask about (built exactly at HEAD; default: one "
        "with tags, then the one the most commits change)",
    )
    parser.add_argument(
        "--only-real",
        action="store_true",
        help="only the --real-repo measurement, without the generated repository's phases",
    )


# -- phases ---------------------------------------------------------------------------------


def start(args: argparse.Namespace) -> Bench:
    """The working directory, the environment and the heading."""
    report = Report()
    root, scratch = working_directory(args.keep, "lineage-bench-")
    bench = Bench(args, report, root, scratch, lineage_history_command())
    env_note = environment()
    report.figures["environment"] = env_note
    report.figures["parameters"] = parameters(args)
    sizes = (
        f"the real history of {args.real_repo} only"
        if args.only_real
        else f"{args.commits} commits, {args.files} other files, sample {args.sample}"
    )
    report.line(
        f"lineage-history benchmark: {sizes}, --jobs {args.jobs} ({env_note['cores']} cores, "
        f"Python {env_note['python']}, {env_note['git']}, load average "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())})"
    )
    report.line(f"working directory: {root}")
    bytecode_setup(args.bytecode_cache, root)
    report.figures["bytecode_cache"] = args.bytecode_cache
    report.figures["load_average_at_start"] = os.getloadavg()
    if args.checkout_dir:
        bench.checkout_dir = Path(tempfile.mkdtemp(prefix="lineage-bench-", dir=args.checkout_dir))
        report.line(f"naive worktrees in {bench.checkout_dir} (--checkout-dir)")
    return bench


def repository_phase(bench: Bench) -> None:
    """Generate the history; with --bytecode-cache, fill the cache before any timing."""
    report = bench.report
    report.line("\n[repository]")
    started = time.perf_counter()
    generated = generate(bench.repo, bench.args)
    bench.shas, bench.pipeline_commits = generated.shas, generated.pipeline_commits
    generate_s = time.perf_counter() - started
    report.figure("generate_seconds", "generated in", generate_s, f"{generate_s:.2f} s")
    tracked = len(git(bench.repo, "ls-files").splitlines())
    shas, changing = bench.shas, len(bench.pipeline_commits)
    report.figure("commits", "commits", len(shas), str(len(shas)))
    report.figure(
        "pipeline_commits",
        "commits that change pipelines/",
        changing,
        f"{changing} ({changing / len(shas):.0%})",
    )
    report.figure("files_at_head", "files in the working tree at HEAD", tracked, str(tracked))
    if bench.args.bytecode_cache:  # fill the cache first, so no timed phase pays for compiling
        warm_up(bench, shas[-1])


def naive_phase(bench: Bench) -> None:
    """(a) The naive recipe on a sample of commits, extrapolated to the history."""
    args, shas, report = bench.args, bench.shas, bench.report
    report.line(f"\n[a] naive recipe on {args.sample} commits (worktree add + fresh build)")
    count = min(args.sample, len(shas))
    picks = sorted({round(i * (len(shas) - 1) / max(1, count - 1)) for i in range(count)})
    checkout_s, build_s, rss = [], [], []
    node_counts = {}
    for number, index in enumerate(picks):
        variables, measured = naive_build(bench, shas[index], f"sample-{number}")
        checkout_s.append(measured["seconds"][0])
        build_s.append(measured["seconds"][1])
        rss.append(measured["max_rss_bytes"])
        node_counts[index] = len(variables)
        report.line(
            f"    commit {index:>5} {shas[index][:10]}: checkout {measured['seconds'][0]:.2f} s"
            f" + build {measured['seconds'][1]:.2f} s, {len(variables)} nodes"
        )
    first, last = node_counts[picks[0]], node_counts[picks[-1]]
    report.figure(
        "pipeline_nodes",
        "pipeline nodes (first .. last commit)",
        [first, last],
        f"{first} .. {last}",
    )
    bench.measured.update(
        naive_per_commit=statistics.mean(c + b for c, b in zip(checkout_s, build_s, strict=True)),
        naive_build_mean=statistics.mean(build_s),
        naive_rss=max(rss),
    )
    naive_figures(bench, statistics.mean(checkout_s))


def naive_figures(bench: Bench, checkout_mean: float) -> None:
    report, measured, commits = bench.report, bench.measured, len(bench.shas)
    per_commit, build_mean = measured["naive_per_commit"], measured["naive_build_mean"]
    naive_total = measured["naive_total"] = per_commit * commits
    report.figure(
        "naive_checkout_seconds",
        "naive checkout per commit (mean)",
        checkout_mean,
        f"{checkout_mean:.3f} s",
    )
    report.figure(
        "naive_build_seconds", "naive build per commit (mean)", build_mean, f"{build_mean:.3f} s"
    )
    report.figure(
        "naive_per_commit_seconds", "naive per commit (mean)", per_commit, f"{per_commit:.3f} s"
    )
    report.figure(
        "naive_extrapolated_seconds",
        f"naive, extrapolated to {commits} commits",
        naive_total,
        f"{naive_total:.0f} s ({naive_total / 60:.1f} min)",
    )
    rss = measured["naive_rss"]
    report.figure("naive_max_rss_bytes", "naive peak RSS (one build)", rss, mib(rss))


def index_phase(bench: Bench) -> dict[str, Any]:
    """One `lineage-history index` in a fresh measuring process; its report."""
    measured = phase(
        [{"argv": bench.index_command(), "stdout": str(bench.summary_file)}], bench.scratch
    )
    bench.report.line(f"    {bench.summary_file.read_text().strip()}")
    return measured


def cold_phase(bench: Bench) -> None:
    """(b) A cold index of the whole history."""
    report, commits = bench.report, len(bench.shas)
    report.line(f"\n[b] cold `lineage-history index --jobs {bench.args.jobs}`")
    cold = bench.measured["cold"] = index_phase(bench)
    cold_s = cold["seconds"][0]
    report.figure("cold_index_seconds", "cold index, whole history", cold_s, f"{cold_s:.2f} s")
    report.figure(
        "cold_index_ms_per_commit",
        "cold index per commit",
        cold_s / commits * 1000,
        f"{cold_s / commits * 1000:.1f} ms",
    )
    report.figure(
        "cold_index_max_rss_bytes",
        "cold index peak RSS, largest process",
        cold["max_rss_bytes"],
        mib(cold["max_rss_bytes"]),
    )
    report.figure(
        "cold_index_tree_rss_bytes",
        "cold index peak RSS, process tree (sampled)",
        cold["peak_tree_rss_bytes"],
        mib(cold["peak_tree_rss_bytes"]),
    )


def noop_phase(bench: Bench) -> None:
    """(c) A second index that finds nothing new."""
    bench.report.line("\n[c] second, no-op `lineage-history index`")
    noop = bench.measured["noop"] = index_phase(bench)
    noop_s = noop["seconds"][0]
    bench.report.figure("noop_index_seconds", "no-op index", noop_s, f"{noop_s:.3f} s")
    rss = noop["max_rss_bytes"]
    bench.report.figure("noop_index_max_rss_bytes", "no-op index peak RSS", rss, mib(rss))


# -- summary --------------------------------------------------------------------------------


def checks(bench: Bench) -> list[tuple[str, str, str, bool]]:
    """(name, measured, target, met) of every target."""
    m, figures, commits = bench.measured, bench.report.figures, len(bench.shas)
    cold_speedup = figures["cold_index_speedup"] = m["naive_total"] / m["cold"]["seconds"][0]
    diff_speedup = figures["diff_speedup"] = m["naive_diff_s"] / m["diff_s"]
    noop_s, diff_s, forbidden = m["noop"]["seconds"][0], m["diff_s"], m["imports"]["forbidden"]
    stored = m["bytes_per_unchanged"]
    return [
        (
            "cold index vs naive",
            f"{cold_speedup:.0f}x faster",
            f">= {TARGETS['cold_index_speedup']:.0f}x",
            cold_speedup >= TARGETS["cold_index_speedup"],
        ),
        (
            f"no-op index of {commits} commits",
            f"{noop_s:.2f} s",
            f"< {TARGETS['noop_index_seconds']:.0f} s",
            noop_s < TARGETS["noop_index_seconds"],
        ),
        (
            "diff vs naive",
            f"{diff_speedup:.0f}x faster",
            f">= {TARGETS['diff_speedup']:.0f}x",
            diff_speedup >= TARGETS["diff_speedup"],
        ),
        (
            "diff end to end",
            f"{diff_s:.3f} s",
            f"< {TARGETS['diff_seconds']} s",
            diff_s < TARGETS["diff_seconds"],
        ),
        (
            "diff imports pandas/sklearn/hamilton",
            "none" if not forbidden else ", ".join(forbidden),
            "none",
            not forbidden,
        ),
        (
            "storage per unchanged commit",
            f"{stored:.0f} B",
            f"<= {TARGETS['bytes_per_unchanged_commit']:.0f} B",
            stored <= TARGETS["bytes_per_unchanged_commit"],
        ),
        *read_checks(bench.report.figures),
        *read_checks(bench.report.figures.get("real", {}), "real history: "),
    ]


def summary(bench: Bench) -> None:
    """Every target, the build-only lower bounds of the ratios and the peak memory."""
    report, m, commits = bench.report, bench.measured, len(bench.shas)
    rows = checks(bench)
    report.figures["targets"] = {
        name: {"measured": shown, "target": target, "met": ok} for name, shown, target, ok in rows
    }
    report.line("\nsummary")
    if bench.args.quick:
        report.line("  (--quick: too few commits for the targets to mean anything; a smoke run)")
    report.line(f"  {'figure':<44} {'measured':<18} {'target':<10} result")
    for name, shown, target, ok in rows:
        prefix = "ratio " if "vs naive" in name else ""
        report.line(f"  {prefix + name:<44} {shown:<18} {target:<10} {verdict(ok)}")
    # The checkout's cost depends on the disk (here it varied between 0.1 and 2 s for 2,000
    # files); counting the naive builds alone gives a lower bound of each ratio.
    cold, noop = m["cold"], m["noop"]
    build_only = m["naive_build_mean"] * commits / cold["seconds"][0]
    diff_build_only = m["naive_diff_builds_s"] / m["diff_s"]
    report.figures["cold_index_speedup_builds_only"] = build_only
    report.figures["diff_speedup_builds_only"] = diff_build_only
    for name, ratio in (("cold index", build_only), ("diff", diff_build_only)):
        report.line(
            f"  {f'ratio {name} vs naive builds only':<44} {f'{ratio:.0f}x faster':<18} "
            "(checkouts not counted: a lower bound)"
        )
    report.line(
        f"  peak memory: naive build {mib(m['naive_rss'])}, cold index "
        f"{mib(cold['max_rss_bytes'])} largest process / {mib(cold['peak_tree_rss_bytes'])} "
        f"whole tree, no-op index {mib(noop['max_rss_bytes'])}, diff {mib(m['diff_rss'])}"
    )
    report.line(f"  load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    bench = start(args)
    if not args.only_real:
        for step in (repository_phase, naive_phase, cold_phase, noop_phase, diff_phase):
            step(bench)
        storage_phase(bench)
        reads_phase(bench)
    if args.real_repo:
        bench.report.figures["real"] = real_phase(bench)
    if not args.only_real:
        summary(bench)
    if args.json:
        args.json.write_text(json.dumps(bench.report.figures, indent=2, default=str) + "\n")
        bench.report.line(f"figures written to {args.json}")
    if bench.checkout_dir is not None:
        shutil.rmtree(bench.checkout_dir, ignore_errors=True)
    kept = [] if args.only_real else [f"repository {bench.repo}, database {bench.db}"]
    if args.real_repo:
        real = bench.root / "real"
        kept.append(f"real history: clone {real / 'repo.git'}, database {real / 'lineage.sqlite'}")
    finish(bench.root, bench.scratch, bool(args.keep), "; ".join(kept))
    return bench.report.figures


def main(argv: list[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
