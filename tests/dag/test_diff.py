"""The diff of two snapshots: change kinds, renames, impact, config changes, node values."""

from __future__ import annotations

from lineage_history.dag.diff import diff
from lineage_history.dag.model import Node, Snapshot


def node(name: str, deps: tuple[str, ...] = (), code: str | None = "c", **kw) -> Node:
    role = "input" if code is None else "function"
    return Node(
        name=name, type=kw.pop("type", "int"), role=role, dependencies=deps, code=code, **kw
    )


def test_diff_kinds_renames_and_impact() -> None:
    old = Snapshot.of(
        [
            node("a", code=None),
            node("b", ("a",), code="b1"),
            node("c", ("b",), code="c1", tags={"x": "1"}),
            node("d", ("c",), code="d1"),
        ],
        {"k": 1},
    )
    new = Snapshot.of(
        [
            node("a", code=None, type="float"),
            node("b2", ("a",), code="b1"),
            node("c", ("b2",), code="c1", tags={"x": "2"}),
            node("d", ("c",), code="d1"),
            node("e", ("d",), code="e1"),
        ],
        {"k": 2},
    )
    lineage = diff(old, new)
    assert lineage.renamed == (("b", "b2"),)
    assert [n.name for n in lineage.added] == ["e"] and not lineage.removed
    assert {m.name: m.changes for m in lineage.modified} == {
        "a": ("type",),
        "c": ("dependencies", "tags"),
    }
    assert lineage.impacted == {"d": ("a", "b2", "c")}
    assert lineage.config_changed == ("k",)
    assert ("b2", "c") in lineage.edges_added and ("b", "c") in lineage.edges_removed


def test_tags_and_doc_changes_impact_nothing() -> None:
    old = Snapshot.of([node("a"), node("b", ("a",))])
    new = Snapshot.of([node("a", tags={"PII": "true"}, doc="new"), node("b", ("a",))])
    lineage = diff(old, new)
    assert lineage.modified[0].changes == ("tags", "doc") and not lineage.impacted


def test_nodes_are_hashable_values() -> None:
    first = node("a", ("b",), tags={"PII": "true", "owners": ["x", "y"]})
    same = Node.from_dict(first.to_dict())  # the tags rebuilt from JSON's lists
    retagged = node("a", ("b",), tags={"PII": "false", "owners": ["x", "y"]})
    assert same == first and hash(same) == hash(first)
    assert {first, same, retagged} == {first, retagged} and len({first, same, retagged}) == 2
    assert first.tags == {"PII": "true", "owners": ("x", "y")} != retagged.tags
    assert dict(first.tags) == {"PII": "true", "owners": ("x", "y")} == first.tags
    assert first.tags.get("PII") == "true" and "owners" in first.tags and "x" not in first.tags
    assert list(first.tags.items()) == [("PII", "true"), ("owners", ("x", "y"))]
    assert node("c", tags={"b": "1", "a": "2"}) == node("c", tags={"a": "2", "b": "1"})
    assert len({node("c", tags={"b": "1", "a": "2"}), node("c", tags={"a": "2", "b": "1"})}) == 1


def test_ambiguous_renames_are_not_guessed() -> None:
    old = Snapshot.of([node("x", code="same"), node("y", code="same")])
    new = Snapshot.of([node("p", code="same"), node("q", code="same")])
    lineage = diff(old, new)
    assert not lineage.renamed and len(lineage.added) == len(lineage.removed) == 2


def test_config_change_impacts_consumers_of_the_config_node() -> None:
    old = Snapshot.of([node("mode", code=None), node("f", ("mode",))], {"mode": "a"})
    new = Snapshot.of([node("mode", code=None), node("f", ("mode",))], {"mode": "b"})
    lineage = diff(old, new)
    assert not lineage.modified and lineage.impacted == {"f": ("mode",)}
