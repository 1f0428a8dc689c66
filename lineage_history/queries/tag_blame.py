"""`blame KEY[=VALUE]`: for each node carrying a tag, the commit that gave it the tag."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from lineage_history.dag.model import Node, TagValue
from lineage_history.dag.selectors import TagFilter
from lineage_history.queries.at_commit import at
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import Gap, History
from lineage_history.store.records import StoredCommit


@dataclass(frozen=True)
class BlameLine:
    node: str
    value: TagValue  # the tag's value on the node at the revision
    commit: StoredCommit  # the oldest commit of the unbroken run that carried it
    # Commits just below `commit` whose DAG could not be built: the tag may have come there.
    gap: Gap | None = None


@dataclass(frozen=True)
class Blame:
    dag: str
    rev: str
    commit: StoredCommit
    tag: TagFilter
    lines: tuple[BlameLine, ...]


def blame(handle: QueryHandle, tag: TagFilter, rev: str = "HEAD", dag: str | None = None) -> Blame:
    """For each node carrying `tag` at `rev`: the commit that gave it the tag (value).

    Walks parents back from `rev` (over failed builds) while the node still carried the tag
    (`KEY=VALUE` as the filter matches, `KEY` alone with the value it has at `rev`); at a
    merge it follows the parent that carried it, so a tag set on a merged branch is credited
    to the branch's commit. Where the commits just below the one credited could not be built,
    the line names them: the tag may have come in one of them.
    """
    found = at(handle, rev, dag)
    carriers = [n for n in found.snapshot.nodes.values() if tag.matches(n.tags)]
    walk = _TagWalk(History(handle, found.dag), tag, carriers)
    introduced = walk.introduced(found.commit, carriers)
    history = walk.history
    lines = [
        BlameLine(
            node.name,
            node.tags[tag.key],
            history.commits[introduced[node.name]],
            history.gap_below(introduced[node.name]),
        )
        for node in carriers
    ]
    return Blame(found.dag, rev, found.commit, tag, tuple(lines))


class _TagWalk:
    """The walk down one DAG's history that finds where each carrier got its tag."""

    def __init__(self, history: History, tag: TagFilter, carriers: list[Node]) -> None:
        self.history, self.tag = history, tag
        self.tags = history.tags_of((n.name for n in carriers), history.snapshot_ids)

    def carried(self, sha: str, node: Node) -> bool:
        snapshot_id = self.history.snapshot_id(sha)
        tags = None if snapshot_id is None else self.tags.get((snapshot_id, node.name))
        if tags is None:
            return False
        if self.tag.value is not None:
            return self.tag.matches(tags)
        return tags.get(self.tag.key) == node.tags[self.tag.key]

    def following(self, sha: str, node: Node) -> str | None:
        """Down the parents that still carried the tag, the first parent first (git's history
        simplification): at a merge, the branch that brought the value in is followed to
        the commit that set it, not stopped at the merge."""
        bases = (self.history.built_base(p) for p in self.history.commits[sha].parents)
        return next((b for b in bases if b is not None and self.carried(b, node)), None)

    def unchanged_base(self, sha: str) -> str | None:
        """The base every carrier at `sha` follows: its first built parent, when that has the
        very snapshot of `sha` (most commits change no DAG file)."""
        bases = (self.history.built_base(p) for p in self.history.commits[sha].parents)
        base = next((b for b in bases if b is not None), None)
        snapshot_id = self.history.snapshot_id(sha)
        if base is None or snapshot_id is None or self.history.snapshot_id(base) != snapshot_id:
            return None
        return base

    def introduced(self, head: StoredCommit, carriers: list[Node]) -> dict[str, str]:
        """Node name -> the commit that gave it the tag. All carriers walk down together,
        newest commit first, and part only where the DAG changed: a walk per node would
        visit every commit of the history once per carrier."""
        found: dict[str, str] = {}
        waiting: dict[str, list[Node]] = {head.sha: carriers}
        newest = [(-head.position, head.sha)]
        while newest:
            sha = heapq.heappop(newest)[1]
            walking = waiting.pop(sha)
            shared = self.unchanged_base(sha)
            for node in walking:
                target = shared if shared is not None else self.following(sha, node)
                if target is None:
                    found[node.name] = sha
                    continue
                if target not in waiting:
                    waiting[target] = []
                    heapq.heappush(newest, (-self.history.commits[target].position, target))
                waiting[target].append(node)
        return found
