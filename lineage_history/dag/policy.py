"""Lineage rules judged against snapshots: pure functions, no I/O.

`violations(rules, snapshot)` is everything wrong at one revision; `introduced(rules, before,
after)` only what a change brings: a forbidden pair that was not connected before, and a node
missing a required tag that lost it, newly falls under the rule, or is new or changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from lineage_history.dag.diff import diff, node_changes
from lineage_history.dag.graph import downstream, shortest_paths
from lineage_history.dag.impact import BREAKING, DEFAULT_CONTRACT_TAGS, NodeImpact, classify
from lineage_history.dag.model import ROLE_FUNCTION, Node, Snapshot
from lineage_history.dag.rules import ForbidBreaking, ForbidPath, RequireTags, Rule
from lineage_history.dag.selectors import TagFilter, matches_all


@dataclass(frozen=True)
class Violation:
    """One breach of one rule: a path for `forbid_path`, a node for `require_tags`."""

    rule: str
    source: str | None = None
    target: str | None = None
    path: tuple[str, ...] | None = None
    node: str | None = None
    missing: tuple[str, ...] | None = None
    new: bool = False
    reasons: tuple[str, ...] | None = None  # forbid_breaking: why the change breaks the node


def _forbidden_paths(rule: ForbidPath, snapshot: Snapshot) -> Iterator[Violation]:
    nodes = snapshot.nodes.values()
    sources = [n.name for n in nodes if matches_all(n, rule.source)]
    targets = {n.name for n in nodes if matches_all(n, rule.target)}
    for source in sources:
        for target, trail in sorted(shortest_paths(snapshot, source).items()):
            if target in targets:
                yield Violation(rule.name, source, target, trail)


def _missing_tags(rule: RequireTags, node: Node) -> tuple[str, ...]:
    """The required tags `node` lacks; none when the rule does not apply to it."""
    if node.role != ROLE_FUNCTION or not matches_all(node, rule.where):
        return ()
    return tuple(tag for tag in rule.tags if tag not in node.tags)


def _untagged(rule: RequireTags, snapshot: Snapshot) -> Iterator[Violation]:
    for node in snapshot.nodes.values():
        missing = _missing_tags(rule, node)
        if missing:
            yield Violation(rule.name, node=node.name, missing=missing)


def _at(rule: Rule, snapshot: Snapshot) -> Iterator[Violation]:
    if isinstance(rule, ForbidPath):
        return _forbidden_paths(rule, snapshot)
    if isinstance(rule, RequireTags):
        return _untagged(rule, snapshot)
    return iter(())  # forbid_breaking judges changes: see `breaking_changes`


def violations(rules: Sequence[Rule], snapshot: Snapshot) -> list[Violation]:
    """Every violation of `rules` in one snapshot, rule by rule."""
    return [found for rule in rules for found in _at(rule, snapshot)]


def _is_new(
    rule: Rule, found: Violation, before: Snapshot, after: Snapshot, reached: dict[str, set[str]]
) -> bool:
    if isinstance(rule, ForbidPath):
        assert found.source is not None and found.target is not None
        if found.source not in reached:
            reached[found.source] = downstream(before, found.source)
        return found.target not in reached[found.source]
    assert found.node is not None
    old = before.nodes.get(found.node)
    if old is None or not _missing_tags(rule, old):
        return True  # a new node, or one that lost a tag or newly falls under the rule
    return bool(node_changes(old, after.nodes[found.node]))  # touched, still untagged


def introduced(rules: Sequence[Rule], before: Snapshot, after: Snapshot) -> list[Violation]:
    """The violations in `after` that the change from `before` brings, marked new."""
    reached: dict[str, set[str]] = {}  # downstream of each source, before the change
    return [
        replace(found, new=True)
        for rule in rules
        for found in _at(rule, after)
        if _is_new(rule, found, before, after, reached)
    ]


def breaking_changes(
    rules: Sequence[Rule],
    before: Snapshot,
    after: Snapshot,
    contract_tags: Iterable[str] = DEFAULT_CONTRACT_TAGS,
) -> list[Violation]:
    """The `forbid_breaking` violations of the change from `before` to `after`: every node
    (matching the rule's `where` on either side) that the change breaks."""
    chosen = [rule for rule in rules if isinstance(rule, ForbidBreaking)]
    if not chosen:
        return []
    report = classify(diff(before, after), introduced=not before.nodes, contract_tags=contract_tags)
    return [
        Violation(rule.name, node=found.node, new=True, reasons=found.reasons)
        for rule in chosen
        for found in report.direct(BREAKING)
        if _either_side_matches(found, before, after, rule.where)
    ]


def _either_side_matches(
    found: NodeImpact, before: Snapshot, after: Snapshot, where: Sequence[TagFilter]
) -> bool:
    """Whether the node, before the change (under its old name) or after it, is one the rule
    is about."""
    sides = (before.nodes.get(found.previous or found.node), after.nodes.get(found.node))
    return any(node is not None and matches_all(node, where) for node in sides)
