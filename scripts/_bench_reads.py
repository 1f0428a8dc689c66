"""Phase (f) of `bench_index.py`: every read command against the naive recipe (issue 14).

Each command runs end to end as a user runs it (a fresh `lineage-history ... --format json`
process; one untimed run, then the median of N) and is set against what the same question
costs without the tool, a fresh checkout and build of each commit it needs:

- `show HEAD`, `upstream NODE`, `downstream NODE`, `path A B`: the DAG at HEAD, so one
  checkout and one build of HEAD, measured here;
- `diff A B`: two checkouts, two builds and a comparison, measured in phase (d);
- `log NODE`, `blame KEY`: the walk back from HEAD through every commit that changes the
  pipeline down to the oldest commit the answer names, plus the state before it (to see the
  change), at the mean naive cost per commit of phase (a). A lower bound: it supposes that
  one knows which commits change the DAG (`git log -- pipelines/`) and skips the others;
- `status`: one checkout and build of HEAD, a lower bound (status also counts the failed
  and stubbed builds of the whole history, which only building every commit would tell).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from typing import Any

from _bench_common import Subjects, line, ms, phase, pick_subjects, table, verdict
from _bench_context import Bench, naive_build

READ_TARGET = 20.0  # naive / lineage-history, at least (issue 14)


@dataclass(frozen=True)
class Read:
    """One read command and what the same question costs the naive way."""

    label: str  # the command as shown, e.g. "log NODE"
    words: tuple[str, ...]  # its arguments after `lineage-history`
    naive: str  # what the naive recipe does for it


def reads(subjects: Subjects) -> list[Read]:
    head = "1 checkout + 1 build of HEAD"
    return [
        Read("diff A B", (), "2 checkouts + 2 builds + compare, from [d]"),
        Read("log NODE", ("log", subjects.logged), "walk"),
        Read("show REV", ("show", "HEAD"), head),
        Read("upstream NODE", ("upstream", subjects.up), head),
        Read("downstream NODE", ("downstream", subjects.down), head),
        Read("path A B", ("path", subjects.source, subjects.up), head),
        Read("blame KEY", ("blame", "owner"), "walk"),
        Read("status", ("status",), head + " (lower bound)"),
    ]


def timed(bench: Bench, words: tuple[str, ...], runs: int) -> tuple[Any, list[float]]:
    """One untimed run (its answer), then `runs` timed fresh processes."""
    out = bench.scratch / "read.json"
    command = [{"argv": bench.query_command(*words), "stdout": str(out)}]
    phase(command, bench.scratch)
    answer = json.loads(out.read_text())
    return answer, [phase(command, bench.scratch)["seconds"][0] for _ in range(runs)]


def walk_builds(bench: Bench, answer: list[dict[str, Any]]) -> int:
    """The naive builds for a log or blame answer: the commits that change the pipeline from
    the oldest one the answer names to HEAD, and one more for the state before it."""
    index = {sha: number for number, sha in enumerate(bench.shas)}
    oldest = min(index[entry["sha"]] for entry in answer)
    changing = {0, *bench.pipeline_commits}
    return sum(1 for number in changing if number >= oldest) + (1 if oldest > 0 else 0)


def reads_phase(bench: Bench) -> None:
    """Time every read command and its naive counterpart; print the ratios."""
    args, report = bench.args, bench.report
    subjects = pick_subjects(bench.repo, str(bench.db), bench.shas)
    report.line(
        f"\n[f] read commands end to end (fresh process, median of {args.read_runs}) against "
        f"the naive recipe; nodes: log {subjects.logged}, upstream {subjects.up}, downstream "
        f"{subjects.down}, path {subjects.source} -> {subjects.up}, blame owner"
    )
    head_variables, head_report = naive_build(bench, "HEAD", "reads-head")
    head_s = sum(head_report["seconds"])
    per_commit = bench.measured["naive_per_commit"]
    figures: dict[str, Any] = {}
    same = False
    for read in reads(subjects):
        if read.words:
            answer, times = timed(bench, read.words, args.read_runs)
        else:
            answer, times = None, bench.measured["diff_times"]
        if read.naive == "walk":
            builds = walk_builds(bench, answer)
            naive_s = builds * per_commit
            naive = f"{builds} checkouts + builds, estimated at {per_commit:.2f} s each"
        elif read.label == "diff A B":
            naive_s, naive = bench.measured["naive_diff_s"], read.naive
        else:
            naive_s, naive = head_s, read.naive
        if read.words[:1] == ("show",):
            same = {n["name"] for n in answer["nodes"]} == set(head_variables)
        median = statistics.median(times)
        figures[read.label] = {
            "command": " ".join(read.words) if read.words else "diff (phase d)",
            "seconds": median,
            "min": min(times),
            "max": max(times),
            "naive_seconds": naive_s,
            "naive": naive,
            "ratio": naive_s / median,
        }
    report.figure(
        "show_agrees_with_naive",
        "show HEAD: the nodes of the naive build of HEAD",
        same,
        "yes" if same else "NO",
    )
    report.figures["naive_head_seconds"] = head_s
    report.figures["reads"] = figures
    reads_table(figures, args.read_runs)


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
    commands = ", ".join(f"{label}: {e['command']}" for label, e in figures.items())
    line(f"  lineage-history: median [min-max] of {runs} fresh processes ({commands})")


def read_checks(bench: Bench) -> list[tuple[str, str, str, bool]]:
    """The summary's rows: each read command's ratio against its target."""
    return [
        (
            f"{label} vs naive",
            f"{entry['ratio']:.1f}x faster",
            f">= {READ_TARGET:.0f}x",
            entry["ratio"] >= READ_TARGET,
        )
        for label, entry in bench.report.figures["reads"].items()
    ]
