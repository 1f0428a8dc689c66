"""Lineage rules judged against snapshots: pure functions, no I/O.

`violations(rules, snapshot)` is everything wrong at one revision; `introduced(rules, before,
after)` only what a change brings: the violations of `after` that were not violations of
`before`, whatever else changed. A violation is known by its rule and, for `forbid_path`, its
(source, target) pair, for `require_tags` its node: a pair that newly matches the rule's
selectors (a column tagged PII that already fed the model) is new; a pair still connected by
another path, or an untagged node that was already untagged, is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from lineage_history.dag.diff import diff
from lineage_history.dag.graph import shortest_paths
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


def _identity(found: Violation) -> tuple[str, str | None, str | None, str | None]:
    """What makes a violation the same one at two revisions (its path may differ)."""
    return (found.rule, found.source, found.target, found.node)


def introduced(rules: Sequence[Rule], before: Snapshot, after: Snapshot) -> list[Violation]:
    """The violations in `after` that were not violations in `before`, marked new."""
    old = {_identity(found) for found in violations(rules, before)}
    return [
        replace(found, new=True)
        for found in violations(rules, after)
        if _identity(found) not in old
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
