"""`bench_index.py --real-repo PATH`: the read commands against the naive recipe on a real
history, with phase (f)'s code (`_bench_reads.py`).

1. clones PATH (bare: its own files and databases are untouched) and indexes its history
   with `lineage-history index` and no configuration (the DAGs its driver code builds);
2. picks one DAG (`--real-dag`, or the one chosen by `pick_dag`), which must be built
   exactly at HEAD (no stand-ins), so that the naive recipe really builds it;
3. picks what the commands ask about: the nodes with the most upstream / downstream nodes
   and a path between them (as on the generated repository), the node with the longest
   `log`, the DAG's most common tag key for `blame`, and for `diff` the oldest commit that
   changes the DAG and builds it exactly, against HEAD;
4. measures the naive diff (two checkouts, two builds with Hamilton in fresh processes, a
   comparison) and takes its mean per commit for the `log`/`blame` walks, which count the
   commits that change the DAG's files (`git log -- DRIVER MODULES`);
5. runs phase (f) and prints its table; the figures go under `real` in `--json`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _bench_common import Report, Subjects, graph_subjects, phase, run_json
from _bench_context import Bench, naive_build, naive_compare, warm_up
from _bench_diff import agreement
from _bench_reads import ReadSetup, reads_phase, timed
from _bench_repo import git


def real_phase(parent: Bench) -> dict[str, Any]:
    """Clone, index, pick the DAG and the subjects, measure the naive diff, then phase (f)
    on the clone, in `real/` of the run's directory. Returns the figures (`real` in
    `--json`)."""
    args, root = parent.args, parent.root / "real"
    scratch = root / "scratch"
    scratch.mkdir(parents=True)
    bench = Bench(args, Report(), root, scratch, parent.lh, checkout_dir=parent.checkout_dir)
    bench.repo_dir = root / "repo.git"
    source = args.real_repo.resolve()
    bench.report.figures["source"] = str(source)
    prepare(bench, source)
    entry = pick_dag(bench)
    bench.dag = entry["name"]
    bench.definition = definition(entry)
    setup = real_setup(bench, entry)
    if args.bytecode_cache:  # fill it before the naive builds and the reads are timed
        warm_up(bench, "HEAD")
    naive_diff(bench, setup.subjects.base)
    reads_phase(bench, setup)
    load = os.getloadavg()
    bench.report.figure(
        "load_average_at_end", "load average at the end", load, " ".join(f"{v:.2f}" for v in load)
    )
    shutil.rmtree(scratch, ignore_errors=True)
    return bench.report.figures


def prepare(bench: Bench, source: Path) -> None:
    """Clone the repository and index its whole history (timed, in a fresh process)."""
    report = bench.report
    report.line(f"\n[real] {source}: bare clone, then a cold `index --jobs {bench.args.jobs}`")
    started = time.perf_counter()
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bench.repo)], check=True)
    clone_s = time.perf_counter() - started
    report.figure("clone_seconds", "bare clone", clone_s, f"{clone_s:.1f} s")
    commits = len(git(bench.repo, "rev-list", "--all").split())
    at_head = len(git(bench.repo, "rev-list", "HEAD").split())
    shown = f"{commits} / {at_head}"
    report.figure("commits", "commits (all refs / reachable from HEAD)", [commits, at_head], shown)
    measured = phase(
        [{"argv": bench.index_command(), "stdout": str(bench.summary_file)}], bench.scratch
    )
    report.line(f"    {bench.summary_file.read_text().strip()}")
    cold_s = measured["seconds"][0]
    report.figure("cold_index_seconds", "cold index, no config", cold_s, f"{cold_s:.1f} s")


# -- the DAG --------------------------------------------------------------------------------


def dags_at(bench: Bench, rev: str) -> list[dict[str, Any]]:
    """`lineage-history dags REV`: each DAG's modules, config, source and build status."""
    command = [*bench.lh, "dags", rev, "--format", "json", "--repo", str(bench.repo)]
    return run_json([*command, "--db", str(bench.db)])


def exact(entry: dict[str, Any]) -> bool:
    """Built, and without stand-ins: what the naive recipe can build too."""
    return entry["status"] == "ok" and not entry["stubbed"]


def definition(entry: dict[str, Any]) -> dict[str, Any]:
    return {"modules": entry["modules"], "config": entry["config"]}


def files_of(entry: dict[str, Any]) -> list[str]:
    """The DAG's driver file and modules: what `git log -- FILES` follows."""
    return [entry["source"].rsplit(":", 1)[0], *entry["modules"]]


def changing_commits(bench: Bench, entry: dict[str, Any]) -> list[str]:
    """The commits reachable from HEAD that change the DAG's files, newest first."""
    return git(bench.repo, "log", "--format=%H", "HEAD", "--", *files_of(entry)).split()


def user_tags(nodes: list[dict[str, Any]]) -> Counter[str]:
    """Tag keys set in the code (not Hamilton's own: `module`, `hamilton.*`), by node count."""
    return Counter(
        key
        for node in nodes
        for key in node.get("tags") or {}
        if key != "module" and not key.startswith("hamilton.")
    )


def show(bench: Bench, dag: str, rev: str = "HEAD") -> list[dict[str, Any]]:
    command = [*bench.lh, "show", rev, "--format", "json", "--repo", str(bench.repo)]
    return run_json([*command, "--db", str(bench.db), "--dag", dag])["nodes"]


def pick_dag(bench: Bench) -> dict[str, Any]:
    """`--real-dag`, which must be built exactly at HEAD; else, of the DAGs built exactly at
    HEAD with at least 3 nodes, one with tags set in the code (for `blame`), then the one
    whose files the most commits change (the longest history to walk)."""
    entries = {entry["name"]: entry for entry in dags_at(bench, "HEAD")}
    wanted = bench.args.real_dag
    if wanted:
        if wanted not in entries or not exact(entries[wanted]):
            found = entries.get(wanted, {}).get("status", "not a DAG at HEAD")
            raise SystemExit(f"--real-dag {wanted}: not built exactly at HEAD ({found})")
        chosen = entries[wanted]
    else:
        ranked = []
        for entry in filter(exact, entries.values()):
            nodes = show(bench, entry["name"])
            if len(nodes) >= 3:
                tagged = bool(user_tags(nodes))
                ranked.append((tagged, len(changing_commits(bench, entry)), entry["name"]))
        if not ranked:
            raise SystemExit("no DAG of 3 nodes or more is built exactly at HEAD")
        chosen = entries[max(ranked)[2]]
    bench.report.figure("dag", "DAG (built exactly at HEAD)", chosen["name"], chosen["name"])
    bench.report.figures["dag_definition"] = definition(chosen)
    return chosen


# -- what the commands ask about ------------------------------------------------------------


def real_setup(bench: Bench, entry: dict[str, Any]) -> ReadSetup:
    """The nodes (as on the generated repository), the longest log, the most common tag
    key, the diff's base and the history the naive walk goes back over."""
    nodes = show(bench, entry["name"])
    up, down, source = graph_subjects(nodes)
    changing = changing_commits(bench, entry)
    order = {
        sha: number
        for number, sha in enumerate(git(bench.repo, "rev-list", "--reverse", "HEAD").split())
    }
    head = git(bench.repo, "rev-parse", "HEAD").strip()
    subjects = Subjects(
        diff_base(bench, entry["name"], changing), head, longest_log(bench, nodes), up, down, source
    )
    tags = user_tags(nodes)
    report = bench.report
    report.figure(
        "dag_changing_commits",
        "commits that change the DAG's files",
        len(changing),
        f"{len(changing)} (git log -- {' '.join(files_of(entry))})",
    )
    report.figure("dag_nodes", "nodes at HEAD", len(nodes), str(len(nodes)))
    if not tags:
        report.line("    the DAG sets no tags: no blame row (pick one with --real-dag)")
    return ReadSetup(
        subjects=subjects,
        blame_key=tags.most_common(1)[0][0] if tags else None,
        order=order,
        changing=frozenset(order[sha] for sha in changing),
    )


def longest_log(bench: Bench, nodes: list[dict[str, Any]]) -> str:
    """The node with the most entries in `log` (asked of every node, untimed)."""
    lengths = {}
    for node in sorted(n["name"] for n in nodes):
        lengths[node] = len(run_json(bench.query_command("log", node)))
    return max(lengths, key=lambda name: lengths[name])


def diff_base(bench: Bench, dag: str, changing: list[str]) -> str:
    """The oldest commit that changes the DAG's files and has the DAG built exactly."""
    for sha in reversed(changing):
        entry = next((e for e in dags_at(bench, sha) if e["name"] == dag), None)
        if entry is not None and exact(entry):
            bench.measured["base_definition"] = definition(entry)
            return sha
    raise SystemExit(f"{dag}: no older commit has it built exactly, nothing to diff")


# -- the naive diff -------------------------------------------------------------------------


def naive_diff(bench: Bench, base: str) -> None:
    """`diff BASE HEAD` timed as phase (f) times a command, against two naive checkouts and
    builds and a comparison; their mean per commit prices the log and blame walks."""
    report, runs = bench.report, bench.args.read_runs
    report.line(f"\n[real diff] {base[:10]} (oldest commit building {bench.dag}) .. HEAD")
    answer, times = timed(bench, ("diff", base, "HEAD"), runs)
    before, naive_a = naive_build(bench, base, "diff-base", bench.measured["base_definition"])
    after, naive_b = naive_build(bench, "HEAD", "diff-head")
    started = time.perf_counter()
    naive_answer = naive_compare(before, after)
    compare_s = time.perf_counter() - started
    builds = [sum(naive_a["seconds"]), sum(naive_b["seconds"])]
    bench.measured.update(
        diff_times=times,
        diff_command=f"diff {base[:10]} HEAD",
        naive_diff_s=sum(builds) + compare_s,
        naive_per_commit=statistics.mean(builds),
    )
    for index, what in enumerate(("checkout", "build")):
        seconds = [naive_a["seconds"][index], naive_b["seconds"][index]]
        shown = ", ".join(f"{value:.2f} s" for value in seconds)
        report.figure(f"naive_{what}_seconds", f"naive {what} (base, HEAD)", seconds, shown)
    agreement(bench, answer, naive_answer)
