"""A clone on disk: opening it, its HEAD, what every clone of its history shares (the root
commits), and where builds materialize its commits."""

from __future__ import annotations

from pathlib import Path

from lineage_history.errors import NotAGitRepository, UnknownRevision, UserError
from lineage_history.repo.git import GitRepo

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


def work_root(repo: GitRepo) -> Path:
    """Where builds materialize commits: inside the git directory, so leaks are findable."""
    root = repo.git_dir / WORK_DIRNAME
    root.mkdir(exist_ok=True)
    return root
