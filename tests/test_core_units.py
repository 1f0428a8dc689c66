"""Pure pieces: fingerprints, the diff's edge cases, config parsing, graph questions."""

from __future__ import annotations

import pytest

from lineage_history.build.fingerprints import Fingerprinter
from lineage_history.dag.diff import diff
from lineage_history.dag.graph import downstream, path_between, upstream
from lineage_history.dag.model import Node, Snapshot
from lineage_history.definitions.toml_files import parse_definitions
from lineage_history.errors import ConfigError

MODULE = '''
import pandas as pd
from hamilton.function_modifiers import tag

_MARKER = "U"
LIMIT = 3


def _first_letter(value: str) -> str:
    return value[:1] or _MARKER


@tag(owner="ds")
def cabin_type(cabin: pd.Series) -> pd.Series:
    """The deck letter."""
    return cabin.map(_first_letter)  # a comment


def public_helper(x: int) -> int:
    return x * LIMIT
'''


def fp(source: str, name: str = "cabin_type") -> str:
    """The fingerprint of `name` in a one-file build holding `source` as `m.py`."""
    files = {"m.py": source}
    return Fingerprinter(files.get, lambda importer, module, level: None).function("m.py", name)


def test_fingerprint_ignores_docs_comments_formatting_and_metadata_decorators() -> None:
    edited = (
        MODULE.replace('"""The deck letter."""', '"""Deck."""')
        .replace("  # a comment", "")
        .replace('@tag(owner="ds")', '@tag(owner="de", pii="false")')
        .replace("cabin.map(_first_letter)", "cabin.map(\n        _first_letter\n    )")
    )
    assert fp(edited) == fp(MODULE)


def test_fingerprint_follows_private_helpers_and_constants() -> None:
    assert fp(MODULE.replace('_MARKER = "U"', '_MARKER = "X"')) != fp(MODULE)
    assert fp(MODULE.replace("value[:1]", "value[:2]")) != fp(MODULE)
    # A public function is a node of its own; its change shows there, not here.
    assert fp(MODULE.replace("x * LIMIT", "x + LIMIT")) == fp(MODULE)
    assert fp(MODULE.replace("LIMIT = 3", "LIMIT = 4"), "public_helper") != fp(
        MODULE, "public_helper"
    )


def test_fingerprint_is_name_independent_for_renames() -> None:
    renamed = MODULE.replace("def cabin_type(", "def deck(")
    assert fp(renamed, "deck") == fp(MODULE)
    assert fp(MODULE.replace("cabin.map", "cabin.str.upper().map")) != fp(MODULE)


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


def test_graph_questions() -> None:
    snap = Snapshot.of(
        [node("a", code=None), node("b", ("a",)), node("c", ("b",)), node("z", ("a",))]
    )
    assert upstream(snap, "c") == {"a", "b"}
    assert downstream(snap, "a") == {"b", "c", "z"}
    assert path_between(snap, "a", "c") == {"a", "b", "c"}
    assert path_between(snap, "z", "c") == set()


def test_config_parsing() -> None:
    text = '[tool.lineage-history.dags.t]\nmodules = ["p/a.py"]\nconfig = {r = "eu"}\n'
    (definition,) = parse_definitions(text, "pyproject.toml", in_pyproject=True).values()
    assert definition.modules == ("p/a.py",) and definition.config == {"r": "eu"}
    assert parse_definitions("[tool.other]\n", "pyproject.toml", in_pyproject=True) is None
    for bad in (
        "dags = 3",
        "[dags.t]\nmodules = [1]",
        "[dags.t]\nmodules = ['../x.py']",
        "[dags.t]\nmodules = ['a.py']\nbogus = 1",
        "not toml [",
    ):
        with pytest.raises(ConfigError):
            parse_definitions(bad, "lineage-history.toml", in_pyproject=False)
