"""Phase (d) of `bench_index.py`: `lineage-history diff` against the naive diff.

Times the diff between two far-apart commits end to end (median of several fresh processes)
against two naive checkouts and builds and a comparison, checks that both answers agree, and
checks with `python -X importtime` that the diff imports neither pandas, scikit-learn nor
Hamilton.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _bench_common import mib, phase
from _bench_context import Bench, naive_build, naive_compare

FORBIDDEN_IMPORTS = ("pandas", "sklearn", "hamilton")


def diff_phase(bench: Bench) -> None:
    """Time both ways, then check that they agree and what the diff imported."""
    shas, report = bench.shas, bench.report
    base_index, head_index = max(1, len(shas) // 20), len(shas) - 1
    base, head = shas[base_index], shas[head_index]
    report.line(
        f"\n[d] diff between commit {base_index} ({base[:10]}) and {head_index} ({head[:10]})"
    )
    diff_cmd = bench.query_command("diff", base, head)
    diff_out = bench.scratch / "diff.json"
    runs = [
        phase([{"argv": diff_cmd, "stdout": str(diff_out)}], bench.scratch)
        for _ in range(bench.args.diff_runs)
    ]
    diff_times = [r["seconds"][0] for r in runs]
    diff_s = statistics.median(diff_times)
    before, naive_a = naive_build(bench, base, "diff-base")
    after, naive_b = naive_build(bench, head, "diff-head")
    started = time.perf_counter()
    naive_answer = naive_compare(before, after)
    compare_s = time.perf_counter() - started
    naive_diff_s = sum(naive_a["seconds"]) + sum(naive_b["seconds"]) + compare_s
    report.figure(
        "diff_seconds",
        f"lineage-history diff (median of {len(diff_times)})",
        diff_s,
        f"{diff_s:.3f} s (min {min(diff_times):.3f}, max {max(diff_times):.3f})",
    )
    diff_rss = max(r["max_rss_bytes"] for r in runs)
    report.figure("diff_max_rss_bytes", "lineage-history diff peak RSS", diff_rss, mib(diff_rss))
    report.figure(
        "naive_diff_seconds",
        "naive diff (2 checkouts + 2 builds + compare)",
        naive_diff_s,
        f"{naive_diff_s:.2f} s",
    )
    agreement(bench, json.loads(diff_out.read_text()), naive_answer)
    imports = import_check(diff_cmd, bench.scratch)
    imports_figures(bench, imports)
    bench.measured.update(
        diff_s=diff_s,
        diff_times=diff_times,
        diff_rss=diff_rss,
        naive_diff_s=naive_diff_s,
        naive_diff_builds_s=naive_a["seconds"][1] + naive_b["seconds"][1],
        imports=imports,
    )


def agreement(bench: Bench, lh_diff: dict[str, Any], naive_answer: dict[str, list[str]]) -> None:
    """Report lineage-history's summary and whether it agrees with the naive comparison."""
    report = bench.report
    lh_summary = lh_diff["summary"]
    lh_names = {
        kind: sorted(n["name"] for n in lh_diff["nodes"][kind]) for kind in ("added", "removed")
    }
    lh_modified = {m["name"]: m["changes"] for m in lh_diff["nodes"]["modified"]}
    # The naive comparison looks at each function's own source, types, dependencies and tags;
    # lineage-history also sees changes of module constants and private helpers a function
    # uses, so it may report more modified nodes, never fewer.
    agree = {
        "added": lh_names["added"] == naive_answer["added"],
        "removed": lh_names["removed"] == naive_answer["removed"],
        "modified": set(naive_answer["modified"]) <= set(lh_modified),
    }
    beyond = {n: c for n, c in sorted(lh_modified.items()) if n not in naive_answer["modified"]}
    report.figure(
        "diff_summary",
        "lineage-history diff summary",
        lh_summary,
        ", ".join(f"{k} {v}" for k, v in lh_summary.items()),
    )
    report.figure(
        "diff_agrees_with_naive",
        "agrees with the naive way (added/removed/modified)",
        all(agree.values()),
        ("yes" if all(agree.values()) else f"NO: {agree}")
        + (f"; also modified, unseen by the naive source comparison: {beyond}" if beyond else ""),
    )
    report.figures["diff_modified_beyond_naive"] = beyond


def imports_figures(bench: Bench, imports: dict[str, Any]) -> None:
    report = bench.report
    report.figure(
        "diff_forbidden_imports",
        "diff imports pandas/sklearn/hamilton",
        imports["forbidden"],
        "none" if not imports["forbidden"] else ", ".join(imports["forbidden"]),
    )
    report.figure(
        "diff_imported_modules",
        "diff imports (modules, numpy?)",
        imports["count"],
        f"{imports['count']} modules, numpy {'yes' if imports['numpy'] else 'no'}, "
        f"{imports['seconds']:.3f} s of imports",
    )
    report.figures["diff_slowest_imports"] = imports["slowest"]


def import_check(diff_cmd: list[str], scratch: Path) -> dict[str, Any]:
    """Run the same diff under `python -X importtime` and list what it imported."""
    command = [sys.executable, "-X", "importtime", "-m", "lineage_history", *diff_cmd[1:]]
    if diff_cmd[0] == sys.executable:  # the fallback `python -m lineage_history` form
        command = [sys.executable, "-X", "importtime", *diff_cmd[1:]]
    stderr = scratch / "importtime.txt"
    phase([{"argv": command, "stderr": str(stderr)}], scratch)
    modules, total = [], 0
    for line in stderr.read_text().splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        self_us, cumulative = parts[0].split(":", 1)[1].strip(), parts[1].strip()
        if not (self_us.isdigit() and cumulative.isdigit()):
            continue  # the header line
        modules.append((parts[2].strip(), int(cumulative)))
        total += int(self_us)
    names = {name for name, _ in modules}
    tops = {name.split(".")[0] for name in names}
    slowest = sorted(((n, c) for n, c in modules if "." not in n), key=lambda item: -item[1])[:8]
    return {
        "forbidden": sorted(top for top in tops if top in FORBIDDEN_IMPORTS),
        "numpy": "numpy" in tops,
        "count": len(names),
        "seconds": total / 1e6,
        "slowest": [{"module": n, "cumulative_seconds": c / 1e6} for n, c in slowest],
    }
