"""Which stored repository a clone is: matched by any known root commit or stored commit.
Reads only (no SQLAlchemy): every query asks it."""

from __future__ import annotations

from lineage_history.repo.clone import repository_identity
from lineage_history.repo.git import GitRepo
from lineage_history.store.reader import Reader


def find_repository(reader: Reader, repo: GitRepo, head: str | None = None) -> int | None:
    """The stored repository this clone is: by any root commit, else by a stored commit.

    Given `head` (the SHA of HEAD; queries), a HEAD stored in exactly one repository settles
    it without listing the roots, which costs a walk of the whole history in git. Clones of
    one history share one stored repository (the indexer merges them by their roots), so the
    answers agree.
    """
    if head is not None:
        holders = reader.repositories_with_commit(head)
        if len(holders) == 1:
            return holders[0]
    roots, shallow = repository_identity(repo)
    return reader.find_repository(roots | shallow, shallow | {head or repo.resolve("HEAD")})
