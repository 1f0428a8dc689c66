"""A lineage diff and rule violations for people at a terminal: the bump and what breaks
first, one line per node, edges and config; violations one per line. Every user string is
made one printable line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lineage_history._text import display_width, ljust, plain
from lineage_history.dag.diff import LineageDiff, change_details
from lineage_history.dag.impact import BREAKING, DATA_CHANGING, NON_BREAKING, ImpactReport
from lineage_history.output.tables import where

if TYPE_CHECKING:
    from lineage_history.dag.policy import Violation
    from lineage_history.queries.diffs import DiffReport
    from lineage_history.queries.review import CheckReport


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


def check_title(report: CheckReport) -> str:
    """What `check` judged: one revision, a change between two, or the working tree's."""
    head = report.head_rev if report.head is None else where(report.head_rev, report.head)
    at = f"at {head}"
    if report.base is not None:
        at = f"{where(report.base_rev or '', report.base)} → {head}"
    rules = report.rules
    origin = f", {len(rules.rules)} rules from {rules.source}" if rules.source else ""
    return f"lineage check of {report.dag or '(no DAG)'}: {at}{origin}"


def violation_count(violations: Sequence[Violation], change: bool) -> str:
    plural = "" if len(violations) == 1 else "s"
    return f"{len(violations)}{' new' if change else ''} violation{plural}"


NO_RULES = (
    "no rules defined: add `[[rules]]` to lineage-history.toml or "
    "`[[tool.lineage-history.rules]]` to pyproject.toml, or pass --rules FILE (docs/rules.md)"
)


def check_to_table(
    violations: Sequence[Violation], title: str, rule_count: int, *, change: bool
) -> str:
    """Violations for a terminal; `change`: they are those a change introduces."""
    if not rule_count:
        return f"{title}\n{NO_RULES}"
    lines = [title, violation_count(violations, change)]
    lines += [
        "  ".join(part for part in (found.rule, *_violation_text(found)) if part)
        for found in violations
    ]
    return "\n".join(lines)
