"""What a lineage change does to the people downstream: each changed node classified as
breaking, data-changing or non-breaking, the impacted nodes with the kind of their cause, and
the semantic-version bump of the DAG. Pure: a function of the diff (no I/O).

- breaking: what a consumer relied on is gone or incompatible: a node removed or renamed; an
  output type changed to one that is not a subtype of the old (an input's type narrowed); a
  function node turned into an external input, or a new external input that callers must now
  provide; a contractual tag changed or dropped.
- data-changing: the values may change while the interface holds: its code (or a helper or
  constant it uses), its dependencies, an output type narrowed, an input computed now.
- non-breaking: an added node, documentation, a non-contractual tag, a contractual tag added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lineage_history.dag.diff import LineageDiff, NodeChange
from lineage_history.dag.model import ROLE_INPUT, Snapshot

BREAKING, DATA_CHANGING, NON_BREAKING = "breaking", "data-changing", "non-breaking"
_SEVERITY = {NON_BREAKING: 0, DATA_CHANGING: 1, BREAKING: 2}
# Tags whose change or removal breaks a consumer, unless the repository's rules name others.
DEFAULT_CONTRACT_TAGS = ("pii", "owner", "schema")
# Builtin types a value of the first may stand in for the second (PEP 484's numeric tower).
_NARROWER = {("bool", "int"), ("bool", "float"), ("int", "float"), ("int", "complex")}
_NARROWER |= {("float", "complex"), ("bool", "complex")}


@dataclass(frozen=True)
class NodeImpact:
    """How one node's change reaches its consumers, and why."""

    node: str
    impact: str  # breaking | data-changing | non-breaking
    reasons: tuple[str, ...]
    indirect: bool = False  # an impacted node: the impact of what changed upstream of it
    previous: str | None = None  # a renamed node's name before the change


@dataclass(frozen=True)
class ImpactReport:
    nodes: dict[str, NodeImpact]  # by node name (a renamed node by its new name)
    bump: str | None  # major | minor | patch; None when nothing changed

    def direct(self, impact: str) -> list[NodeImpact]:
        return [n for n in self.nodes.values() if n.impact == impact and not n.indirect]


def _union(type_text: str) -> list[str]:
    """The members of a union written `A | B`, `Optional[A]` or `Union[A, B]`."""
    text = type_text.strip()
    optional = re.fullmatch(r"(?:typing\.)?Optional\[(.*)\]", text)
    if optional:
        return [*_union(optional.group(1)), "None"]
    union = re.fullmatch(r"(?:typing\.)?Union\[(.*)\]", text)
    parts = _split_top_level(union.group(1), ",") if union else _split_top_level(text, "|")
    return [part.strip().replace("NoneType", "None") for part in parts]


def _split_top_level(text: str, separator: str) -> list[str]:
    """`text` split at `separator`s outside brackets (`dict[str, int] | None`)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def is_subtype(narrow: str, wide: str) -> bool:
    """Whether every value of type `narrow` is a value of type `wide`, as far as their text
    tells: each member of `narrow`'s union is a member of `wide`'s (or fits one through the
    numeric tower), or `wide` admits anything (`Any`, `object`)."""
    wide_members = _union(wide)
    if any(member in ("Any", "typing.Any", "object") for member in wide_members):
        return True
    return all(
        any(member == other or (member, other) in _NARROWER for other in wide_members)
        for member in _union(narrow)
    )


def _contract_keys(tags: Iterable[str]) -> set[str]:
    return {tag.lower() for tag in tags}


def _tag_reasons(change: NodeChange, contract: set[str]) -> tuple[str, list[str]]:
    before, after = change.before.tags, change.after.tags
    broken = [
        key
        for key in sorted(set(before))
        if key.lower() in contract and before.get(key) != after.get(key)
    ]
    if broken:
        return BREAKING, [f"contractual tag {key} changed or dropped" for key in broken]
    return NON_BREAKING, ["tags changed"]


def _type_reason(change: NodeChange) -> tuple[str, str]:
    old, new = change.before.type, change.after.type
    if change.after.role == ROLE_INPUT:  # callers provide it: they may pass less, not more
        if is_subtype(old, new):
            return NON_BREAKING, f"input type widened {old} -> {new}"
        return BREAKING, f"input type narrowed {old} -> {new}"
    if is_subtype(new, old):
        return DATA_CHANGING, f"type narrowed {old} -> {new}"
    return BREAKING, f"type {old} -> {new} is not a subtype"


def _modified(change: NodeChange, contract: set[str]) -> NodeImpact:
    found: list[tuple[str, str]] = []
    kinds = set(change.changes)
    if "code" in kinds:
        found.append((DATA_CHANGING, "code changed"))
    if "dependencies" in kinds:
        found.append((DATA_CHANGING, "dependencies changed"))
    if "type" in kinds:
        found.append(_type_reason(change))
    if "role" in kinds:
        if change.after.role == ROLE_INPUT:
            found.append((BREAKING, "now an external input callers must provide"))
        else:
            found.append((DATA_CHANGING, "computed now, no longer an input"))
    if "tags" in kinds:
        impact, reasons = _tag_reasons(change, contract)
        found += [(impact, reason) for reason in reasons]
    if "doc" in kinds:
        found.append((NON_BREAKING, "documentation changed"))
    return NodeImpact(change.name, _worst(i for i, _ in found), tuple(r for _, r in found))


def _worst(impacts: Iterable[str]) -> str:
    return max(impacts, key=_SEVERITY.__getitem__, default=NON_BREAKING)


def classify(
    lineage: LineageDiff,
    *,
    introduced: bool = False,
    contract_tags: Iterable[str] = DEFAULT_CONTRACT_TAGS,
) -> ImpactReport:
    """The impact of every changed and impacted node, and the bump. `introduced`: the base
    had no DAG, so nothing downstream relied on it yet (a new input is no break then)."""
    contract = _contract_keys(contract_tags)
    nodes: dict[str, NodeImpact] = {}
    for node in lineage.added:
        new_input = node.role == ROLE_INPUT and not introduced
        impact = BREAKING if new_input else NON_BREAKING
        reason = "a new external input callers must provide" if new_input else "added"
        nodes[node.name] = NodeImpact(node.name, impact, (reason,))
    for node in lineage.removed:
        nodes[node.name] = NodeImpact(node.name, BREAKING, ("removed",))
    for old, new in lineage.renamed:
        nodes[new] = NodeImpact(new, BREAKING, (f"renamed from {old}",), previous=old)
    for change in lineage.modified:
        nodes[change.name] = _modified(change, contract)
    for name, causes in lineage.impacted.items():
        impact = _worst(nodes[c].impact for c in causes if c in nodes)
        nodes[name] = NodeImpact(name, impact, (f"via {', '.join(causes)}",), indirect=True)
    return ImpactReport(nodes, _bump(nodes, lineage))


def _bump(nodes: dict[str, NodeImpact], lineage: LineageDiff) -> str | None:
    direct = [n for n in nodes.values() if not n.indirect]
    if any(n.impact == BREAKING for n in direct):
        return "major"
    if lineage.added or any(n.impact == DATA_CHANGING for n in direct):
        return "minor"
    return None if lineage.is_empty else "patch"


def owners(report: ImpactReport, old: Snapshot, new: Snapshot, owner_tag: str) -> list[str]:
    """The values of `owner_tag` on the nodes a change touches or impacts (a removed node's
    from before the change), each once, in order of first appearance."""
    found: list[str] = []
    for name in report.nodes:
        node = new.nodes.get(name) or old.nodes.get(name)
        value = node.tags.get(owner_tag) if node is not None else None
        for owner in (value,) if isinstance(value, str) else value or ():
            if owner not in found:
                found.append(owner)
    return found
