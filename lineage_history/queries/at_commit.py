"""Questions about the DAG at one commit: `show`, `upstream`, `downstream`, `path`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lineage_history.dag import graph
from lineage_history.dag.model import Node, Snapshot
from lineage_history.dag.selectors import TagFilter, matches_all
from lineage_history.errors import UnknownNode, UserError
from lineage_history.queries.handle import QueryHandle
from lineage_history.store.records import StoredCommit

ROLES = ("input", "function")
MAX_LISTED_PATHS = 20


@dataclass(frozen=True)
class At:
    """One revision of one DAG, resolved, with its snapshot."""

    dag: str
    rev: str
    commit: StoredCommit
    snapshot: Snapshot

    def where(self) -> str:
        return f"at {self.rev} ({self.commit.sha[:10]})"

    def node(self, name: str) -> Node:
        node = self.snapshot.nodes.get(name)
        if node is None:
            raise unknown_node(name, self.snapshot.nodes, self.where())
        return node


def at(handle: QueryHandle, rev: str, dag: str | None) -> At:
    commit = handle.resolve(rev)
    name = handle.pick_dag(dag, [(rev, commit)])
    return At(name, rev, commit, handle.snapshot_at(commit, name))


def unknown_node(name: str, known: Iterable[str], where: str) -> UnknownNode:
    close = difflib.get_close_matches(name, sorted(set(known)), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return UnknownNode(f"unknown node {name!r} {where}{hint}")


@dataclass(frozen=True)
class Shown:
    dag: str
    rev: str
    commit: StoredCommit
    nodes: tuple[Node, ...]
    stubbed: tuple[str, ...] = ()  # stand-ins of the build at this commit


def show(
    handle: QueryHandle,
    rev: str,
    dag: str | None = None,
    tags: Sequence[TagFilter] = (),
    role: str | None = None,
) -> Shown:
    """The nodes at `rev`, those carrying every tag filter (and of `role`, when given)."""
    if role is not None and role not in ROLES:
        raise UserError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    found = at(handle, rev, dag)
    nodes = tuple(
        node
        for node in found.snapshot.nodes.values()
        if matches_all(node, tags) and (role is None or node.role == role)
    )
    return Shown(found.dag, rev, found.commit, nodes, tuple(found.snapshot.stubbed))


@dataclass(frozen=True)
class Related:
    """The nodes upstream or downstream of one node, each with its distance in edges."""

    dag: str
    rev: str
    commit: StoredCommit
    node: str
    direction: str  # upstream | downstream
    nodes: tuple[tuple[Node, int], ...]  # nearest first, then by name


def _related(
    handle: QueryHandle,
    name: str,
    rev: str,
    dag: str | None,
    tags: Sequence[TagFilter],
    direction: str,
) -> Related:
    found = at(handle, rev, dag)
    found.node(name)
    snapshot = found.snapshot
    neighbours: Mapping[str, Iterable[str]] = (
        graph.producers_by_node(snapshot)
        if direction == "upstream"
        else graph.consumers_by_node(snapshot)
    )
    nodes = sorted(
        (
            (snapshot.nodes[other], hops)
            for other, hops in graph.distances(name, neighbours).items()
            if other in snapshot.nodes and matches_all(snapshot.nodes[other], tags)
        ),
        key=lambda item: (item[1], item[0].name),
    )
    return Related(found.dag, rev, found.commit, name, direction, tuple(nodes))


def upstream(
    handle: QueryHandle,
    name: str,
    rev: str = "HEAD",
    dag: str | None = None,
    tags: Sequence[TagFilter] = (),
) -> Related:
    """Every node `name` depends on at `rev`, directly or not, that carries all `tags`."""
    return _related(handle, name, rev, dag, tags, "upstream")


def downstream(
    handle: QueryHandle,
    name: str,
    rev: str = "HEAD",
    dag: str | None = None,
    tags: Sequence[TagFilter] = (),
) -> Related:
    """Every node that depends on `name` at `rev`, directly or not, that carries all `tags`."""
    return _related(handle, name, rev, dag, tags, "downstream")


@dataclass(frozen=True)
class PathResult:
    dag: str
    rev: str
    commit: StoredCommit
    source: str
    target: str
    nodes: tuple[Node, ...]  # on some path, in dependency order; filtered by the tag filters
    edges: tuple[tuple[str, str], ...]
    paths: tuple[tuple[str, ...], ...]  # the first MAX_LISTED_PATHS of them
    path_count: int
    reverse_exists: bool  # no path source -> target, but one target -> source


def path(
    handle: QueryHandle,
    source: str,
    target: str,
    rev: str = "HEAD",
    dag: str | None = None,
    tags: Sequence[TagFilter] = (),
) -> PathResult:
    """How data flows from `source` to `target` at `rev`: the nodes and paths between them."""
    found = at(handle, rev, dag)
    found.node(source)
    found.node(target)
    snapshot = found.snapshot
    on_path = graph.path_between(snapshot, source, target)
    order = graph.topological(on_path, snapshot)
    consumers = {
        name: {c for c in following if c in on_path}
        for name, following in graph.consumers_by_node(snapshot).items()
        if name in on_path
    }
    edges = tuple(sorted((a, b) for a, targets in consumers.items() for b in targets))
    nodes = tuple(snapshot.nodes[n] for n in order if matches_all(snapshot.nodes[n], tags))
    paths = graph.enumerate_paths(source, target, consumers, MAX_LISTED_PATHS) if on_path else []
    return PathResult(
        found.dag,
        rev,
        found.commit,
        source,
        target,
        nodes,
        edges,
        tuple(paths),
        graph.count_paths(order, consumers, target),
        not on_path and bool(graph.path_between(snapshot, target, source)),
    )
