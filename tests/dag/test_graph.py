"""Graph questions on a snapshot: upstream, downstream, the path between two nodes."""

from __future__ import annotations

from lineage_history.dag.graph import downstream, path_between, upstream
from lineage_history.dag.model import Snapshot
from tests.dag.test_diff import node


def test_graph_questions() -> None:
    snap = Snapshot.of(
        [node("a", code=None), node("b", ("a",)), node("c", ("b",)), node("z", ("a",))]
    )
    assert upstream(snap, "c") == {"a", "b"}
    assert downstream(snap, "a") == {"b", "c", "z"}
    assert path_between(snap, "a", "c") == {"a", "b", "c"}
    assert path_between(snap, "z", "c") == set()
