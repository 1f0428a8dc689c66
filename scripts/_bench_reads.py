"""Phase (f) of `bench_index.py`: every read command against the naive recipe.

Each command runs end to end as a user runs it (a fresh `lineage-history ... --format json`
process; one untimed run, then the median of N) and is set against what the same question
costs without the tool, a fresh checkout and build of each commit it needs:

- `show HEAD`, `upstream NODE`, `downstream NODE`, `path A B`: the DAG at HEAD, so one
  checkout and one build of HEAD, measured here;
- `diff A B`: two checkouts, two builds and a comparison, measured in phase (d) (on a real
  repository, `_bench_real.py`, with the same diff timed as the other commands are);
- `log NODE`, `blame KEY`: the walk back from HEAD through every commit that changes the
  pipeline down to the oldest commit the answer names, plus the state before it (to see the
  change), at the mean naive cost per commit of phase (a) (on a real repository: of the
  diff's two naive builds). A lower bound: it supposes that one knows which commits change
  the DAG (`git log -- pipelines/`, on a real repository `git log -- DRIVER MODULES`) and
  skips the others;
- `status`: the failed and stubbed builds over the whole history, which only building
  every indexed commit tells, so that many checkouts and builds (estimated); its ratio to a
  single checkout and build of HEAD is printed too.

What the command-line framework costs is measured beside them, in fresh processes too: the
floor (`python -c "import sqlite3"`), typer's own import, the app with every command
registered, and `lineage-history --version` end to end.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from typing import Any

from _bench_common import Subjects, line, ms, phase, pick_subjects, table, verdict
from _bench_context import Bench, naive_build

READ_TARGET = 10.0  # naive / lineage-history, at least


@dataclass(frozen=True)
class Read:
    """One read command and what the same question costs the naive way."""

    label: str  # the command as shown, e.g. "log NODE"
    words: tuple[str, ...]  # its arguments after `lineage-history`
    naive: str  # what the naive recipe does for it


@dataclass(frozen=True)
class ReadSetup:
    """What the read commands ask about, and the history the naive walk goes back over."""

    subjects: Subjects
    blame_key: str | None  # a tag key of the DAG (None: the DAG has no tags, no blame row)
    order: dict[str, int]  # each commit's position in the history, 0 the oldest
    changing: frozenset[int]  # the positions of the commits that change the DAG


def generated_setup(bench: Bench) -> ReadSetup:
    """The generated repository's: its pipeline's nodes, the `owner` tag, the commits that
    change pipelines/ (and the first, which adds it)."""
    return ReadSetup(
        subjects=pick_subjects(bench.repo, str(bench.db), bench.shas),
        blame_key="owner",
        order={sha: number for number, sha in enumerate(bench.shas)},
        changing=frozenset({0, *bench.pipeline_commits}),
    )


def reads(setup: ReadSetup) -> list[Read]:
    head, subjects = "1 checkout + 1 build of HEAD", setup.subjects
    listed = [
        Read("diff A B", (), "2 checkouts + 2 builds + compare, measured"),
        Read("log NODE", ("log", subjects.logged), "walk"),
        Read("show REV", ("show", "HEAD"), head),
        Read("upstream NODE", ("upstream", subjects.up), head),
        Read("downstream NODE", ("downstream", subjects.down), head),
        Read("path A B", ("path", subjects.source, subjects.up), head),
        Read("blame KEY", ("blame", setup.blame_key or ""), "walk"),
        Read("status", ("status",), "every commit"),
    ]
    return [read for read in listed if read.words != ("blame", "")]


def timed(bench: Bench, words: tuple[str, ...], runs: int) -> tuple[Any, list[float]]:
    """One untimed run (its answer), then `runs` timed fresh processes."""
    out = bench.scratch / "read.json"
    command = [{"argv": bench.query_command(*words), "stdout": str(out), "sample": False}]
    phase(command, bench.scratch)
    answer = json.loads(out.read_text())
    return answer, [phase(command, bench.scratch)["seconds"][0] for _ in range(runs)]


def walk_builds(setup: ReadSetup, answer: list[dict[str, Any]]) -> int:
    """The naive builds for a log or blame answer: the commits that change the DAG from
    the oldest one the answer names to HEAD, and one more for the state before it."""
    oldest = min(setup.order[entry["sha"]] for entry in answer)
    return sum(1 for number in setup.changing if number >= oldest) + (1 if oldest > 0 else 0)


def reads_phase(bench: Bench, setup: ReadSetup | None = None) -> None:
    """Time every read command and its naive counterpart; print the ratios. The naive diff
    (`diff_times`, `naive_diff_s`) and cost per commit (`naive_per_commit`) are measured
    before, in `bench.measured`."""
    args, report = bench.args, bench.report
    setup = setup or generated_setup(bench)
    subjects = setup.subjects
    report.line(
        f"\n[f] read commands end to end (fresh process, median of {args.read_runs}) against "
        f"the naive recipe; nodes: log {subjects.logged}, upstream {subjects.up}, downstream "
        f"{subjects.down}, path {subjects.source} -> {subjects.up}, blame {setup.blame_key}"
    )
    head_variables, head_report = naive_build(bench, "HEAD", "reads-head")
    head_s = sum(head_report["seconds"])
    figures: dict[str, Any] = {}
    same = False
    for read in reads(setup):
        figures[read.label], answer = read_figure(bench, setup, read, head_s)
        if read.words[:1] == ("show",):
            same = {n["name"] for n in answer["nodes"]} == set(head_variables)
    report.figure(
        "show_agrees_with_naive",
        "show HEAD: the nodes of the naive build of HEAD",
        same,
        "yes" if same else "NO",
    )
    report.figures["naive_head_seconds"] = head_s
    report.figures["reads"] = figures
    reads_table(figures, args.read_runs)
    report.figures["framework"] = framework_costs(bench, args.read_runs, figures)


FRAMEWORK_PROBES = (
    ("python -c 'import sqlite3' (the floor)", ("-c", "import sqlite3")),
    ("import typer", ("-c", "import typer")),
    ("import lineage_history.cli (every command registered)", ("-c", "import lineage_history.cli")),
    ("lineage-history --version (the app end to end)", ("-m", "lineage_history", "--version")),
)


def framework_costs(bench: Bench, runs: int, figures: dict[str, Any]) -> dict[str, float]:
    """Median times of fresh processes that import the framework, and what typer adds to a
    read command (its import over the floor) as a share of the median read."""
    costs = {}
    for label, argv in FRAMEWORK_PROBES:
        command = [{"argv": [sys.executable, *argv], "sample": False}]
        phase(command, bench.scratch)  # warm
        times = [phase(command, bench.scratch)["seconds"][0] for _ in range(runs)]
        costs[label] = statistics.median(times)
    floor, typer_import = (costs[label] for label, _ in FRAMEWORK_PROBES[:2])
    rows = [["process", "median, ms", "over the floor, ms"]]
    rows += [[label, ms(value), ms(value - floor)] for label, value in costs.items()]
    line("  what the command line costs (fresh processes, median):")
    table(rows, indent="    ")
    reads_s = [entry["seconds"] for entry in figures.values()]
    if reads_s:
        share = (typer_import - floor) / statistics.median(reads_s)
        line(f"  typer's import is {share:.0%} of the median read command")
    return costs


def read_figure(
    bench: Bench, setup: ReadSetup, read: Read, head_s: float
) -> tuple[dict[str, Any], Any]:
    """One command's times against its naive cost; its figures and its answer."""
    if read.words:
        answer, times = timed(bench, read.words, bench.args.read_runs)
    else:
        answer, times = None, bench.measured["diff_times"]
    per_commit = bench.measured["naive_per_commit"]
    if read.naive == "walk":
        builds = walk_builds(setup, answer)
        naive_s = builds * per_commit
        naive = f"{builds} checkouts + builds, estimated at {per_commit:.2f} s each"
    elif read.naive == "every commit":  # which builds fail is known only by building each
        builds = answer["commits"]
        naive_s = builds * per_commit
        naive = f"{builds} checkouts + builds (every indexed commit), estimated"
    elif read.label == "diff A B":
        naive_s, naive = bench.measured["naive_diff_s"], read.naive
    else:
        naive_s, naive = head_s, read.naive
    median = statistics.median(times)
    entry = {
        "command": " ".join(read.words) or bench.measured.get("diff_command", "diff (phase d)"),
        "seconds": median,
        "min": min(times),
        "max": max(times),
        "naive_seconds": naive_s,
        "naive": naive,
        "ratio": naive_s / median,
        "ratio_to_one_build": head_s / median,  # against a checkout + build of HEAD alone
    }
    return entry, answer


def reads_table(figures: dict[str, Any], runs: int) -> None:
    rows = [["command", "lineage-history, ms", "naive, s", "naive is", "ratio", "target", ""]]
    for label, entry in figures.items():
        rows.append(
            [
                label,
                f"{ms(entry['seconds'])} [{ms(entry['min'])}-{ms(entry['max'])}]",
                f"{entry['naive_seconds']:.2f}",
                entry["naive"],
                f"{entry['ratio']:.1f}x",
                f">= {READ_TARGET:.0f}x",
                verdict(entry["ratio"] >= READ_TARGET),
            ]
        )
    table(rows)
    if "status" in figures:
        line(
            "  status against one checkout + build of HEAD only (what it costs to know one "
            f"commit's state): {figures['status']['ratio_to_one_build']:.1f}x"
        )
    commands = ", ".join(f"{label}: {e['command']}" for label, e in figures.items())
    line(f"  lineage-history: median [min-max] of {runs} fresh processes ({commands})")


def read_checks(figures: dict[str, Any], prefix: str = "") -> list[tuple[str, str, str, bool]]:
    """The summary's rows: each read command's ratio against its target (none if the
    figures have no read commands)."""
    return [
        (
            f"{prefix}{label} vs naive",
            f"{entry['ratio']:.1f}x faster",
            f">= {READ_TARGET:.0f}x",
            entry["ratio"] >= READ_TARGET,
        )
        for label, entry in figures.get("reads", {}).items()
    ]
