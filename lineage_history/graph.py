"""Pure graph questions over a snapshot: upstream, downstream and the path between two nodes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lineage_history.model import Snapshot


def consumers_by_node(snapshot: Snapshot) -> dict[str, set[str]]:
    consumers: dict[str, set[str]] = {name: set() for name in snapshot.nodes}
    for producer, consumer in snapshot.edges:
        consumers.setdefault(producer, set()).add(consumer)
    return consumers


def _reach(start: Iterable[str], neighbours: Mapping[str, Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    frontier = list(start)
    while frontier:
        for nxt in neighbours.get(frontier.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


def upstream(snapshot: Snapshot, name: str) -> set[str]:
    """Every node `name` depends on, directly or not (the node itself excluded)."""
    producers = {n.name: n.dependencies for n in snapshot.nodes.values()}
    return _reach([name], producers)


def downstream(snapshot: Snapshot, name: str) -> set[str]:
    """Every node that depends on `name`, directly or not (the node itself excluded)."""
    return _reach([name], consumers_by_node(snapshot))


def path_between(snapshot: Snapshot, source: str, target: str) -> set[str]:
    """Nodes on any path from `source` to `target`, both included; empty when none exists."""
    below_source = downstream(snapshot, source)
    if source != target and target not in below_source:
        return set()
    return (below_source | {source}) & (upstream(snapshot, target) | {target})


def merge_bases(parents: Mapping[str, Iterable[str]], first: str, second: str) -> set[str]:
    """The best common ancestors of two commits (as `git merge-base --all`), from their parents:
    the common ancestors that are not an ancestor of another common ancestor."""
    common = (_reach([first], parents) | {first}) & (_reach([second], parents) | {second})
    below_common = _reach((p for c in common for p in parents.get(c, ())), parents)
    below_common |= {p for c in common for p in parents.get(c, ())}
    return common - below_common


def shortest_paths(snapshot: Snapshot, source: str) -> dict[str, tuple[str, ...]]:
    """For every node downstream of `source`: one shortest path to it (both ends included);
    where several are as short, the same one every time (neighbours are taken by name)."""
    consumers = consumers_by_node(snapshot)
    trail: dict[str, tuple[str, ...]] = {source: (source,)}
    frontier = [source]
    while frontier:
        following: list[str] = []
        for current in frontier:
            for nxt in sorted(consumers.get(current, ())):
                if nxt not in trail:
                    trail[nxt] = (*trail[current], nxt)
                    following.append(nxt)
        frontier = following
    del trail[source]
    return trail
