"""`blame KEY[=VALUE]`: for each node carrying a tag, the commit that gave it the tag."""

from __future__ import annotations

from dataclasses import dataclass

from lineage_history.model import Node, TagValue
from lineage_history.queries.at_commit import at
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import History
from lineage_history.selectors import TagFilter
from lineage_history.store import StoredCommit


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


def blame(handle: QueryHandle, tag: TagFilter, rev: str = "HEAD", dag: str | None = None) -> Blame:
    """For each node carrying `tag` at `rev`: the commit that gave it the tag (value).

    Walks parents back from `rev` (over failed builds) while the node still carried the tag
    (`KEY=VALUE` as the filter matches, `KEY` alone with the value it has at `rev`); at a
    merge it follows the parent that carried it, so a tag set on a merged branch is credited
    to the branch's commit.
    """
    found = at(handle, rev, dag)
    carriers = [n for n in found.snapshot.nodes.values() if tag.matches(n.tags)]
    history = History(handle, found.dag)
    tags_by_version = history.tags_of((n.name for n in carriers), history.snapshot_ids)

    def carried(sha: str, node: Node) -> bool:
        snapshot_id = history.snapshot_id(sha)
        if snapshot_id is None:
            return False
        tags = tags_by_version.get((snapshot_id, node.name))
        if tags is None:
            return False
        if tag.value is not None:
            return tag.matches(tags)
        return tags.get(tag.key) == node.tags[tag.key]

    def introduced(node: Node) -> str:
        # Down the parents that still carried the tag, the first parent first (git's history
        # simplification): at a merge, the branch that brought the value in is followed to
        # the commit that set it, not stopped at the merge.
        sha = found.commit.sha
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
    return Blame(found.dag, rev, found.commit, tag, tuple(lines))
