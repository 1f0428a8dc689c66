"""Lineage questions answered from the database alone: log, show, upstream, downstream, path,
blame and pictures. Every function returns plain data; printing is the CLI's job.

Nothing here imports Hamilton, pandas or scikit-learn: a query costs a few SQL reads.
"""

from __future__ import annotations

import difflib
import heapq
import json
import shutil
import subprocess
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select

from lineage_history import ranges, service, visual
from lineage_history.diff import NodeChange, diff, node_changes
from lineage_history.errors import UnknownNode, UserError
from lineage_history.graph import consumers_by_node, path_between
from lineage_history.model import EMPTY, Node, Snapshot, TagValue
from lineage_history.picture_bounds import bounded_diff_picture
from lineage_history.render import change_details
from lineage_history.selectors import TagFilter, parse_tag_filters
from lineage_history.selectors import matches_all as _matches_all
from lineage_history.store import STATUS_FAILED, STATUS_OK, StoredCommit, identity
from lineage_history.store.schema import node_versions, snapshot_nodes, snapshots
from lineage_history.store.store import DagState

__all__ = [
    "Blame",
    "BlameLine",
    "Drawing",
    "LogEntry",
    "NodeLog",
    "PathResult",
    "Related",
    "Shown",
    "TagFilter",
    "blame",
    "commit_json",
    "diff_mermaid",
    "downstream",
    "draw",
    "iso_date",
    "log",
    "parse_tag_filters",
    "path",
    "picture",
    "show",
    "upstream",
]

ROLES = ("input", "function")
PICTURE_FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".svg": "svg", ".png": "png"}
MAX_LISTED_PATHS = 20
_CHUNK = 500  # snapshot ids per IN (...) list
BOUNDARY_NOTE = (
    "a shallow clone's boundary: the history before it is not indexed "
    "(`git fetch --unshallow`, then index again)"
)
_NO_DOT = "install graphviz (e.g. apt-get install graphviz) or write .dot/.mmd"


# -- revisions, snapshots and node names ------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """One revision of one DAG, resolved, with its snapshot."""

    dag: str
    rev: str
    commit: StoredCommit
    snapshot: Snapshot


def _at(context: service.Context, rev: str, dag: str | None) -> _At:
    name = service.pick_dag(context, dag)
    commit = service.resolve(context, rev)
    return _At(name, rev, commit, service.snapshot_at(context, commit, name))


def _unknown_node(name: str, known: Iterable[str], where: str) -> UnknownNode:
    close = difflib.get_close_matches(name, sorted(set(known)), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return UnknownNode(f"unknown node {name!r} {where}{hint}")


def _where(at: _At) -> str:
    return f"at {at.rev} ({at.commit.sha[:10]})"


def _require_node(at: _At, name: str) -> Node:
    node = at.snapshot.nodes.get(name)
    if node is None:
        raise _unknown_node(name, at.snapshot.nodes, _where(at))
    return node


def commit_json(commit: StoredCommit) -> dict[str, Any]:
    """A commit as `log --format json` and `blame --format json` show it."""
    return {
        "sha": commit.sha,
        "date": iso_date(commit.authored_at),
        "author": commit.author_name,
        "author_email": commit.author_email,
        "subject": commit.subject,
    }


def iso_date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


# -- show -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    dag: str
    rev: str
    commit: StoredCommit
    nodes: tuple[Node, ...]
    stubbed: tuple[str, ...] = ()  # stand-ins of the build at this commit


def show(
    context: service.Context,
    rev: str,
    dag: str | None = None,
    tags: Sequence[TagFilter] = (),
    role: str | None = None,
) -> Shown:
    """The nodes at `rev`, those carrying every tag filter (and of `role`, when given)."""
    if role is not None and role not in ROLES:
        raise UserError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    at = _at(context, rev, dag)
    nodes = tuple(
        node
        for node in at.snapshot.nodes.values()
        if _matches_all(node, tags) and (role is None or node.role == role)
    )
    return Shown(at.dag, rev, at.commit, nodes, tuple(at.snapshot.stubbed))


# -- upstream, downstream and path ----------------------------------------------------------


@dataclass(frozen=True)
class Related:
    """The nodes upstream or downstream of one node, each with its distance in edges."""

    dag: str
    rev: str
    commit: StoredCommit
    node: str
    direction: str  # upstream | downstream
    nodes: tuple[tuple[Node, int], ...]  # nearest first, then by name


def _distances(start: str, neighbours: Mapping[str, Iterable[str]]) -> dict[str, int]:
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


def _producers(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    return {node.name: node.dependencies for node in snapshot.nodes.values()}


def _related(
    context: service.Context,
    name: str,
    rev: str,
    dag: str | None,
    tags: Sequence[TagFilter],
    direction: str,
) -> Related:
    at = _at(context, rev, dag)
    _require_node(at, name)
    neighbours: Mapping[str, Iterable[str]] = (
        _producers(at.snapshot) if direction == "upstream" else consumers_by_node(at.snapshot)
    )
    distance = _distances(name, neighbours)
    nodes = sorted(
        (
            (at.snapshot.nodes[other], hops)
            for other, hops in distance.items()
            if other in at.snapshot.nodes and _matches_all(at.snapshot.nodes[other], tags)
        ),
        key=lambda item: (item[1], item[0].name),
    )
    return Related(at.dag, rev, at.commit, name, direction, tuple(nodes))


def upstream(
    context: service.Context,
    name: str,
    rev: str = "HEAD",
    dag: str | None = None,
    tags: Sequence[TagFilter] = (),
) -> Related:
    """Every node `name` depends on at `rev`, directly or not, that carries all `tags`."""
    return _related(context, name, rev, dag, tags, "upstream")


def downstream(
    context: service.Context,
    name: str,
    rev: str = "HEAD",
    dag: str | None = None,
    tags: Sequence[TagFilter] = (),
) -> Related:
    """Every node that depends on `name` at `rev`, directly or not, that carries all `tags`."""
    return _related(context, name, rev, dag, tags, "downstream")


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


def _topological(names: set[str], snapshot: Snapshot) -> list[str]:
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


def _enumerate_paths(
    source: str, target: str, consumers: Mapping[str, Iterable[str]], limit: int
) -> list[tuple[str, ...]]:
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


def _count_paths(order: Sequence[str], consumers: Mapping[str, Iterable[str]], target: str) -> int:
    ways = {name: 0 for name in order}
    ways[target] = 1
    for name in reversed(order):
        if name != target:
            ways[name] = sum(ways.get(nxt, 0) for nxt in consumers.get(name, ()))
    return ways[order[0]] if order else 0


def path(
    context: service.Context,
    source: str,
    target: str,
    rev: str = "HEAD",
    dag: str | None = None,
    tags: Sequence[TagFilter] = (),
) -> PathResult:
    """How data flows from `source` to `target` at `rev`: the nodes and paths between them."""
    at = _at(context, rev, dag)
    _require_node(at, source)
    _require_node(at, target)
    on_path = path_between(at.snapshot, source, target)
    order = _topological(on_path, at.snapshot)
    consumers = {
        name: {c for c in found if c in on_path}
        for name, found in consumers_by_node(at.snapshot).items()
        if name in on_path
    }
    edges = tuple(sorted((a, b) for a, targets in consumers.items() for b in targets))
    nodes = tuple(at.snapshot.nodes[n] for n in order if _matches_all(at.snapshot.nodes[n], tags))
    return PathResult(
        at.dag,
        rev,
        at.commit,
        source,
        target,
        nodes,
        edges,
        tuple(_enumerate_paths(source, target, consumers, MAX_LISTED_PATHS)) if on_path else (),
        _count_paths(order, consumers, target),
        not on_path and bool(path_between(at.snapshot, target, source)),
    )


# -- the history of one DAG -------------------------------------------------------------------


class _History:
    """The indexed commits and the states of one DAG, with node versions fetched by name."""

    def __init__(self, context: service.Context, dag: str) -> None:
        self.context = context
        self.store = context.store
        self.commits = {c.sha: c for c in self.store.commits(context.repository_id)}
        self.states: dict[str, DagState] = self.store.dag_states(context.repository_id, dag)
        self.snapshot_ids = sorted(
            {s.snapshot_id for s in self.states.values() if s.status == STATUS_OK and s.snapshot_id}
        )
        self._versions: dict[str, dict[int, Node]] = {}
        self._configs: dict[int, Mapping[str, Any]] = {}
        self.boundaries = identity.shallow_boundaries(self.store.engine, context.repository_id)

    def reachable(self, head: str) -> list[StoredCommit]:
        """The indexed commits reachable from `head`, newest (children) first."""
        seen = {head}
        stack = [head]
        while stack:
            for parent in self.commits[stack.pop()].parents:
                if parent in self.commits and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return self._children_first(seen)

    def _children_first(self, shas: set[str]) -> list[StoredCommit]:
        """Newest first, every commit before its parents: positions alone are not enough once
        a shallow clone's older history (`git fetch --unshallow`) is indexed after it."""
        waiting = dict.fromkeys(shas, 0)  # children not yet placed
        for sha in shas:
            for parent in set(self.commits[sha].parents):
                if parent in waiting:
                    waiting[parent] += 1
        ready = [(-self.commits[s].position, s) for s, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[StoredCommit] = []
        while ready:
            commit = self.commits[heapq.heappop(ready)[1]]
            order.append(commit)
            for parent in set(commit.parents):
                if parent in waiting:
                    waiting[parent] -= 1
                    if waiting[parent] == 0:
                        heapq.heappush(ready, (-self.commits[parent].position, parent))
        return order

    def failed(self, sha: str) -> bool:
        state = self.states.get(sha)
        return state is not None and state.status == STATUS_FAILED

    def built_base(self, parent: str | None) -> str | None:
        """The nearest commit from `parent` down its first parents whose build did not fail."""
        while parent is not None and parent in self.commits and self.failed(parent):
            parents = self.commits[parent].parents
            parent = parents[0] if parents else None
        return parent if parent in self.commits else None

    def first_base(self, sha: str) -> str | None:
        parents = self.commits[sha].parents
        return self.built_base(parents[0]) if parents else None

    def versions(self, name: str) -> dict[int, Node]:
        if name not in self._versions:
            self._versions[name] = self.store.node_versions_by_snapshot(self.snapshot_ids, name)
        return self._versions[name]

    def node_at(self, sha: str | None, name: str) -> Node | None:
        state = self.states.get(sha) if sha else None
        if state is None or state.status != STATUS_OK or state.snapshot_id is None:
            return None
        return self.versions(name).get(state.snapshot_id)

    def config_of(self, sha: str | None) -> Mapping[str, Any]:
        """The Hamilton config a commit's DAG was built with (one small read per snapshot)."""
        state = self.states.get(sha) if sha else None
        if state is None or state.status != STATUS_OK or state.snapshot_id is None:
            return {}
        if state.snapshot_id not in self._configs:
            query = select(snapshots.c.config).where(snapshots.c.id == state.snapshot_id)
            with self.store.engine.connect() as connection:
                self._configs[state.snapshot_id] = json.loads(
                    connection.execute(query).scalar_one()
                )
        return self._configs[state.snapshot_id]

    def snapshot(self, sha: str | None) -> Snapshot:
        state = self.states.get(sha) if sha else None
        if state is None or state.status != STATUS_OK or state.snapshot_id is None:
            return EMPTY
        snapshot = self.store.load_snapshot(state.snapshot_id)
        return replace(snapshot, stubbed=state.stubbed) if state.stubbed else snapshot

    def stubbed(self, sha: str | None) -> tuple[str, ...]:
        state = self.states.get(sha) if sha else None
        return state.stubbed if state is not None else ()

    def names(self, shas: Iterable[str]) -> set[str]:
        """Every node name in the snapshots of `shas`."""
        ids = {
            s.snapshot_id
            for sha in shas
            if (s := self.states.get(sha)) and s.status == STATUS_OK and s.snapshot_id
        }
        query = select(node_versions.c.name).distinct()
        return {row.name for row in self._in_snapshots(query, sorted(ids))}

    def _in_snapshots(self, query: Select[Any], ids: Sequence[int]) -> Iterator[Any]:
        """Rows of `query` (over node_versions) restricted to snapshots `ids`, in chunks."""
        query = query.join(snapshot_nodes, snapshot_nodes.c.node_version_id == node_versions.c.id)
        with self.store.engine.connect() as connection:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                yield from connection.execute(query.where(snapshot_nodes.c.snapshot_id.in_(chunk)))

    def renames(self, base: str | None, sha: str) -> dict[str, str]:
        """old name -> new name of the nodes renamed from `base` to `sha`."""
        return dict(diff(self.snapshot(base), self.snapshot(sha)).renamed)

    def tags_of(
        self, names: Iterable[str], snapshot_ids: Iterable[int]
    ) -> dict[tuple[int, str], Mapping[str, TagValue]]:
        """Only the tags of several nodes in some snapshots (cheaper than whole versions)."""
        wanted = sorted(set(names))
        query = select(
            snapshot_nodes.c.snapshot_id, node_versions.c.name, node_versions.c.tags
        ).where(node_versions.c.name.in_(wanted))
        parsed: dict[str, Mapping[str, TagValue]] = {}
        found = {}
        for row in self._in_snapshots(query, sorted(set(snapshot_ids))):
            if row.tags not in parsed:  # few distinct tag sets: parse each once
                parsed[row.tags] = Node(row.name, "", tags=json.loads(row.tags)).tags
            found[(row.snapshot_id, row.name)] = parsed[row.tags]
        return found


# -- log ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """One commit that added, changed or removed the node."""

    commit: StoredCommit
    node: str  # its name at this commit
    change: str | tuple[str, ...]  # "added", "removed", or the kinds of change
    details: tuple[str, ...] = ()
    renamed_from: str | None = None
    renamed_to: str | None = None
    stubbed: tuple[str, ...] = ()  # stand-ins of this commit's build

    def to_json(self) -> dict[str, Any]:
        return {
            **commit_json(self.commit),
            "node": self.node,
            "change": self.change if isinstance(self.change, str) else list(self.change),
            "details": list(self.details),
            "renamed_from": self.renamed_from,
            "renamed_to": self.renamed_to,
            "stubbed": list(self.stubbed),
        }


@dataclass(frozen=True)
class NodeLog:
    dag: str
    rev: str
    head: StoredCommit
    node: str
    follow: bool
    entries: tuple[LogEntry, ...] = field(default=())


def _log_entry(
    history: _History, commit: StoredCommit, name: str, follow: bool
) -> tuple[LogEntry | None, str]:
    """What happened to node `name` at `commit` (against its first parent's nearest built
    commit), and the node's name before it."""
    sha = commit.sha
    now = history.node_at(sha, name)
    base = history.first_base(sha)
    before = history.node_at(base, name)
    if before is None and now is None:
        return None, name
    if before is None:
        assert now is not None
        old = {new: old for old, new in history.renames(base, sha).items()}.get(name)
        if old is None and sha in history.boundaries and not commit.parents:
            return LogEntry(commit, name, "boundary", (BOUNDARY_NOTE,)), name
        if old is None:
            return LogEntry(commit, name, "added"), name
        if not follow:
            hint = (f"renamed from {old} (use --follow for its earlier history)",)
            return LogEntry(commit, name, "added", hint, renamed_from=old), name
        previous = history.node_at(base, old)
        assert previous is not None
        kinds = node_changes(previous, now, history.stubbed(base), history.stubbed(sha))
        change = NodeChange(name, kinds, previous, now)
        details = (f"renamed from {old}", *change_details(change))
        return LogEntry(commit, name, ("renamed", *change.changes), details, old), old
    if now is None:
        new = history.renames(base, sha).get(name)
        details = (f"renamed to {new}",) if new else ()
        return LogEntry(commit, name, "removed", details, renamed_to=new), name
    kinds = node_changes(before, now, history.stubbed(base), history.stubbed(sha))
    details = tuple(change_details(NodeChange(name, kinds, before, now)))
    old_config, new_config = history.config_of(base), history.config_of(sha)
    if name in old_config or name in new_config:  # a config key: its value is its history
        old_value, new_value = old_config.get(name, "(unset)"), new_config.get(name, "(unset)")
        if old_value != new_value:
            kinds = (*kinds, "value")
            details = (*details, f"value {old_value!r} -> {new_value!r}")
    if not kinds:
        return None, name
    return LogEntry(commit, name, kinds, details), name


def _same_side(history: _History, commit: StoredCommit, name: str) -> str | None:
    """The parent of a merge whose (nearest built) version of `name` the merge kept, if any."""
    if len(commit.parents) < 2:
        return None
    now = history.node_at(commit.sha, name)
    return next(
        (p for p in commit.parents if history.node_at(history.built_base(p), name) == now), None
    )


def log(
    context: service.Context,
    name: str,
    rev: str = "HEAD",
    dag: str | None = None,
    follow: bool = False,
) -> NodeLog:
    """The commits reachable from `rev`, newest first, that added, changed or removed `name`.

    A commit is compared with its first parent's nearest commit whose build did not fail, so
    a broken build is never a removal. As in `git log`, a merge that kept one parent's version
    of the node is not listed and only that parent's history is walked. With `follow`, a rename
    continues under the old name.
    """
    dag_name = service.pick_dag(context, dag)
    head = service.resolve(context, rev)
    history = _History(context, dag_name)
    commits = history.reachable(head.sha)
    reachable_shas = [c.sha for c in commits]
    if not any(history.node_at(sha, name) for sha in reachable_shas):
        where = f"in the history of {rev} ({head.sha[:10]})"
        raise _unknown_node(name, history.names(reachable_shas), where)
    name_at = {head.sha: name}
    entries: list[LogEntry] = []
    for commit in commits:  # children before parents
        if commit.sha not in name_at:
            continue  # on a side that a merge did not take the node from
        current = older = name_at[commit.sha]
        parents: Sequence[str] = commit.parents
        if not history.failed(commit.sha):
            kept = _same_side(history, commit, current)
            if kept is not None:
                parents = [kept]
            else:
                entry, older = _log_entry(history, commit, current, follow)
                if entry is not None:
                    entries.append(replace(entry, stubbed=history.stubbed(commit.sha)))
        for parent in parents:
            name_at.setdefault(parent, older)
    return NodeLog(dag_name, rev, head, name, follow, tuple(entries))


# -- blame ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlameLine:
    node: str
    value: TagValue  # the tag's value on the node at the revision
    commit: StoredCommit  # the oldest commit of the unbroken run that carried it


@dataclass(frozen=True)
class Blame:
    dag: str
    rev: str
    commit: StoredCommit
    tag: TagFilter
    lines: tuple[BlameLine, ...]


def blame(
    context: service.Context, tag: TagFilter, rev: str = "HEAD", dag: str | None = None
) -> Blame:
    """For each node carrying `tag` at `rev`: the commit that gave it the tag (value).

    Walks parents back from `rev` (over failed builds) while the node still carried the tag
    (`KEY=VALUE` as the filter matches, `KEY` alone with the value it has at `rev`); at a
    merge it follows the parent that carried it, so a tag set on a merged branch is credited
    to the branch's commit.
    """
    at = _at(context, rev, dag)
    carriers = [n for n in at.snapshot.nodes.values() if tag.matches(n.tags)]
    history = _History(context, at.dag)
    tags_by_version = history.tags_of((n.name for n in carriers), history.snapshot_ids)

    def carried(sha: str, node: Node) -> bool:
        state = history.states.get(sha)
        if state is None or state.status != STATUS_OK or state.snapshot_id is None:
            return False
        tags = tags_by_version.get((state.snapshot_id, node.name))
        if tags is None:
            return False
        if tag.value is not None:
            return tag.matches(tags)
        return tags.get(tag.key) == node.tags[tag.key]

    def introduced(node: Node) -> str:
        # Down the parents that still carried the tag, the first parent first (git's history
        # simplification): at a merge, the branch that brought the value in is followed to
        # the commit that set it, not stopped at the merge.
        sha = at.commit.sha
        while True:
            bases = (history.built_base(p) for p in history.commits[sha].parents)
            following = next((b for b in bases if b is not None and carried(b, node)), None)
            if following is None:
                return sha
            sha = following

    lines = [
        BlameLine(node.name, node.tags[tag.key], history.commits[introduced(node)])
        for node in carriers
    ]
    return Blame(at.dag, rev, at.commit, tag, tuple(lines))


# -- pictures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drawing:
    path: Path
    format: str
    nodes: int
    edges: int


def _picture_format(output: Path) -> str:
    fmt = PICTURE_FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise UserError(f"cannot draw {output.name}: use a .svg, .png, .dot or .mmd file name")
    return fmt


def _focus(snapshots: Sequence[Snapshot], name: str, up: bool, down: bool, where: str) -> set[str]:
    """`name` and its upstream and/or downstream in any of `snapshots` (both when neither)."""
    if not any(name in s.nodes for s in snapshots):
        raise _unknown_node(name, (n for s in snapshots for n in s.nodes), where)
    if not up and not down:
        up = down = True
    selected = {name}
    for snapshot in snapshots:
        if name not in snapshot.nodes:
            continue
        if up:
            selected |= set(_distances(name, _producers(snapshot)))
        if down:
            selected |= set(_distances(name, consumers_by_node(snapshot)))
    return selected


def picture(
    context: service.Context,
    rev: str,
    dag: str | None = None,
    base: str | None = None,
    node: str | None = None,
    up: bool = False,
    down: bool = False,
) -> visual.Picture:
    """What `viz` draws: the DAG at `rev`, or its diff from `base`, optionally around `node`."""
    pair = ranges.picture_pair(context, rev, base)
    if pair is None:
        at, before = _at(context, rev, dag), None
    else:
        name = service.pick_dag(context, dag)
        base, rev = pair.base_rev, pair.head_rev
        at = _At(name, rev, pair.head, service.snapshot_at(context, pair.head, name))
        before = _At(name, base, pair.base, service.snapshot_at(context, pair.base, name))
    snapshots = [at.snapshot] if before is None else [before.snapshot, at.snapshot]
    only = _focus(snapshots, node, up, down, _where(at)) if node else None
    if before is None:
        title = f"{at.dag or 'DAG'} at {rev} ({at.commit.sha[:10]})"
        return visual.snapshot_picture(at.snapshot, title, only=only, focus=node)
    title = f"{at.dag or 'DAG'}: {base} ({before.commit.sha[:10]}) -> {rev} ({at.commit.sha[:10]})"
    lineage = diff(before.snapshot, at.snapshot)
    return visual.diff_picture(lineage, before.snapshot, at.snapshot, title, only=only, focus=node)


def _run_dot(dot_text: str, fmt: str, dot_binary: str) -> bytes:
    result = subprocess.run(
        [dot_binary, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise UserError(f"graphviz dot failed: {message[-1] if message else 'no output'}")
    return result.stdout


def draw(
    context: service.Context,
    rev: str,
    output: Path,
    dag: str | None = None,
    base: str | None = None,
    node: str | None = None,
    up: bool = False,
    down: bool = False,
) -> Drawing:
    """Write the picture of `rev` (or of its diff from `base`) to `output`, by its extension."""
    fmt = _picture_format(output)
    dot_binary = shutil.which("dot") if fmt in ("svg", "png") else None
    if fmt in ("svg", "png") and dot_binary is None:
        raise UserError(f"cannot write {output.name} without the graphviz `dot` program: {_NO_DOT}")
    drawn = picture(context, rev, dag, base, node, up, down)
    if fmt == "mermaid":
        content: bytes = visual.to_mermaid(drawn).encode()
    else:
        dot_text = visual.to_dot(drawn)
        content = _run_dot(dot_text, fmt, dot_binary) if dot_binary else dot_text.encode()
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror}") from None
    return Drawing(output, fmt, len(drawn.nodes), len(drawn.edges))


def diff_mermaid(
    context: service.Context, report: service.DiffReport
) -> tuple[str, tuple[str, ...]]:
    """The Mermaid picture of a diff report (what changed, what it impacts, and their
    neighbours), bounded for Mermaid's limits, and what it leaves out."""
    drawn = bounded_diff_picture(report.diff, report.old, report.new, "")
    return visual.to_mermaid(drawn), drawn.left_out
