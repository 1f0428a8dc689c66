"""Revision ranges as git spells them: `A...B` (from the merge base of A and B to B) and
`A..B` (the same as `A B`), resolved through git or, without the repository, the database."""

from __future__ import annotations

from dataclasses import dataclass

from lineage_history.dag import graph
from lineage_history.errors import UserError
from lineage_history.queries.handle import QueryHandle
from lineage_history.store.records import StoredCommit


@dataclass(frozen=True)
class RevisionPair:
    """Two resolved revisions: what a diff or a check compares."""

    base_rev: str
    base: StoredCommit
    head_rev: str
    head: StoredCommit


def split_range(spec: str) -> tuple[str, str, bool] | None:
    """`(A, B, from_merge_base)` for `A...B` or `A..B` (an empty side is HEAD); else None."""
    for separator, from_merge_base in (("...", True), ("..", False)):
        first, found, second = spec.partition(separator)
        if found:
            return first or "HEAD", second or "HEAD", from_merge_base
    return None


def is_range(spec: str | None) -> bool:
    return spec is not None and split_range(spec) is not None


def merge_base(handle: QueryHandle, first: StoredCommit, second: StoredCommit) -> str | None:
    """The merge base of two indexed commits: git's answer, or the stored parents' one."""
    if handle.repo is not None:
        return handle.repo.merge_base(first.sha, second.sha)
    commits = handle.reader.commits(handle.repository_id)
    bases = graph.merge_bases({c.sha: c.parents for c in commits}, first.sha, second.sha)
    position = {c.sha: c.position for c in commits}
    # Where history crosses, git picks one of several best bases; the newest is as good.
    return max(bases, key=lambda sha: position[sha]) if bases else None


def resolve_range(handle: QueryHandle, spec: str) -> RevisionPair:
    """Resolve `A...B` or `A..B`."""
    ranged = split_range(spec)
    if ranged is None:
        raise UserError(f"not a revision range: {spec!r} (expected A...B or A..B)")
    first_rev, second_rev, from_merge_base = ranged
    first = handle.resolve(first_rev)
    head = handle.resolve(second_rev)
    if not from_merge_base:
        return RevisionPair(first_rev, first, second_rev, head)
    base_sha = merge_base(handle, first, head)
    if base_sha is None:
        raise UserError(f"{first_rev} and {second_rev} share no history: no merge base for {spec}")
    base = handle.reader.commit(handle.repository_id, base_sha)
    return RevisionPair(f"merge-base({first_rev}, {second_rev})", base, second_rev, head)


def resolve_pair(handle: QueryHandle, first: str, second: str | None) -> RevisionPair:
    """`A B`, `A..B` or `A...B` (then with no second revision) as two resolved revisions."""
    if split_range(first) is not None:
        if second is not None:
            raise UserError(f"{first} is already a range: give no second revision")
        return resolve_range(handle, first)
    if second is None:
        raise UserError(f"{first} is one revision: give a second one, or a range A...B")
    if split_range(second) is not None:
        raise UserError(f"{second} is a range: give a range alone, or two revisions")
    return RevisionPair(first, handle.resolve(first), second, handle.resolve(second))


def picture_pair(handle: QueryHandle, rev: str, base: str | None) -> RevisionPair | None:
    """What `viz REV [--base BASE]` compares: REV may be a range; `--base A...` means from
    the merge base of A and REV (`--base A..` is A); None when REV is drawn alone."""
    if base is None:
        return resolve_range(handle, rev) if is_range(rev) else None
    if is_range(rev):
        raise UserError(f"{rev} is a range: give no --base")
    ranged = split_range(base)
    if ranged is None:
        return resolve_pair(handle, base, rev)
    if not base.endswith(".."):
        raise UserError(f"--base {base}: give a revision, or A... for the merge base of A and REV")
    separator = "..." if base.endswith("...") else ".."
    return resolve_range(handle, f"{ranged[0]}{separator}{rev}")
