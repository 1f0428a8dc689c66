"""Terminal output: a lineage diff, rule violations, and the answers of the questions (`show`,
`upstream`, `downstream`, `path`, `blame`, `log`, `status`, `dags`) as plain-text tables. Every
user string is made one printable line. JSON shapes are `contract`'s, Markdown `markdown`'s."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lineage_history._text import display_width, ljust, plain, plural
from lineage_history.dag.diff import LineageDiff, change_details
from lineage_history.dag.impact import BREAKING, DATA_CHANGING, NON_BREAKING, ImpactReport
from lineage_history.dag.model import Node, tag_text
from lineage_history.errors import first_line
from lineage_history.output.contract import iso_date

if TYPE_CHECKING:
    from lineage_history.dag.policy import Violation
    from lineage_history.dag.selectors import TagFilter
    from lineage_history.definitions.listing import DagListing
    from lineage_history.queries.at_commit import PathResult, Related, Shown
    from lineage_history.queries.diffs import DiffReport
    from lineage_history.queries.node_log import NodeLog
    from lineage_history.queries.review import CheckReport, ReachLog
    from lineage_history.queries.status import RepositoryStatus
    from lineage_history.queries.tag_blame import Blame
    from lineage_history.store.records import StoredCommit

_COLOURS = {
    "added": "32",
    "removed": "31",
    "modified": "33",
    "renamed": "36",
    "impacted": "35",
    "dim": "2",
    "bold": "1",
}


def _paint(text: str, style: str, colour: bool) -> str:
    return f"\x1b[{_COLOURS[style]}m{text}\x1b[0m" if colour else text


def summary_line(lineage: LineageDiff) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in lineage.summary().items())


def diff_title(report: DiffReport) -> str:
    """`lineage diff DAG: BASE (sha) -> HEAD (sha)`; the working tree or the index by name."""
    base = f"{report.base_rev} ({report.base.sha[:10]})"
    head = report.head_rev if report.head is None else where(report.head_rev, report.head)
    return f"lineage diff {report.dag or '(no DAG)'}: {base} -> {head}"


def diff_to_table(
    lineage: LineageDiff,
    title: str,
    *,
    colour: bool = False,
    impact: ImpactReport | None = None,
) -> str:
    """A diff for people at a terminal: the bump and what breaks first, then one line per
    node, grouped by kind of change, then edges and config."""
    lines = [_paint(plain(title), "bold", colour), summary_line(lineage)]
    for side, stubbed in (("base", lineage.stubbed_before), ("head", lineage.stubbed_after)):
        if stubbed:
            text = plain(f"{side} built with stand-ins for: {', '.join(stubbed)}")
            lines.append(_paint(text, "dim", colour))
    if lineage.is_empty:
        lines.append("no lineage changes")
        return "\n".join(lines)
    if impact is not None:
        lines += _impact_lines(impact, colour)
    lines += ["", *_node_lines(lineage, impact, colour)]
    lines += _edge_lines(lineage, colour) + _config_change_lines(lineage, colour)
    return "\n".join(lines)


def _impact_lines(impact: ImpactReport, colour: bool) -> list[str]:
    """`bump: major (...)` and the breaking changes, each with why."""
    direct = [n for n in impact.nodes.values() if not n.indirect]
    counts = ", ".join(
        f"{sum(n.impact == kind for n in direct)} {kind}"
        for kind in (BREAKING, DATA_CHANGING, NON_BREAKING)
    )
    lines = [_paint(f"bump: {impact.bump} ({counts} changes)", "bold", colour)]
    breaking = impact.direct(BREAKING)
    width = max((display_width(plain(n.node)) for n in breaking), default=0)
    for found in breaking:
        text = f"  breaking  {ljust(plain(found.node), width)}  {plain('; '.join(found.reasons))}"
        lines.append(_paint(text, "removed", colour))
    return lines


def _node_lines(lineage: LineageDiff, impact: ImpactReport | None, colour: bool) -> list[str]:
    rows: list[tuple[str, str, str, str]] = []
    rows += [("+", "added", n.name, n.type) for n in lineage.added]
    rows += [("-", "removed", n.name, n.type) for n in lineage.removed]
    rows += [("~", "modified", m.name, ", ".join(m.changes)) for m in lineage.modified]
    rows += [(">", "renamed", f"{old} -> {new}", "") for old, new in lineage.renamed]
    rows += [
        ("!", "impacted", name, "via " + ", ".join(because))
        for name, because in lineage.impacted.items()
    ]
    width = max(display_width(plain(r[2])) for r in rows)
    details = {m.name: change_details(m) for m in lineage.modified}
    lines = []
    for mark, kind, name, note in rows:
        label = _paint(f"{mark} {kind:<9}", kind, colour)
        node = name.rpartition(" -> ")[2]
        if impact is not None and node in impact.nodes:
            note = f"{note}  [{impact.nodes[node].impact}]".lstrip()
        lines.append(f"{label} {ljust(plain(name), width)}  {plain(note)}".rstrip())
        if kind == "modified":
            lines.extend(
                _paint(f"{'':12}{'':{width}}  {plain(d)}", "dim", colour) for d in details[name]
            )
    return lines


def _edge_lines(lineage: LineageDiff, colour: bool) -> list[str]:
    if not (lineage.edges_added or lineage.edges_removed):
        return []
    lines = [""]
    lines += [
        _paint(f"+ edge      {plain(a)} -> {plain(b)}", "added", colour)
        for a, b in lineage.edges_added
    ]
    lines += [
        _paint(f"- edge      {plain(a)} -> {plain(b)}", "removed", colour)
        for a, b in lineage.edges_removed
    ]
    return lines


def _config_change_lines(lineage: LineageDiff, colour: bool) -> list[str]:
    if not lineage.config_changed:
        return []
    lines = [""]
    for key in lineage.config_changed:
        old = lineage.config_before.get(key, "(unset)")
        new = lineage.config_after.get(key, "(unset)")
        text = f"~ config    {plain(key)}: {plain(repr(old))} -> {plain(repr(new))}"
        lines.append(_paint(text, "modified", colour))
    return lines


# -- lineage rules (`check`) -----------------------------------------------------------------


def _violation_text(found: Violation) -> tuple[str, str]:
    """(what is wrong, the path or the missing tags) in plain text."""
    if found.path is not None:
        return f"{found.source} reaches {found.target}", " -> ".join(found.path)
    if found.reasons is not None:
        return f"{found.node} breaks: {'; '.join(found.reasons)}", ""
    missing = ", ".join(found.missing or ())
    return f"{found.node} lacks tag(s) {missing}", ""


def violation_count(violations: Sequence[Violation], change: bool) -> str:
    plural = "" if len(violations) == 1 else "s"
    return f"{len(violations)}{' new' if change else ''} violation{plural}"


def check_title(report: CheckReport) -> str:
    head = where(report.head_rev, report.head)
    at = f"at {head}"
    if report.base is not None:
        at = f"{where(report.base_rev or '', report.base)} → {head}"
    rules = report.rules
    origin = f", {len(rules.rules)} rules from {rules.source}" if rules.source else ""
    return f"lineage check of {report.dag or '(no DAG)'}: {at}{origin}"


def check_to_table(
    violations: Sequence[Violation], title: str, rule_count: int, *, change: bool
) -> str:
    """Violations for a terminal; `change`: they are those a change introduces."""
    if not rule_count:
        return f"{title}\nno rules defined (see `[[rules]]` in the README)"
    lines = [title, violation_count(violations, change)]
    lines += [
        "  ".join(part for part in (found.rule, *_violation_text(found)) if part)
        for found in violations
    ]
    return "\n".join(lines)


# -- the questions ------------------------------------------------------------------------


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


def log_text(result: NodeLog, node: str, rev: str, *, follow: bool) -> str:
    following = ", following renames" if follow else ""
    lines = [f"log of {node} from {where(rev, result.head)}{following}"]
    if not result.entries:
        lines.append(f"no commit in this history added, changed or removed {node}")
    rows = []
    for entry in result.entries:
        change = entry.change if isinstance(entry.change, str) else ", ".join(entry.change)
        rows.append(_commit_row(entry.commit, change + (" (stubbed)" if entry.stubbed else "")))
    indent = " " * (len(rows[0][0]) + 2) if rows else ""
    for line, entry in zip(columns(rows), result.entries, strict=True):
        lines.append(line)
        lines += [indent + plain(detail) for detail in entry.details]
    return "\n".join(lines)


def reach_text(result: ReachLog) -> str:
    lines = [f"when {result.source} reached {result.target}, from {where(result.rev, result.head)}"]
    if not result.entries:
        lines.append(f"{result.source} never started or stopped reaching {result.target} here")
    rows = [_commit_row(entry.commit, entry.change) for entry in result.entries]
    for line, entry in zip(columns(rows), result.entries, strict=True):
        mark = "+" if entry.change == "started" else "-"
        lines += [line, f"{'':12}{mark} {' -> '.join(entry.path)}"]
    return "\n".join(lines)


def show_text(shown: Shown, rev: str, filters: Sequence[TagFilter], role: str | None) -> str:
    noun = f"{role} node" if role else "node"
    lines = [
        f"{shown.dag or '(no DAG)'} at {where(rev, shown.commit)}: "
        f"{plural(len(shown.nodes), noun)}{_filters_text(filters)}"
    ]
    if shown.stubbed:
        lines.append(f"built with stand-ins for: {', '.join(shown.stubbed)}")
    if shown.nodes:
        rows = [("NAME", "ROLE", "TYPE", "DEPENDENCIES", "TAGS")] + [
            (n.name, n.role, n.type, ", ".join(n.dependencies) or "-", tags_text(n) or "-")
            for n in shown.nodes
        ]
        lines += columns(rows)
    return "\n".join(lines)


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
    return "\n".join(lines + columns(rows))


def status_text(status: RepositoryStatus, *, failures: int = 20) -> str:
    """What is indexed, and the first `failures` failed DAGs."""
    counts, run = status.counts, status.counts.last_run
    behind = "unknown (repository not on disk)" if status.behind is None else status.behind
    built = counts.dag_commits
    lines = [
        f"commits:   {counts.commits} indexed, {behind} behind the refs",
        f"snapshots: {counts.snapshots}",
        f"failed:    {counts.failed}",
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
    return "\n".join(lines)
