"""Lineage rules judged against snapshots: pure functions, no I/O.

`violations(rules, snapshot)` is everything wrong at one revision; `introduced(rules, before,
after)` only what a change brings: the violations of `after` that were not violations of
`before`, whatever else changed. A violation is known by its rule and, for `forbid_path`, its
(source, target) pair, for `require_tags` its node: a pair that newly matches the rule's
selectors (a column tagged PII that already fed the model) is new; a pair still connected by
another path, or an untagged node that was already untagged, is not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from lineage_history.dag.graph import shortest_paths
from lineage_history.dag.model import ROLE_FUNCTION, Node, Snapshot
from lineage_history.dag.rules import ForbidPath, RequireTags, Rule
from lineage_history.dag.selectors import matches_all


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
    return _untagged(rule, snapshot)


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
