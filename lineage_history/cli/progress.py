"""What an index run tells the person who started it, on stderr: progress per phase (a bar on
a terminal, a line every 30 s elsewhere: cron, CI, pipes), the packages builds stood in for,
and the failures by cause."""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from lineage_history.cli.app import info

if TYPE_CHECKING:
    from lineage_history.store.records import DagFailure

_UNITS = {"planning": "commits", "building": "builds"}
Update = Callable[[str, int, int], None]


def progress_reporter() -> tuple[Update, Callable[[], None]]:
    """(what the run calls with (phase, done, total), what stops the display)."""
    if not sys.stderr.isatty():
        return _log_lines(), lambda: None
    return _bars()


def _log_lines() -> Update:
    started: dict[str, float] = {}
    last = [0.0]

    def log(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        first = phase not in started
        started.setdefault(phase, now)
        if total and (first or now - last[0] >= 30 or done == total):
            last[0] = now
            rate = done / max(now - started[phase], 1e-6)
            info(f"{phase}: {done}/{total} {_UNITS[phase]} ({rate:.0f}/s)")

    return log


def _bars() -> tuple[Update, Callable[[], None]]:
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
    started: dict[str, float] = {}
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


def report_stand_ins(builds: int, stand_ins: Counter[str]) -> None:
    """The packages builds stood in for, most frequent first: what to install for exact
    builds (then `index --rebuild-stubbed`)."""
    if not builds:
        return
    top = ", ".join(f"{name} ({count})" for name, count in stand_ins.most_common(10))
    more = f", and {len(stand_ins) - 10} more" if len(stand_ins) > 10 else ""
    info(f"{builds} build(s) used stand-ins for missing imports: {top}{more}")


def report_failures(failures: Sequence[DagFailure]) -> None:
    """One line per cause (the error without where it happened), most frequent first."""
    if not failures:
        return
    causes = Counter(_cause(failure.error) for failure in failures)
    info(f"{len(failures)} failed (commit, DAG) state(s), by cause:")
    for cause, count in causes.most_common(10):
        info(f"  {count:>6}  {cause}")
    if len(causes) > 10:
        info(f"  ... and {len(causes) - 10} other causes (see `lineage-history status`)")


def _cause(error: str) -> str:
    """`ModuleNotFoundError: No module named 'x' (a/b.py, line 3)` without where, and with
    memory addresses (`<function f at 0x7f...>`) blanked, so one cause is one line."""
    text = re.sub(r" \([^()]*, line \d+\)$", "", error)
    return re.sub(r" at 0x[0-9a-f]+", "", text)[:160]
