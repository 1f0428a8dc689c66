"""Terminal output: the answers of the questions (`show`, `upstream`, `downstream`, `path`,
`blame`, `log`, `status`, `dags`) as plain-text tables. Every user string is made one
printable line. Diffs are `diff_text`'s, JSON shapes `contract`'s, Markdown `markdown`'s."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lineage_history._text import display_width, fit_list, ljust, plain, plural, terminal_width
from lineage_history.dag.model import Node, tag_text
from lineage_history.errors import first_line
from lineage_history.output.contract import iso_date

if TYPE_CHECKING:
    from lineage_history.dag.selectors import TagFilter
    from lineage_history.definitions.listing import DagListing
    from lineage_history.queries.at_commit import PathResult, Related, Shown
    from lineage_history.queries.history import Gap
    from lineage_history.queries.node_log import NodeLog
    from lineage_history.queries.review import ReachLog
    from lineage_history.queries.status import RepositoryStatus
    from lineage_history.queries.tag_blame import Blame
    from lineage_history.store.records import StoredCommit

MIN_DEPENDENCIES_WIDTH = 12
MIN_TAGS_WIDTH = 24  # what `show` leaves the tags (the last column) when it cuts dependencies


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as left-aligned columns of one-line cells; the last column is not padded."""
    if not rows:
        return []
    shown = [[plain(cell) for cell in row] for row in rows]
    widths = [max(display_width(row[i]) for row in shown) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(ljust(c, w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]]).rstrip()
        for row in shown
    ]


def tags_text(node: Node) -> str:
    return ", ".join(f"{key}={tag_text(value)}" for key, value in node.tags.items())


def where(rev: str, commit: StoredCommit) -> str:
    return f"{rev} ({commit.sha[:10]})"


def _day(commit: StoredCommit) -> str:
    return iso_date(commit.authored_at)[:10]


def _filters_text(filters: Sequence[TagFilter]) -> str:
    return f" with {' and '.join(str(f) for f in filters)}" if filters else ""


def _commit_row(commit: StoredCommit, change: str) -> tuple[str, str, str, str, str]:
    return (commit.sha[:10], _day(commit), commit.author_name, change, commit.subject)


def _gap_span(gap: Gap) -> str:
    """`12 commits (a1b2c3d4e5..e4f5a6b7c8, 2025-01-10..2026-08-02)`, oldest to newest."""
    shas, days = gap.newest.sha[:10], _day(gap.newest)
    if gap.commits > 1:
        shas, days = f"{gap.oldest.sha[:10]}..{shas}", f"{_day(gap.oldest)}..{days}"
    return f"{plural(gap.commits, 'commit')} ({shas}, {days})"


def gap_line(gap: Gap) -> str:
    """A gap in its place in a history: `? 12 commits (...) could not be built: Error: ...`."""
    return plain(f"? {_gap_span(gap)} could not be built: {first_line(gap.error)}")


def _entry_lines(
    rows: list[tuple[str, ...]], entries: Sequence[Any], details: Callable[[Any], Sequence[str]]
) -> list[str]:
    """Commit rows in columns, with their detail lines, and each gap in its place."""
    built = [entry for entry in entries if entry.gap is None]
    by_entry = dict(zip(map(id, built), columns(rows), strict=True))
    lines = []
    for entry in entries:
        if entry.gap is not None:
            lines.append(gap_line(entry.gap))
            continue
        lines.append(by_entry[id(entry)])
        lines += details(entry)
    return lines


def log_text(result: NodeLog, node: str, rev: str, *, follow: bool) -> str:
    following = ", following renames" if follow else ""
    lines = [f"log of {node} from {where(rev, result.head)}{following}"]
    if not any(entry.gap is None for entry in result.entries):
        lines.append(f"no commit in this history added, changed or removed {node}")
    rows = []
    for entry in result.entries:
        if entry.gap is not None:
            continue
        change = entry.change if isinstance(entry.change, str) else ", ".join(entry.change)
        rows.append(_commit_row(entry.commit, change + (" (stubbed)" if entry.stubbed else "")))
    indent = " " * (len(rows[0][0]) + 2) if rows else ""
    return "\n".join(
        lines + _entry_lines(rows, result.entries, lambda e: [indent + plain(d) for d in e.details])
    )


def reach_text(result: ReachLog) -> str:
    lines = [f"when {result.source} reached {result.target}, from {where(result.rev, result.head)}"]
    if not any(entry.gap is None for entry in result.entries):
        lines.append(f"{result.source} never started or stopped reaching {result.target} here")
    rows = [_commit_row(e.commit, e.change) for e in result.entries if e.gap is None]

    def path(entry: Any) -> list[str]:
        mark = "+" if entry.change == "started" else "-"
        return [f"{'':12}{mark} {' -> '.join(entry.path)}"]

    return "\n".join(lines + _entry_lines(rows, result.entries, path))


def show_text(
    shown: Shown,
    rev: str,
    filters: Sequence[TagFilter],
    role: str | None,
    width: int | None = None,
) -> str:
    """The nodes, one a row; a long dependency list is cut to what the terminal (`width`
    columns) leaves it, so one node with many inputs does not widen every row (the full
    list is in `--format json`)."""
    noun = f"{role} node" if role else "node"
    lines = [
        f"{shown.dag or '(no DAG)'} at {where(rev, shown.commit)}: "
        f"{plural(len(shown.nodes), noun)}{_filters_text(filters)}"
    ]
    if shown.stubbed:
        lines.append(f"built with stand-ins for: {', '.join(shown.stubbed)}")
    if not shown.nodes:
        return "\n".join(lines)
    header = ("NAME", "ROLE", "TYPE")
    fixed = [(plain(n.name), n.role, plain(n.type)) for n in shown.nodes]
    used = sum(max(display_width(row[i]) for row in [header, *fixed]) + 2 for i in range(3))
    tags = [plain(tags_text(n)) or "-" for n in shown.nodes]
    kept_for_tags = min(MIN_TAGS_WIDTH, max(display_width(text) for text in ["TAGS", *tags]))
    room = (width or terminal_width()) - used - 2 - kept_for_tags
    rows = [(*header, "DEPENDENCIES", "TAGS")] + [
        (*row, fit_list(n.dependencies, max(room, MIN_DEPENDENCIES_WIDTH)) or "-", text)
        for row, n, text in zip(fixed, shown.nodes, tags, strict=True)
    ]
    return "\n".join(lines + columns(rows))


def related_text(result: Related, filters: Sequence[TagFilter]) -> str:
    """`upstream` and `downstream`, nearest first."""
    lines = [
        f"{result.direction} of {result.node} at {where(result.rev, result.commit)}: "
        f"{plural(len(result.nodes), 'node')}{_filters_text(filters)}"
    ]
    if result.nodes:
        rows = [("DIST", "NAME", "TYPE", "TAGS")] + [
            (str(d), n.name, n.type, tags_text(n) or "-") for n, d in result.nodes
        ]
        lines += columns(rows)
    return "\n".join(lines)


def path_text(result: PathResult, filters: Sequence[TagFilter]) -> str:
    source, target, at = result.source, result.target, where(result.rev, result.commit)
    if not result.path_count:
        hint = f" (but {target} feeds {source}: try `path {target} {source}`)"
        return f"no path from {source} to {target} at {at}" + (
            hint if result.reverse_exists else ""
        )
    lines = [f"{plural(result.path_count, 'path')} from {source} to {target} at {at}"]
    if filters:
        lines.append(f"nodes on them{_filters_text(filters)}:")
        lines += [f"  {node.name}  {tags_text(node)}" for node in result.nodes]
        return "\n".join(lines)
    lines += ["  " + " -> ".join(trail) for trail in result.paths]
    if result.path_count > len(result.paths):
        lines.append(f"  ... and {result.path_count - len(result.paths)} more")
    return "\n".join(lines)


def blame_text(result: Blame, wanted: TagFilter, rev: str) -> str:
    lines = [f"blame {wanted} at {where(rev, result.commit)}: {plural(len(result.lines), 'node')}"]
    rows = [
        (
            line.node,
            f"{wanted.key}={tag_text(line.value)}",
            line.commit.sha[:10],
            _day(line.commit),
            line.commit.author_name,
            line.commit.subject,
        )
        for line in result.lines
    ]
    for row, line in zip(columns(rows), result.lines, strict=True):
        lines.append(row)
        if line.gap is not None:  # the tag may have come in one of these
            span, error = _gap_span(line.gap), first_line(line.gap.error)
            lines.append("  " + plain(f"? or earlier, in {span} that could not be built: {error}"))
    return "\n".join(lines)


def status_text(status: RepositoryStatus, *, failures: int = 20) -> str:
    """What is indexed, and the first `failures` failed DAGs."""
    counts, run = status.counts, status.counts.last_run
    behind = "unknown (repository not on disk)" if status.behind is None else status.behind
    built = counts.dag_commits
    lines = [
        f"commits:   {counts.commits} indexed, {behind} behind the refs",
        f"snapshots: {counts.snapshots}",
        f"failed:    {plural(counts.failed, 'commit')} with a failed DAG",
        f"builds:    {built.ok} exact, {built.stubbed} with stand-ins, "
        f"{built.failed} failed (commit, DAG) pairs",
    ]
    if run is None:
        lines.append("last run:  never")
    else:
        took = f" ({run.seconds:.1f} s)" if run.seconds is not None else ""
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started_at))
        message = first_line(run.message or "")  # older runs kept more than one line
        lines.append(f"last run:  {when}{took}, {run.status}: {plain(message)}")
    for failure in status.failures[:failures]:
        dag = f"{failure.dag}: " if failure.dag else ""
        lines.append(f"  failed {failure.sha[:12]} {dag}{plain(failure.error)}")
    return "\n".join(lines)


def all_statuses_text(statuses: Sequence[RepositoryStatus]) -> str:
    """`status --all-repos`: each repository, named."""
    blocks = []
    for status in statuses:
        row = status.repository
        assert row is not None
        head = f"{row.name}  ({row.path}, root {row.identity[:12]})"
        blocks.append(f"{head}\n{status_text(status)}\n")
    return "\n".join(blocks)


def _config_text(config: Mapping[str, Any], literal: bool) -> str:
    text = json.dumps(dict(config), sort_keys=True) if config else ""
    return text if literal else f"{text} (not a literal)".strip()


def dags_text(listings: Sequence[DagListing], rev: str) -> str:
    if not listings:
        return f"no DAGs at {rev}: no definition and no Hamilton driver code found"
    lines = []
    for listing in listings:
        definition = listing.definition
        lines += [
            f"{definition.name}  [{listing.status}]",
            f"  source:  {definition.source}",
            f"  modules: {', '.join(definition.modules)}",
        ]
        config_text = _config_text(definition.config, definition.config_literal)
        if config_text:
            lines.append(f"  config:  {config_text}")
        if listing.stubbed:
            lines.append(f"  built with stand-ins for: {', '.join(listing.stubbed)}")
        if listing.error:
            lines.append(f"  error:   {first_line(listing.error)}")
        lines += [f"  note:    {note}" for note in definition.notes]
    return "\n".join(lines)


def dags_warnings(listings: Sequence[DagListing]) -> list[str]:
    """The notes of the DAGs at a revision, each once: what `dags` warns of on stderr."""
    notes = dict.fromkeys(note for listing in listings for note in listing.definition.notes)
    return [f"warning: {note}" for note in notes]
