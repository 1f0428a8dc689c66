"""Commands that write: `index`, and `status` and `demo` around it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage_history._text import plural
from lineage_history.cli._common import (
    DB,
    REPO,
    arg,
    at_least,
    colour,
    command,
    echo,
    echo_json,
    info,
    output_format,
)
from lineage_history.defaults import DEFAULT_CLAIM_TIMEOUT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from collections import Counter

    from lineage_history.store.records import DagFailure

# -- index ----------------------------------------------------------------------------------


_UNITS = {"planning": "commits", "building": "builds"}


def _progress_reporter():  # type: ignore[no-untyped-def]
    """A progress bar per phase (what, done/total, rate) on a terminal; elsewhere (cron, CI,
    pipes) a line when a phase starts and every 30 s."""
    started: dict[str, float] = {}
    if not sys.stderr.isatty():
        last = [0.0]

        def log(phase: str, done: int, total: int) -> None:
            now = time.monotonic()
            first = phase not in started
            started.setdefault(phase, now)
            if total and (first or now - last[0] >= 30 or done == total):
                last[0] = now
                rate = done / max(now - started[phase], 1e-6)
                info(f"{phase}: {done}/{total} {_UNITS[phase]} ({rate:.0f}/s)")

        return log, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    progress = Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "{task.fields[rate]}",
        TimeRemainingColumn(),
        transient=True,
    )
    tasks: dict[str, Any] = {}
    progress.start()

    def update(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase not in tasks:
            started[phase] = now
            tasks[phase] = progress.add_task(phase, total=total, rate="")
        rate = done / max(now - started[phase], 1e-6)
        progress.update(
            tasks[phase], completed=done, total=total, rate=f"{rate:.0f} {_UNITS[phase]}/s"
        )

    return update, progress.stop


def _report_stand_ins(builds: int, stand_ins: Counter[str]) -> None:
    """The packages builds stood in for, most frequent first: what to install for exact
    builds (then `index --rebuild-stubbed`)."""
    if not builds:
        return
    top = ", ".join(f"{name} ({count})" for name, count in stand_ins.most_common(10))
    more = f", and {len(stand_ins) - 10} more" if len(stand_ins) > 10 else ""
    info(f"{builds} build(s) used stand-ins for missing imports: {top}{more}")


def _report_failures(failures: list[DagFailure]) -> None:
    """One line per cause (the error without where it happened), most frequent first."""
    if not failures:
        return
    from collections import Counter

    causes = Counter(_cause(failure.error) for failure in failures)
    info(f"{len(failures)} failed (commit, DAG) state(s), by cause:")
    for cause, count in causes.most_common(10):
        info(f"  {count:>6}  {cause}")
    if len(causes) > 10:
        info(f"  ... and {len(causes) - 10} other causes (see `lineage-history status`)")


def _cause(error: str) -> str:
    """`ModuleNotFoundError: No module named 'x' (a/b.py, line 3)` without where, and with
    memory addresses (`<function f at 0x7f...>`) blanked, so one cause is one line."""
    import re

    text = re.sub(r" \([^()]*, line \d+\)$", "", error)
    return re.sub(r" at 0x[0-9a-f]+", "", text)[:160]


@command(
    "index",
    arg(
        "revs",
        nargs="*",
        help="Revisions whose history to index (default: HEAD and all local branches).",
    ),
    arg("--all", dest="all_refs", action="store_true", help="Index every ref."),
    arg("--config", help="A DAG definition file that applies to every commit."),
    arg(
        "--jobs",
        "-j",
        type=at_least(1),
        default=os.cpu_count() or 1,
        help="Parallel builds (default: the number of cores).",
    ),
    arg(
        "--timeout",
        type=at_least(1, float),
        default=DEFAULT_TIMEOUT,
        help=f"Seconds a build may take before it is killed (default: {DEFAULT_TIMEOUT:g}).",
    ),
    arg(
        "--memory-limit",
        dest="memory",
        type=at_least(64),
        default=DEFAULT_MEMORY_MB,
        help=f"Memory limit of a build, in MiB (default: {DEFAULT_MEMORY_MB}).",
    ),
    arg("--retry-failed", action="store_true", help="Build the failed commits again."),
    arg(
        "--rebuild-stubbed",
        action="store_true",
        help="Build again the commits whose builds used stand-ins (after installing their "
        "missing packages).",
    ),
    arg(
        "--pass-env",
        action="append",
        help="An environment variable builds may see (repeatable).",
    ),
    arg(
        "--claim-timeout",
        type=at_least(1, float),
        default=DEFAULT_CLAIM_TIMEOUT,
        help="Seconds after which a build claimed by an indexer that stopped refreshing it may "
        f"be taken over (default: {DEFAULT_CLAIM_TIMEOUT:g}).",
    ),
    arg(
        "--watch",
        action="store_true",
        help="Keep indexing every --interval seconds until SIGTERM or Ctrl-C.",
    ),
    arg(
        "--interval",
        type=at_least(0.1, float),
        default=60.0,
        help="Seconds between --watch rounds (default: 60).",
    ),
    arg("--fetch", action="store_true", help="Run `git fetch --all` before each --watch round."),
    REPO,
    DB,
)
def index(
    revs: list[str],
    all_refs: bool,
    config: str | None,
    jobs: int,
    timeout: float,
    memory: int,
    retry_failed: bool,
    rebuild_stubbed: bool,
    pass_env: list[str] | None,
    claim_timeout: float,
    watch: bool,
    interval: float,
    fetch: bool,
    repo: str | None,
    db: str | None,
) -> int:
    """Index the DAG of every commit reachable from REVS: incremental, idempotent, cron-safe."""
    from lineage_history.definitions.toml_files import load_override
    from lineage_history.index import session as indexing
    from lineage_history.index.run import IndexOptions

    override = load_override(config) if config else None
    options = IndexOptions(
        revs=tuple(revs or ()),
        all_refs=all_refs,
        override=override,
        jobs=jobs,
        timeout=timeout,
        memory_mb=memory,
        retry_failed=retry_failed,
        rebuild_stubbed=rebuild_stubbed,
        pass_env=tuple(pass_env or ()),
        claim_timeout=claim_timeout,
    )
    with indexing.indexing(repo, db) as handle:
        if watch:
            indexing.watch(handle, options, interval, fetch=fetch, notify=info, log=echo)
            return 0
        if fetch:
            handle.repo.fetch()
        update, stop = _progress_reporter()
        try:
            result = indexing.index_once(handle, options, progress=update, notify=info)
        finally:
            stop()
    _report_stand_ins(result.stubbed, result.stand_ins)
    _report_failures(result.failures)
    echo(result.summary())
    return 130 if result.interrupted else 0


# -- status ---------------------------------------------------------------------------------


@command(
    "status",
    output_format(),
    arg("--all-repos", action="store_true", help="Every repository in the database."),
    REPO,
    DB,
)
def status(output_format: str, all_repos: bool, repo: str | None, db: str | None) -> None:
    """What is indexed: commits (and how many are behind the refs), distinct snapshots,
    failed commits, the last run."""
    from lineage_history.output import contract, tables
    from lineage_history.queries import handle, status

    if all_repos:
        statuses = status.all_repositories_status(db)
        if output_format == "json":
            echo_json(contract.all_statuses_json(statuses))
        else:
            echo(tables.all_statuses_text(statuses))
        return
    with handle.opened(repo, db) as opened:
        found = status.repository_status(opened)
    if output_format == "json":
        echo_json(contract.status_json(found))
    else:
        echo(tables.status_text(found))


# -- demo -----------------------------------------------------------------------------------


def _path_hint() -> str:
    """An `export PATH=...` line when this `lineage-history` is not the one on PATH (a venv)."""
    executable = Path(sys.argv[0]).resolve()
    import shutil

    on_path = shutil.which("lineage-history")
    if executable.name != "lineage-history" or (on_path and Path(on_path).resolve() == executable):
        return ""
    return f"  export PATH={executable.parent}:$PATH\n"


@command(
    "demo",
    arg(
        "directory",
        nargs="?",
        type=Path,
        help="Where to build the demo repository (default: a new temporary directory).",
    ),
    arg("--jobs", "-j", type=at_least(1), default=os.cpu_count() or 1, help="Parallel builds."),
)
def demo(directory: Path | None, jobs: int) -> None:
    """Build a demo repository with a scripted pipeline history, index it, show a diff."""
    import tempfile

    from lineage_history.demo.builder import build_demo_repo
    from lineage_history.index import session as indexing
    from lineage_history.index.run import IndexOptions
    from lineage_history.output import tables
    from lineage_history.queries import diffs, handle

    target = directory or Path(tempfile.mkdtemp(prefix="lineage-history-demo-")) / "titanic"
    info(f"building the demo repository in {target} ...")
    shas = build_demo_repo(target)
    info(f"{plural(len(shas), 'commit')} written; indexing ...")
    db_path = target / ".git" / "lineage-history.sqlite"
    with indexing.indexing(str(target), str(db_path)) as index:
        result = indexing.index_once(index, IndexOptions(all_refs=True, jobs=jobs), notify=info)
    info(f"{result.summary()}; the failure is the story's broken reference (demo/broken)")
    with handle.opened(str(target), str(db_path)) as opened:
        report = diffs.diff_revisions(opened, "demo/v1", "main", None)
    title = "lineage diff: demo/v1 (the first pipeline) -> main"
    echo(tables.diff_to_table(report.diff, title, colour=colour()))
    echo(
        f"\nThe demo repository is {target}; each story step is a tag (git tag -l).\n"
        "Try, from there:\n"
        f"{_path_hint()}"
        f"  cd {target}\n"
        "  lineage-history status\n"
        "  lineage-history diff demo/sex-pii~1 demo/sex-pii\n"
        "  lineage-history diff demo/v1 main --format markdown\n"
        "  lineage-history log family_count --follow\n"
        "  lineage-history blame PII=true\n"
        "  lineage-history downstream sex --tag artifact\n"
        "  lineage-history upstream fit_random_forest --at demo/v1\n"
        "  lineage-history viz main --base demo/v1 -o lineage-diff.mmd"
    )
