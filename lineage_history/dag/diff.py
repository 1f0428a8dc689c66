"""The lineage diff: a pure function from two snapshots to what changed between them."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lineage_history.dag.graph import consumers_by_node
from lineage_history.dag.model import UNKNOWN_TYPE, Node, Snapshot, tag_text

CHANGE_KINDS = ("code", "type", "dependencies", "tags", "doc", "role")
# Changes that alter the data a node produces; `tags` and `doc` move no data.
DATA_CHANGES = frozenset({"code", "type", "dependencies", "role"})


@dataclass(frozen=True)
class NodeChange:
    name: str
    changes: tuple[str, ...]
    before: Node
    after: Node


@dataclass(frozen=True)
class LineageDiff:
    added: tuple[Node, ...] = ()
    removed: tuple[Node, ...] = ()
    modified: tuple[NodeChange, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    impacted: dict[str, tuple[str, ...]] = field(default_factory=dict)
    edges_added: tuple[tuple[str, str], ...] = ()
    edges_removed: tuple[tuple[str, str], ...] = ()
    config_before: dict[str, Any] = field(default_factory=dict)
    config_after: dict[str, Any] = field(default_factory=dict)
    config_changed: tuple[str, ...] = ()
    stubbed_before: tuple[str, ...] = ()  # stand-ins of each side's build
    stubbed_after: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.modified
            or self.renamed
            or self.edges_added
            or self.edges_removed
            or self.config_changed
        )

    def impact_counts(self) -> dict[str, int]:
        """How many impacted nodes each changed node reaches."""
        counts: dict[str, int] = {}
        for because in self.impacted.values():
            for name in because:
                counts[name] = counts.get(name, 0) + 1
        return counts

    def summary(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "modified": len(self.modified),
            "renamed": len(self.renamed),
            "impacted": len(self.impacted),
        }


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
                old_text = "(none)" if old is None else tag_text(old)
                new_text = "(none)" if new is None else tag_text(new)
                details.append(f"{key}: {old_text} -> {new_text}")
    if "role" in change.changes:
        details.append(f"role {before.role} -> {after.role}")
    return details


_DOTTED_NAME = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*")


def names_stubbed(type_text: str, stubbed: Iterable[str]) -> bool:
    """Whether a type's text names a module (or `module.Name`) that was a stand-in."""
    entries = tuple(stubbed)
    if not entries:
        return False
    return any(
        name == entry or name.startswith(entry + ".")
        for name in _DOTTED_NAME.findall(type_text)
        for entry in entries
    )


def types_agree(
    before: str, after: str, before_stubbed: Iterable[str] = (), after_stubbed: Iterable[str] = ()
) -> bool:
    """Equal types, or a difference that only a stand-in makes: a side whose type names a
    module stubbed on that side cannot know the real type's text (`polars.DataFrame` as
    written against `polars.dataframe.frame.DataFrame` as imported), and a side whose type
    is `unknown` knows nothing of it."""
    return (
        before == after
        or UNKNOWN_TYPE in (before, after)
        or names_stubbed(before, before_stubbed)
        or names_stubbed(after, after_stubbed)
    )


def node_changes(
    before: Node,
    after: Node,
    before_stubbed: Iterable[str] = (),
    after_stubbed: Iterable[str] = (),
) -> tuple[str, ...]:
    """The kinds of change between two versions of one node, in a fixed order; the stubbed
    lists of the two builds excuse type differences that come from stand-ins."""
    differs = {
        "code": before.code != after.code,
        "type": not types_agree(before.type, after.type, before_stubbed, after_stubbed),
        "dependencies": before.dependencies != after.dependencies,
        "tags": dict(before.tags) != dict(after.tags),
        "doc": before.doc != after.doc,
        "role": before.role != after.role,
    }
    return tuple(kind for kind in CHANGE_KINDS if differs[kind])


def _match_renames(removed: list[Node], added: list[Node]) -> list[tuple[Node, Node]]:
    """Pair removed and added nodes whose name-independent code and type are the same.

    Only unambiguous pairs count: columns of one `@extract_columns` share their code, and a
    guess between them would be noise.
    """

    def key(node: Node) -> tuple[str | None, str]:
        return node.code, node.type

    old_by_key: dict[tuple[str | None, str], list[Node]] = defaultdict(list)
    new_by_key: dict[tuple[str | None, str], list[Node]] = defaultdict(list)
    for node in removed:
        old_by_key[key(node)].append(node)
    for node in added:
        new_by_key[key(node)].append(node)
    return [
        (olds[0], new_by_key[k][0])
        for k, olds in old_by_key.items()
        if k[0] is not None and len(olds) == 1 and len(new_by_key.get(k, ())) == 1
    ]


def _match_stubbed_renames(
    removed: list[Node], added: list[Node], old_stubbed: Sequence[str], new_stubbed: Sequence[str]
) -> list[tuple[Node, Node]]:
    """Renames whose types differ only by a stand-in: unambiguous by code alone."""
    old_by_code: dict[str, list[Node]] = defaultdict(list)
    new_by_code: dict[str, list[Node]] = defaultdict(list)
    for node in removed:
        if node.code is not None:
            old_by_code[node.code].append(node)
    for node in added:
        if node.code is not None:
            new_by_code[node.code].append(node)
    return [
        (olds[0], new_by_code[code][0])
        for code, olds in old_by_code.items()
        if len(olds) == 1
        and len(new_by_code.get(code, ())) == 1
        and types_agree(olds[0].type, new_by_code[code][0].type, old_stubbed, new_stubbed)
    ]


def _impacted(
    new: Snapshot, sources: set[str], changed_themselves: set[str]
) -> dict[str, tuple[str, ...]]:
    consumers = consumers_by_node(new)
    because: dict[str, set[str]] = defaultdict(set)
    for source in sorted(sources):
        stack, seen = [source], {source}
        while stack:
            for consumer in consumers.get(stack.pop(), ()):
                if consumer not in seen:
                    seen.add(consumer)
                    stack.append(consumer)
                    if consumer not in changed_themselves:
                        because[consumer].add(source)
    return {name: tuple(sorted(causes)) for name, causes in sorted(because.items())}


def diff(old: Snapshot, new: Snapshot) -> LineageDiff:
    """What changed from `old` to `new`, as `docs/changes.md` defines it."""
    removed = [old.nodes[n] for n in sorted(old.nodes.keys() - new.nodes.keys())]
    added = [new.nodes[n] for n in sorted(new.nodes.keys() - old.nodes.keys())]
    renames = _match_renames(removed, added)
    if old.stubbed or new.stubbed:
        paired = {n.name for pair in renames for n in pair}
        renames += _match_stubbed_renames(
            [n for n in removed if n.name not in paired],
            [n for n in added if n.name not in paired],
            old.stubbed,
            new.stubbed,
        )
    renamed_old = {before.name for before, _ in renames}
    renamed_new = {after.name for _, after in renames}
    added = [n for n in added if n.name not in renamed_new]
    removed = [n for n in removed if n.name not in renamed_old]

    modified = []
    for name in sorted(old.nodes.keys() & new.nodes.keys()):
        changes = node_changes(old.nodes[name], new.nodes[name], old.stubbed, new.stubbed)
        if changes:
            modified.append(NodeChange(name, changes, old.nodes[name], new.nodes[name]))

    config_keys = old.config.keys() | new.config.keys()
    config_changed = sorted(k for k in config_keys if old.config.get(k) != new.config.get(k))

    sources = (
        {n.name for n in added}
        | renamed_new
        | {m.name for m in modified if DATA_CHANGES.intersection(m.changes)}
        | {k for k in config_changed if k in new.nodes}
    )
    changed_themselves = {n.name for n in added} | renamed_new | {m.name for m in modified}

    old_edges, new_edges = old.edges, new.edges
    return LineageDiff(
        added=tuple(added),
        removed=tuple(removed),
        modified=tuple(modified),
        renamed=tuple(sorted((b.name, a.name) for b, a in renames)),
        impacted=_impacted(new, sources, changed_themselves),
        edges_added=tuple(sorted(new_edges - old_edges)),
        edges_removed=tuple(sorted(old_edges - new_edges)),
        config_before=dict(old.config),
        config_after=dict(new.config),
        config_changed=tuple(config_changed),
        stubbed_before=tuple(old.stubbed),
        stubbed_after=tuple(new.stubbed),
    )
