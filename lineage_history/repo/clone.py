"""Which stored repository a clone is, and where builds materialize its commits: what the
index handle (`indexing`) and the query handle (`queries.handle`) both need."""

from __future__ import annotations

from pathlib import Path

from lineage_history.errors import NotAGitRepository, UnknownRevision, UserError
from lineage_history.repo.git import GitRepo
from lineage_history.store.reader import Reader

WORK_DIRNAME = "lineage-history-work"


def open_repo(path: str | None) -> GitRepo | None:
    """The repository at `path` (default: around the current directory), if there is one."""
    try:
        return GitRepo(path or ".")
    except NotAGitRepository:
        return None


def head_of(repo: GitRepo | None) -> str | None:
    """The SHA of HEAD; None without the repository or before its first commit (one git
    call: every query asks it)."""
    if repo is None:
        return None
    try:
        return repo.resolve("HEAD")
    except UnknownRevision:
        return None


def repository_identity(repo: GitRepo) -> tuple[set[str], set[str]]:
    """What every clone of a repository shares: the root commits of its branches and tags,
    and (in a shallow clone, which has no true root) the shallow boundary commits."""
    if not repo.has_commits():
        raise UserError(f"repository {repo.root} has no commits yet")
    return repo.root_commits(), repo.shallow_commits()


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


def work_root(repo: GitRepo) -> Path:
    """Where builds materialize commits: inside the git directory, so leaks are findable."""
    root = repo.git_dir / WORK_DIRNAME
    root.mkdir(exist_ok=True)
    return root
