"""Pure renderers: a lineage diff, or rule violations, as a terminal table, JSON or Markdown."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from lineage_history.diff import LineageDiff, NodeChange
from lineage_history.model import Node
from lineage_history.policy import Violation

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


def node_summary(node: Node) -> dict[str, Any]:
    data = node.to_dict()
    return {key: data[key] for key in ("name", "type", "role", "tags", "dependencies")}


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


def diff_to_json(
    lineage: LineageDiff, dag: str, base: dict[str, str | None], head: dict[str, str | None]
) -> dict[str, Any]:
    """The design's `diff --format json` shape."""
    return {
        "dag": dag,
        "base": {**base, "stubbed": list(lineage.stubbed_before)},
        "head": {**head, "stubbed": list(lineage.stubbed_after)},
        "summary": lineage.summary(),
        "nodes": {
            "added": [node_summary(n) for n in lineage.added],
            "removed": [node_summary(n) for n in lineage.removed],
            "modified": [
                {
                    "name": m.name,
                    "changes": list(m.changes),
                    "before": m.before.to_dict(),
                    "after": m.after.to_dict(),
                }
                for m in lineage.modified
            ],
            "renamed": [{"from": old, "to": new} for old, new in lineage.renamed],
            "impacted": [
                {"name": name, "because": list(because)}
                for name, because in lineage.impacted.items()
            ],
        },
        "edges": {
            "added": [list(e) for e in lineage.edges_added],
            "removed": [list(e) for e in lineage.edges_removed],
        },
        "config": {
            "before": lineage.config_before,
            "after": lineage.config_after,
            "changed": list(lineage.config_changed),
        },
    }


def _summary_line(lineage: LineageDiff) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in lineage.summary().items())


def diff_to_table(lineage: LineageDiff, title: str, *, colour: bool = False) -> str:
    """A diff for people at a terminal: one line per node, grouped by kind of change."""
    lines = [_paint(title, "bold", colour), _summary_line(lineage)]
    for side, stubbed in (("base", lineage.stubbed_before), ("head", lineage.stubbed_after)):
        if stubbed:
            lines.append(
                _paint(f"{side} built with stand-ins for: {', '.join(stubbed)}", "dim", colour)
            )
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
    width = max(len(r[2]) for r in rows)
    details = {m.name: change_details(m) for m in lineage.modified}
    lines.append("")
    for mark, kind, name, note in rows:
        label = _paint(f"{mark} {kind:<9}", kind, colour)
        lines.append(f"{label} {name:<{width}}  {note}".rstrip())
        if kind == "modified":
            lines.extend(_paint(f"{'':12}{'':{width}}  {d}", "dim", colour) for d in details[name])
    if lineage.edges_added or lineage.edges_removed:
        lines.append("")
        lines += [
            _paint(f"+ edge      {a} -> {b}", "added", colour) for a, b in lineage.edges_added
        ]
        lines += [
            _paint(f"- edge      {a} -> {b}", "removed", colour) for a, b in lineage.edges_removed
        ]
    if lineage.config_changed:
        lines.append("")
        for key in lineage.config_changed:
            old = lineage.config_before.get(key, "(unset)")
            new = lineage.config_after.get(key, "(unset)")
            lines.append(_paint(f"~ config    {key}: {old!r} -> {new!r}", "modified", colour))
    return "\n".join(lines)


def diff_to_markdown(lineage: LineageDiff, title: str, mermaid: str | None = None) -> str:
    """A diff for a pull-request comment, with its Mermaid picture when one is given."""
    lines = [f"### {title}", "", f"**{_summary_line(lineage)}**", ""]
    for side, stubbed in (("Base", lineage.stubbed_before), ("Head", lineage.stubbed_after)):
        if stubbed:
            names = ", ".join(f"`{name}`" for name in stubbed)
            lines += [f"{side} built with stand-ins for: {names}", ""]
    if lineage.is_empty:
        lines.append("No lineage changes.")
        return "\n".join(lines) + "\n"
    lines += ["| change | node | details |", "| --- | --- | --- |"]
    for node in lineage.added:
        lines.append(f"| added | `{node.name}` | {node.type} |")
    for node in lineage.removed:
        lines.append(f"| removed | `{node.name}` | {node.type} |")
    for change in lineage.modified:
        detail = "; ".join([", ".join(change.changes), *change_details(change)])
        lines.append(f"| modified | `{change.name}` | {detail.replace('|', '&#124;')} |")
    for old, new in lineage.renamed:
        lines.append(f"| renamed | `{old}` → `{new}` | |")
    for name, because in lineage.impacted.items():
        lines.append(f"| impacted | `{name}` | via {', '.join(f'`{b}`' for b in because)} |")
    if lineage.config_changed:
        lines += ["", "Config changes:", ""]
        for key in lineage.config_changed:
            old = lineage.config_before.get(key, "(unset)")
            new = lineage.config_after.get(key, "(unset)")
            lines.append(f"- `{key}`: `{old!r}` → `{new!r}`")
    if mermaid:
        lines += ["", "```mermaid", mermaid.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


# -- lineage rules (`check`) -----------------------------------------------------------------


def _violation_text(found: Violation) -> tuple[str, str]:
    """(what is wrong, the path or the missing tags) in plain text."""
    if found.path is not None:
        return f"{found.source} reaches {found.target}", " -> ".join(found.path)
    missing = ", ".join(found.missing or ())
    return f"{found.node} lacks tag(s) {missing}", ""


def check_to_json(violations: Sequence[Violation]) -> dict[str, Any]:
    """The design's `check --format json` shape."""
    return {"violations": [found.to_json() for found in violations]}


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
