"""The only module that talks to git: revisions, commit lists, refs and files at a commit."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lineage_history.errors import GitError, NotAGitRepository, UnknownRevision

if TYPE_CHECKING:  # GitPython costs 50 ms to import; queries never need it
    import git

FileEntry = tuple[str, str]  # (path from the repository root, blob id)
_FIELD, _RECORD = "\x1f", "\x1e"
_LOG_FORMAT = _FIELD.join(["%H", "%P", "%an", "%ae", "%at", "%ct", "%s"]) + _RECORD


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: int  # unix seconds
    committed_at: int
    subject: str


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = pattern[i]
            out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
            i += 1
    return re.compile("".join(out) + r"\Z")


class GitRepo:
    """A repository on disk. Commands go through `run`; objects are read through GitPython's
    one long-lived `git cat-file` process, started (and imported) only when needed."""

    def __init__(self, path: str | Path) -> None:
        location = Path(path).expanduser()
        if not location.is_dir():
            raise NotAGitRepository(f"not a git repository: {path}")
        probe = subprocess.run(
            [
                "git",
                "-C",
                str(location),
                "rev-parse",
                "--absolute-git-dir",
                "--git-common-dir",
                "--is-bare-repository",
                "--show-cdup",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode != 0:
            raise NotAGitRepository(f"not a git repository: {path}")
        git_dir, common_dir, bare, *cdup = probe.stdout.splitlines()
        self.git_dir = (location / common_dir).resolve()
        if bare == "true":
            self.root = Path(git_dir).resolve()
        else:
            self.root = (location / (cdup[0] if cdup else "")).resolve()
        self._repo_object: git.Repo | None = None
        self._files_in_tree = lru_cache(maxsize=100_000)(self._files_in_tree_uncached)

    @property
    def _repo(self) -> git.Repo:
        if self._repo_object is None:
            import git as gitpython

            self._repo_object = gitpython.Repo(self.root)
        return self._repo_object

    def close(self) -> None:
        if self._repo_object is not None:
            self._repo_object.close()

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(self.root), *args], capture_output=True, text=True, check=False
        )

    def run(self, *args: str) -> str:
        """Run one git command; the single chokepoint for git processes."""
        done = self._git(*args)
        if done.returncode != 0:
            raise GitError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def resolve(self, rev: str) -> str:
        """The full SHA of the commit a revision names (SHA, short SHA, branch, tag, `main~2`)."""
        if not rev or rev.startswith("-"):
            raise UnknownRevision(f"unknown revision: {rev!r}")
        done = self._git("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}")
        if done.returncode != 0:
            if "ambiguous" in done.stderr:
                raise UnknownRevision(f"ambiguous revision {rev!r}: give more characters")
            raise UnknownRevision(f"unknown revision: {rev!r}")
        return done.stdout.strip()

    def has_commits(self) -> bool:
        return self._git("rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode == 0

    def commits(self, revs: list[str] | None = None, *, all_refs: bool = False) -> list[CommitInfo]:
        """Commits reachable from `revs` (default: HEAD and local branches), parents first."""
        if all_refs:
            selectors = ["--all"]
        elif revs:
            selectors = [self.resolve(rev) for rev in revs]
        else:
            selectors = (["HEAD"] if self.has_commits() else []) + ["--branches"]
        out = self.run(
            "log", "--topo-order", "--reverse", f"--format={_LOG_FORMAT}", *selectors, "--"
        )
        commits = []
        for record in out.split(_RECORD):
            record = record.strip("\n")
            if not record:
                continue
            sha, parents, name, email, authored, committed, subject = record.split(_FIELD)
            commits.append(
                CommitInfo(
                    sha, tuple(parents.split()), name, email, int(authored), int(committed), subject
                )
            )
        return commits

    def refs(self) -> dict[str, str]:
        """Branches, tags and HEAD, each with the commit it points at."""
        out = self.run("for-each-ref", "--format=%(refname) %(objectname) %(*objectname)")
        refs = {}
        for line in out.splitlines():
            name, target, *peeled = line.split()
            refs[name] = peeled[0] if peeled else target
        if self.has_commits():
            refs["HEAD"] = self.resolve("HEAD")
        return refs

    def fetch(self) -> None:
        self.run("fetch", "--all", "--prune", "--quiet")

    def _tree(self, sha: str, path: str) -> git.Tree | git.Blob | None:
        tree = self._repo.commit(sha).tree
        if path in ("", "."):
            return tree
        try:
            return tree / path
        except KeyError:
            return None

    def _files_in_tree_uncached(self, tree_sha: str, prefix: str) -> tuple[FileEntry, ...]:
        from git import Tree

        tree = Tree(self._repo, bytes.fromhex(tree_sha), path=prefix)
        entries: list[FileEntry] = []
        for item in tree:
            path = f"{prefix}/{item.name}" if prefix else item.name
            if item.type == "tree":
                entries.extend(self._files_in_tree(item.hexsha, path))
            elif item.type == "blob":
                entries.append((path, item.hexsha))
        return tuple(entries)

    def files(self, sha: str, path: str) -> tuple[FileEntry, ...]:
        """Every file at or under `path` at a commit, with its blob id."""
        obj = self._tree(sha, path)
        if obj is None:
            return ()
        if obj.type == "blob":
            return ((path, obj.hexsha),)
        prefix = "" if path in ("", ".") else str(PurePosixPath(path))
        return self._files_in_tree(obj.hexsha, prefix)

    def glob(self, sha: str, pattern: str) -> tuple[FileEntry, ...]:
        """Files matching a pattern with `*`, `?` and `**`; a plain directory means all below it."""
        parts = PurePosixPath(pattern).parts
        static = []
        for part in parts:
            if any(c in part for c in "*?["):
                break
            static.append(part)
        base = str(PurePosixPath(*static)) if static else ""
        candidates = self.files(sha, base)
        if len(static) == len(parts):
            return candidates
        regex = _glob_regex(pattern)
        return tuple(entry for entry in candidates if regex.match(entry[0]))

    def blob_id(self, sha: str, path: str) -> str | None:
        obj = self._tree(sha, path)
        return obj.hexsha if obj is not None and obj.type == "blob" else None

    def read(self, sha: str, path: str) -> bytes | None:
        """A file's bytes at a commit, or None when it does not exist there."""
        obj = self._tree(sha, path)
        return obj.data_stream.read() if obj is not None and obj.type == "blob" else None

    def read_blob(self, blob_id: str) -> bytes:
        return self._repo.odb.stream(bytes.fromhex(blob_id)).read()

    def prune_worktrees(self) -> None:
        subprocess.run(
            ["git", "-C", str(self.root), "worktree", "prune"], capture_output=True, check=False
        )
