"""Markdown for pull-request comments: a lineage diff with its Mermaid picture, and rule
violations; every user string escaped, and kept under GitHub's comment size limit."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lineage_history._text import md_name, md_text, plural
from lineage_history.dag.diff import LineageDiff, change_details
from lineage_history.dag.impact import BREAKING, ImpactReport
from lineage_history.output.diff_text import summary_line, violation_count

if TYPE_CHECKING:
    from lineage_history.dag.policy import Violation

# GitHub refuses comments over 65,536 characters; stay clear of it, in bytes.
MARKDOWN_LIMIT = 60_000


def _change_rows(lineage: LineageDiff, impact: ImpactReport | None) -> list[tuple[str, str]]:
    """(node, table row) of every added, removed, modified and renamed node; its details
    begin with its impact when the diff was classified."""

    def row(kind: str, name: str, shown: str, detail: str) -> tuple[str, str]:
        if impact is not None:
            detail = "; ".join(part for part in (impact.nodes[name].impact, detail) if part)
        return name, f"| {kind} | {shown} | {md_text(detail)} |"

    rows = [row("added", n.name, md_name(n.name), n.type) for n in lineage.added]
    rows += [row("removed", n.name, md_name(n.name), n.type) for n in lineage.removed]
    for change in lineage.modified:
        detail = "; ".join([", ".join(change.changes), *change_details(change)])
        rows.append(row("modified", change.name, md_name(change.name), detail))
    rows += [
        row("renamed", new, f"{md_name(old)} → {md_name(new)}", "") for old, new in lineage.renamed
    ]
    return rows


def _impacted_rows(lineage: LineageDiff) -> list[str]:
    return [
        f"| impacted | {md_name(name)} | via {', '.join(md_name(b) for b in because)} |"
        for name, because in lineage.impacted.items()
    ]


def _config_lines(lineage: LineageDiff) -> list[str]:
    if not lineage.config_changed:
        return []
    lines = ["", "Config changes:", ""]
    for key in lineage.config_changed:
        old = lineage.config_before.get(key, "(unset)")
        new = lineage.config_after.get(key, "(unset)")
        lines.append(f"- {md_name(key)}: {md_text(repr(old))} → {md_text(repr(new))}")
    return lines


def _size(lines: list[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def _summarized_rows(lineage: LineageDiff, impact: ImpactReport | None, budget: int) -> list[str]:
    """The changes with the most downstream impact first, as many as fit, and what is left out."""
    counts = lineage.impact_counts()
    ranked = sorted(_change_rows(lineage, impact), key=lambda row: (-counts.get(row[0], 0), row[0]))
    kept: list[str] = []
    for _name, row in ranked:
        if _size(kept) + len(row.encode()) + 1 > budget:
            break
        kept.append(row)
    left_out = len(ranked) - len(kept)
    if lineage.impacted:
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5]
        via = ", ".join(f"{md_name(name)} ({count})" for name, count in top)
        kept.append(f"| impacted | {plural(len(lineage.impacted), 'node')} | most via {via} |")
    missing = [plural(left_out, "changed node")] if left_out else []
    missing += [f"the {plural(len(lineage.impacted), 'impacted node')}"] if lineage.impacted else []
    note = (
        "Too large for one comment: the changed nodes with the most downstream impact come "
        f"first; {' and '.join(missing) or 'nothing'} left out of the list "
        "(`lineage-history diff --format json` has them all)."
    )
    return [note, "", "| change | node | details |", "| --- | --- | --- |", *kept]


_HANDLE = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]+)?")


def mention(owner: str) -> str:
    """An owner tag's value: an @-mention where it is a GitHub handle or team (`@name`,
    `@org/team`), so that the people whose data changes are asked; else inert text."""
    return owner if _HANDLE.fullmatch(owner) else md_text(owner)


def _impact_lines(impact: ImpactReport, shown: int = 20) -> list[str]:
    """`**Bump: major**` and the first `shown` breaking changes with why."""
    breaking = impact.direct(BREAKING)
    lines = [f"**Bump: {impact.bump}** ({len(breaking)} breaking)"]
    if breaking:
        lines += [""] + [
            f"- breaking: {md_name(found.node)}: {md_text('; '.join(found.reasons))}"
            for found in breaking[:shown]
        ]
    if len(breaking) > shown:
        lines.append(f"- and {len(breaking) - shown} more breaking changes (see the table)")
    return lines


def diff_to_markdown(
    lineage: LineageDiff,
    title: str,
    mermaid: str | None = None,
    picture_notes: tuple[str, ...] = (),
    limit: int = MARKDOWN_LIMIT,
    impact: ImpactReport | None = None,
    owners: Sequence[str] = (),
) -> str:
    """A diff for a pull-request comment: the bump and what breaks first, the owners to ask,
    the changes, and the Mermaid picture when one is given; every user string escaped, and
    summarized to stay under GitHub's comment size limit."""
    head = [f"### {md_text(title, None)}", ""]
    if impact is not None and impact.bump is not None:
        head += [*_impact_lines(impact), ""]
    if owners:
        head += [f"**Owners to ask:** {', '.join(mention(owner) for owner in owners)}", ""]
    head += [f"**{summary_line(lineage)}**", ""]
    for side, stubbed in (("Base", lineage.stubbed_before), ("Head", lineage.stubbed_after)):
        if stubbed:
            head += [f"{side} built with stand-ins for: {', '.join(map(md_name, stubbed))}", ""]
    if lineage.is_empty:
        return "\n".join([*head, "No lineage changes."]) + "\n"
    picture: list[str] = []
    if mermaid:
        picture = ["", "```mermaid", mermaid.rstrip("\n"), "```"]
        picture += [f"*{md_text(note, None)}*" for note in picture_notes]
    table = ["| change | node | details |", "| --- | --- | --- |"]
    table += [row for _name, row in _change_rows(lineage, impact)] + _impacted_rows(lineage)
    config = _config_lines(lineage)
    if _size(head + table + config + picture) > limit:
        if _size(head + config + picture) > limit // 2:
            picture = ["", "*The picture is left out: it is too large for one comment.*"]
        budget = limit - _size(head + config + picture) - 1_000
        table = _summarized_rows(lineage, impact, budget)
    return "\n".join(head + table + config + picture) + "\n"


def _code(text: str) -> str:
    """User text as inline code inside a Markdown table: no markup, mention or cell break."""
    return "<code>" + html.escape(text).replace("|", "&#124;").replace("@", "&#64;") + "</code>"


def check_to_markdown(
    violations: Sequence[Violation], title: str, rule_count: int, *, change: bool
) -> str:
    """Violations for a pull-request comment: the rule, what breaks it, the path."""
    lines = [f"### {html.escape(title)}", ""]
    if not rule_count:
        return "\n".join([*lines, "No lineage rules are defined."]) + "\n"
    rules = f"{rule_count} rule{'' if rule_count == 1 else 's'}"
    lines += [f"**{violation_count(violations, change)}** of {rules}", ""]
    if not violations:
        return "\n".join(lines)
    lines += ["| rule | violation | path |", "| --- | --- | --- |"]
    for found in violations:
        if found.path is not None:
            what = f"{_code(found.source or '')} reaches {_code(found.target or '')}"
            trail = " → ".join(_code(step) for step in found.path)
        elif found.reasons is not None:
            why = "; ".join(md_text(reason) for reason in found.reasons)
            what, trail = f"{_code(found.node or '')} breaks: {why}", ""
        else:
            tags = ", ".join(_code(tag) for tag in found.missing or ())
            what, trail = f"{_code(found.node or '')} lacks {tags}", ""
        lines.append(f"| {_code(found.rule)} | {what} | {trail} |")
    return "\n".join(lines) + "\n"
