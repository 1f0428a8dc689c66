"""Pure graph questions over a snapshot: upstream, downstream (with distances), the paths
between two nodes, dependency order; and merge bases over commit parents."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from lineage_history.dag.model import Snapshot


def producers_by_node(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    return {node.name: node.dependencies for node in snapshot.nodes.values()}


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
    return _reach([name], producers_by_node(snapshot))


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


def distances(start: str, neighbours: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Every node reachable from `start` through `neighbours`, with its distance in edges."""
    distance = {start: 0}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for nxt in neighbours.get(current, ()):
            if nxt not in distance:
                distance[nxt] = distance[current] + 1
                queue.append(nxt)
    del distance[start]
    return distance


def topological(names: set[str], snapshot: Snapshot) -> list[str]:
    """`names` in dependency order (producers first), ties broken by name."""
    pending = {n: {d for d in snapshot.nodes[n].dependencies if d in names} for n in names}
    order: list[str] = []
    ready = sorted(n for n, deps in pending.items() if not deps)
    while ready:
        current = ready.pop(0)
        order.append(current)
        for other, deps in pending.items():
            if current in deps:
                deps.discard(current)
                if not deps and other not in order and other not in ready:
                    ready.append(other)
        ready.sort()
    return order


def enumerate_paths(
    source: str, target: str, consumers: Mapping[str, Iterable[str]], limit: int
) -> list[tuple[str, ...]]:
    """The first `limit` paths from `source` to `target`, depth first, neighbours by name."""
    found: list[tuple[str, ...]] = []
    stack: list[tuple[str, tuple[str, ...]]] = [(source, (source,))]
    while stack and len(found) < limit:
        current, trail = stack.pop()
        if current == target:
            found.append(trail)
            continue
        for nxt in sorted(consumers.get(current, ()), reverse=True):
            stack.append((nxt, (*trail, nxt)))
    return found


def count_paths(order: Sequence[str], consumers: Mapping[str, Iterable[str]], target: str) -> int:
    """How many paths lead from the first of `order` (in dependency order) to `target`."""
    ways = {name: 0 for name in order}
    ways[target] = 1
    for name in reversed(order):
        if name != target:
            ways[name] = sum(ways.get(nxt, 0) for nxt in consumers.get(name, ()))
    return ways[order[0]] if order else 0
