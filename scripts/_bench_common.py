"""What the benchmark scripts share: the working directory, phases, the command, output.

`bench_index.py` and `bench_service.py` both generate the repository of `_bench_repo.py`,
run `lineage-history` as a user would (the console script, a fresh process), time commands
in a fresh measuring process (`_bench_phase.py`), print figures and tables, and pick the
nodes their queries ask about from the generated pipeline.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _bench_repo
from _bench_repo import git

HERE = Path(__file__).resolve().parent


# -- running commands -----------------------------------------------------------------------


def lineage_history_command() -> list[str]:
    """The installed console script next to this interpreter (what a user runs)."""
    script = Path(sys.executable).parent / "lineage-history"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lineage_history"]


def child_env() -> dict[str, str]:
    """The environment of the commands: ours without a default database."""
    return {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}


def phase(commands: list[Any], scratch: Path) -> dict[str, Any]:
    """Run commands in a fresh measuring process; its report (see `_bench_phase.py`)."""
    out = scratch / f"phase-{time.monotonic_ns()}.json"
    subprocess.run(
        [sys.executable, str(HERE / "_bench_phase.py"), str(out), json.dumps(commands)],
        check=True,
    )
    report = json.loads(out.read_text())
    out.unlink()
    return report


def run_json(argv: list[str]) -> Any:
    """Run a `--format json` command; its parsed output (exit 2 with its stderr if it fails)."""
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env())
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout)


# -- output ---------------------------------------------------------------------------------


def line(text: str = "") -> None:
    print(text, flush=True)


def table(rows: Iterable[Iterable[str]], indent: str = "  ") -> None:
    rows = [list(r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        line(
            indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )


def mib(value: float) -> str:
    return f"{value / 1024 / 1024:.0f} MiB"


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


class Report:
    """The figures of a run (for --json) and the lines printed as they are measured."""

    def __init__(self) -> None:
        self.figures: dict[str, Any] = {}
        self.rows: list[tuple[str, str, str]] = []

    def line(self, text: str = "") -> None:
        line(text)

    def figure(self, key: str, label: str, value: Any, shown: str, target: str = "") -> None:
        self.figures[key] = value
        self.rows.append((label, shown, target))
        self.line(f"  {label:<44} {shown}")


# -- the working directory ------------------------------------------------------------------


def working_directory(keep: Path | None, prefix: str) -> tuple[Path, Path]:
    """The run's directory (`--keep DIR`, which must be empty, or a new temporary one) and
    its scratch directory."""
    root = keep or Path(tempfile.mkdtemp(prefix=prefix))
    if keep:
        if keep.exists() and any(keep.iterdir()):
            raise SystemExit(f"--keep {keep}: the directory is not empty")
        keep.mkdir(parents=True, exist_ok=True)
    scratch = root / "scratch"
    scratch.mkdir()
    return root, scratch


def finish(root: Path, scratch: Path, keep: bool, kept: str) -> None:
    """Remove the run's directory, or only its scratch with --keep (and say what is kept)."""
    if keep:
        shutil.rmtree(scratch, ignore_errors=True)
        line(f"kept: {kept}")
    else:
        shutil.rmtree(root, ignore_errors=True)


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "git": git(Path.cwd(), "--version").strip(),
    }


def parameters(args: Any) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def bytecode_setup(enabled: bool, root: Path) -> None:
    """--bytecode-cache: every process caches compiled bytecode under the working directory."""
    if enabled:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        line(f"bytecode cached in {root / 'pycache'} (--bytecode-cache)")
    elif os.environ.get("PYTHONDONTWRITEBYTECODE"):
        line(
            "note: PYTHONDONTWRITEBYTECODE is set: modules without .pyc files are compiled in "
            "every process (see --bytecode-cache)"
        )


def generate(repo: Path, args: Any) -> _bench_repo.GeneratedRepo:
    """The benchmark repository for --commits, --files and --seed."""
    return _bench_repo.generate(
        repo, args.commits, other_files=args.files, pipeline_share=0.1, seed=args.seed
    )


# -- what the queries ask about -------------------------------------------------------------


@dataclass(frozen=True)
class Subjects:
    """The nodes and revisions the read commands ask about, chosen from the history."""

    base: str  # commit len // 20, the older side of the diff
    head: str  # the last commit
    logged: str  # the node changed by the most commits
    up: str  # the node with the most upstream nodes
    down: str  # the node with the most downstream nodes
    source: str  # the upstream node of `up` with the most downstream nodes (a path to `up`)


def reach(start: str, edges: dict[str, set[str]]) -> set[str]:
    """The nodes reachable from `start` along `edges`, `start` excluded."""
    seen, stack = {start}, [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen - {start}


def graph_subjects(nodes: list[dict[str, Any]]) -> tuple[str, str, str]:
    """From the nodes of a `show --format json`: the node with the most upstream nodes, the
    one with the most downstream nodes, and the upstream node of the first with the most
    downstream nodes (a `path` source)."""
    names = {n["name"] for n in nodes}
    producers = {n["name"]: set(n["dependencies"]) for n in nodes}
    consumers: dict[str, set[str]] = {}
    for name, deps in producers.items():
        for dep in deps:
            consumers.setdefault(dep, set()).add(name)
    up = max(sorted(names), key=lambda n: len(reach(n, producers)))
    down = max(sorted(names), key=lambda n: len(reach(n, consumers)))
    source = max(sorted(reach(up, producers)), key=lambda n: len(reach(n, consumers)))
    return up, down, source


def pick_subjects(repo: Path, db: str, shas: list[str]) -> Subjects:
    """From `show HEAD`: the nodes with the most upstream / downstream nodes; from the
    subjects of the commits that change pipelines/: the node named by the most of them."""
    lh = lineage_history_command()
    shown = run_json([*lh, "show", "HEAD", "--format", "json", "--repo", str(repo), "--db", db])
    names = {n["name"] for n in shown["nodes"]}
    up, down, source = graph_subjects(shown["nodes"])
    subjects = git(repo, "log", "--format=%s", "--", _bench_repo.PIPELINE_PREFIX).splitlines()
    mentioned = Counter(
        word for subject in subjects for word in re.findall(r"\w+", subject) if word in names
    )
    logged = mentioned.most_common(1)[0][0] if mentioned else sorted(names)[0]
    base, head = shas[max(1, len(shas) // 20)], shas[-1]
    return Subjects(base, head, logged, up, down, source)
