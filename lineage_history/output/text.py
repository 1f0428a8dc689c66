"""Pure renderers: a lineage diff, or rule violations, as a terminal table or Markdown (JSON
shapes are `contract`'s)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lineage_history._text import display_width, ljust, md_name, md_text, plain, plural
from lineage_history.dag.diff import LineageDiff, NodeChange

if TYPE_CHECKING:
    from lineage_history.dag.policy import Violation

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


def _tag_text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list | tuple) else str(value)


def change_details(change: NodeChange) -> list[str]:
    """Human-readable details of a modification: which tags and edges moved."""
    before, after = change.before, change.after
    details = []
    if "type" in change.changes:
        details.append(f"type {before.type} -> {after.type}")
    if "dependencies" in change.changes:
        gained = sorted(set(after.dependencies) - set(before.dependencies))
        lost = sorted(set(before.dependencies) - set(after.dependencies))
        details.extend([*(f"+dep {d}" for d in gained), *(f"-dep {d}" for d in lost)])
    if "tags" in change.changes:
        for key in sorted(set(before.tags) | set(after.tags)):
            old, new = before.tags.get(key), after.tags.get(key)
            if old != new:
                old_text = "(none)" if old is None else _tag_text(old)
                new_text = "(none)" if new is None else _tag_text(new)
                details.append(f"{key}: {old_text} -> {new_text}")
    if "role" in change.changes:
        details.append(f"role {before.role} -> {after.role}")
    return details


def _summary_line(lineage: LineageDiff) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in lineage.summary().items())


def diff_to_table(lineage: LineageDiff, title: str, *, colour: bool = False) -> str:
    """A diff for people at a terminal: one line per node, grouped by kind of change."""
    lines = [_paint(plain(title), "bold", colour), _summary_line(lineage)]
    for side, stubbed in (("base", lineage.stubbed_before), ("head", lineage.stubbed_after)):
        if stubbed:
            text = plain(f"{side} built with stand-ins for: {', '.join(stubbed)}")
            lines.append(_paint(text, "dim", colour))
    if lineage.is_empty:
        lines.append("no lineage changes")
        return "\n".join(lines)
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
    lines.append("")
    for mark, kind, name, note in rows:
        label = _paint(f"{mark} {kind:<9}", kind, colour)
        lines.append(f"{label} {ljust(plain(name), width)}  {plain(note)}".rstrip())
        if kind == "modified":
            lines.extend(
                _paint(f"{'':12}{'':{width}}  {plain(d)}", "dim", colour) for d in details[name]
            )
    if lineage.edges_added or lineage.edges_removed:
        lines.append("")
        lines += [
            _paint(f"+ edge      {plain(a)} -> {plain(b)}", "added", colour)
            for a, b in lineage.edges_added
        ]
        lines += [
            _paint(f"- edge      {plain(a)} -> {plain(b)}", "removed", colour)
            for a, b in lineage.edges_removed
        ]
    if lineage.config_changed:
        lines.append("")
        for key in lineage.config_changed:
            old = lineage.config_before.get(key, "(unset)")
            new = lineage.config_after.get(key, "(unset)")
            text = plain(f"~ config    {key}: {old!r} -> {new!r}")
            lines.append(_paint(text, "modified", colour))
    return "\n".join(lines)


# GitHub refuses comments over 65,536 characters; stay clear of it, in bytes.
MARKDOWN_LIMIT = 60_000


def _impact_counts(lineage: LineageDiff) -> dict[str, int]:
    """How many impacted nodes each changed node reaches."""
    counts: dict[str, int] = {}
    for because in lineage.impacted.values():
        for name in because:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _change_rows(lineage: LineageDiff) -> list[tuple[str, str]]:
    """(node, table row) of every added, removed, modified and renamed node."""
    rows = [(n.name, f"| added | {md_name(n.name)} | {md_text(n.type)} |") for n in lineage.added]
    rows += [
        (n.name, f"| removed | {md_name(n.name)} | {md_text(n.type)} |") for n in lineage.removed
    ]
    for change in lineage.modified:
        detail = "; ".join([", ".join(change.changes), *change_details(change)])
        rows.append((change.name, f"| modified | {md_name(change.name)} | {md_text(detail)} |"))
    rows += [
        (new, f"| renamed | {md_name(old)} → {md_name(new)} | |") for old, new in lineage.renamed
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


def _summarized_rows(lineage: LineageDiff, budget: int) -> list[str]:
    """The changes with the most downstream impact first, as many as fit, and what is left out."""
    counts = _impact_counts(lineage)
    ranked = sorted(_change_rows(lineage), key=lambda row: (-counts.get(row[0], 0), row[0]))
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


def diff_to_markdown(
    lineage: LineageDiff,
    title: str,
    mermaid: str | None = None,
    picture_notes: tuple[str, ...] = (),
    limit: int = MARKDOWN_LIMIT,
) -> str:
    """A diff for a pull-request comment, with its Mermaid picture when one is given; every
    user string escaped, and summarized to stay under GitHub's comment size limit."""
    head = [f"### {md_text(title, None)}", "", f"**{_summary_line(lineage)}**", ""]
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
    table += [row for _name, row in _change_rows(lineage)] + _impacted_rows(lineage)
    config = _config_lines(lineage)
    if _size(head + table + config + picture) > limit:
        if _size(head + config + picture) > limit // 2:
            picture = ["", "*The picture is left out: it is too large for one comment.*"]
        table = _summarized_rows(lineage, limit - _size(head + config + picture) - 1_000)
    return "\n".join(head + table + config + picture) + "\n"


# -- lineage rules (`check`) -----------------------------------------------------------------


def _violation_text(found: Violation) -> tuple[str, str]:
    """(what is wrong, the path or the missing tags) in plain text."""
    if found.path is not None:
        return f"{found.source} reaches {found.target}", " -> ".join(found.path)
    missing = ", ".join(found.missing or ())
    return f"{found.node} lacks tag(s) {missing}", ""


def _count(violations: Sequence[Violation], change: bool) -> str:
    plural = "" if len(violations) == 1 else "s"
    return f"{len(violations)}{' new' if change else ''} violation{plural}"


def check_to_table(
    violations: Sequence[Violation], title: str, rule_count: int, *, change: bool
) -> str:
    """Violations for a terminal; `change`: they are those a change introduces."""
    if not rule_count:
        return f"{title}\nno rules defined (see `[[rules]]` in the README)"
    lines = [title, _count(violations, change)]
    lines += [
        "  ".join(part for part in (found.rule, *_violation_text(found)) if part)
        for found in violations
    ]
    return "\n".join(lines)


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
    lines += [f"**{_count(violations, change)}** of {rules}", ""]
    if not violations:
        return "\n".join(lines)
    lines += ["| rule | violation | path |", "| --- | --- | --- |"]
    for found in violations:
        if found.path is not None:
            what = f"{_code(found.source or '')} reaches {_code(found.target or '')}"
            trail = " → ".join(_code(step) for step in found.path)
        else:
            tags = ", ".join(_code(tag) for tag in found.missing or ())
            what, trail = f"{_code(found.node or '')} lacks {tags}", ""
        lines.append(f"| {_code(found.rule)} | {what} | {trail} |")
    return "\n".join(lines) + "\n"
