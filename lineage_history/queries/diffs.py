"""`diff`: the lineage diff between two indexed revisions (or a range), or of one revision
against the working tree or the index."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lineage_history.dag.diff import LineageDiff, diff
from lineage_history.dag.impact import DEFAULT_CONTRACT_TAGS, ImpactReport, classify
from lineage_history.dag.model import Snapshot
from lineage_history.errors import UserError
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.ranges import is_range, resolve_pair
from lineage_history.store.records import StoredCommit


@dataclass(frozen=True)
class LiveSides:
    """An indexed revision and the working tree (or the index) it is compared with, as
    `build.live.live_sides` builds them for `diff` and `check`."""

    dag: str
    base_rev: str
    base: StoredCommit
    where: str  # "working tree" | "index"
    old: Snapshot
    new: Snapshot


@dataclass(frozen=True)
class DiffReport:
    dag: str
    base_rev: str
    base: StoredCommit
    head_rev: str
    head: StoredCommit | None  # None: the working tree or the index (see live.py)
    diff: LineageDiff
    old: Snapshot
    new: Snapshot


def is_live(base_rev: str | None, head_rev: str | None) -> bool:
    """Whether `diff`/`check` compare with the working tree (or the index): no revision, or
    one that is not a range."""
    return base_rev is None or (head_rev is None and not is_range(base_rev))


def live_diff(sides: LiveSides) -> DiffReport:
    """The diff of a revision against the working tree or the index."""
    lineage = diff(sides.old, sides.new)
    return DiffReport(
        sides.dag, sides.base_rev, sides.base, sides.where, None, lineage, sides.old, sides.new
    )


def diff_revisions(
    handle: QueryHandle,
    base_rev: str,
    head_rev: str | None,
    dag: str | None,
    *,
    staged: bool = False,
) -> DiffReport:
    """The diff `base_rev head_rev`, or of a range `A...B` / `A..B` given alone, between two
    indexed revisions (one revision alone is `build.live.diff_live`'s: see `is_live`)."""
    if is_live(base_rev, head_rev):
        raise UserError("a diff of one revision compares it with the working tree")
    if staged:
        raise UserError("--staged compares one revision (default HEAD) with the index")
    pair = resolve_pair(handle, base_rev, head_rev)
    name = handle.pick_dag(dag, [(pair.base_rev, pair.base), (pair.head_rev, pair.head)])
    old, new = handle.snapshot_at(pair.base, name), handle.snapshot_at(pair.head, name)
    return DiffReport(
        name, pair.base_rev, pair.base, pair.head_rev, pair.head, diff(old, new), old, new
    )


def impact_of(
    report: DiffReport, contract_tags: Iterable[str] = DEFAULT_CONTRACT_TAGS
) -> ImpactReport:
    """What the report's change does to consumers (a DAG that is new breaks nobody)."""
    return classify(report.diff, introduced=not report.old.nodes, contract_tags=contract_tags)
