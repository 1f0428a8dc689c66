"""The only module that talks to git: revisions, commit lists, refs and git objects."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lineage_history.errors import GitError, NotAGitRepository, UnknownRevision, UserError
from lineage_history.repo.tree import CommitTree, IndexTree, TreeError

if TYPE_CHECKING:  # GitPython costs 50 ms to import; queries never need it
    import git

_FIELD, _RECORD = "\x1f", "\x1e"
_LOG_FORMAT = _FIELD.join(["%H", "%P", "%an", "%ae", "%at", "%ct", "%s"]) + _RECORD


def run_git(
    cwd: str | Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `git -C cwd args` to the end: every git process of the package starts here (but
    GitPython's `cat-file` reader). With `check`, a non-zero exit raises a GitError that
    carries the command, its status and its output; without, the caller reads the status."""
    done = subprocess.run(
        ["git", "-C", str(cwd), *args],
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise GitError(args, str(cwd), done.returncode, done.stdout, done.stderr)
    return done


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: int  # unix seconds
    committed_at: int
    subject: str


# Directory listings kept across commits (a commit reads again what it needs after a clear).
_LISTINGS = 5_000


class GitRepo:
    """A repository on disk. Commands go through `run_git`; objects are read through GitPython's
    one long-lived `git cat-file` process, started (and imported) only when needed."""

    def __init__(self, path: str | Path) -> None:
        location = Path(path).expanduser()
        if not location.is_dir():
            raise NotAGitRepository(f"not a git repository: {path}")
        probe = run_git(
            location,
            "rev-parse",
            "--absolute-git-dir",
            "--git-common-dir",
            "--is-bare-repository",
            "--show-cdup",
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
        self._listings: dict[str, dict[str, tuple[str, str]]] = {}

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
        """A git command whose exit status the caller reads (a miss is not a failure)."""
        return run_git(self.root, *args, check=False)

    def run(self, *args: str) -> str:
        """Run one git command in this repository; its output, or a GitError."""
        return run_git(self.root, *args).stdout

    def resolve(self, rev: str) -> str:
        """The full SHA of the commit a revision names (SHA, short SHA, branch, tag, `main~2`)."""
        if not rev or rev.startswith("-"):
            raise UnknownRevision(f"unknown revision: {rev!r}")
        # `:/message` swallows any suffix into the message, so it is peeled by git itself.
        spec = rev if rev.startswith(":/") else f"{rev}^{{commit}}"
        done = self._git("rev-parse", "--verify", "--end-of-options", spec)
        if done.returncode != 0:
            if "ambiguous" in done.stderr:
                raise UnknownRevision(f"ambiguous revision {rev!r}: give more characters")
            raise UnknownRevision(f"unknown revision: {rev!r}")
        return done.stdout.strip()

    def merge_base(self, first: str, second: str) -> str | None:
        """The merge base git picks for two commits, or None when they share no history."""
        done = self._git("merge-base", "--end-of-options", first, second)
        if done.returncode == 1 and not done.stderr.strip():
            return None
        if done.returncode != 0:
            args = ("merge-base", "--end-of-options", first, second)
            raise GitError(args, str(self.root), done.returncode, done.stdout, done.stderr)
        return done.stdout.strip()

    def root_commits(self) -> set[str]:
        """The parentless commits of HEAD, branches, remote branches and tags (not shallow
        boundaries, which only look parentless)."""
        if not self.has_commits():
            return set()
        out = self.run("rev-list", "--max-parents=0", "HEAD", "--branches", "--remotes", "--tags")
        return set(out.split()) - self.shallow_commits()

    def shallow_commits(self) -> set[str]:
        """The boundary commits of a shallow clone, whose parents are not in the clone."""
        shallow = self.git_dir / "shallow"
        return set(shallow.read_text().split()) if shallow.is_file() else set()

    def parents(self, sha: str) -> tuple[str, ...]:
        return tuple(self.run("rev-list", "--parents", "-n", "1", sha, "--").split()[1:])

    def main_worktree(self) -> Path:
        """The main working tree (not a linked `git worktree`'s); the git dir when bare."""
        for line in self.run("worktree", "list", "--porcelain").splitlines():
            if line.startswith("worktree "):
                return Path(line.removeprefix("worktree ")).resolve()
        return self.root

    def has_commits(self) -> bool:
        return self._git("rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode == 0

    def commits(self, revs: list[str] | None = None, *, all_refs: bool = False) -> list[CommitInfo]:
        """Commits reachable from `revs` (default: HEAD and local branches), parents first."""
        if all_refs:
            selectors = ["--all"]
        elif revs:
            selectors = [self.resolve(rev) for rev in revs]
        else:
            selectors = self._head_and_branches()
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

    def branch_tips(self) -> set[str]:
        """The commits the local branches point at."""
        return set(self.run("for-each-ref", "--format=%(objectname)", "refs/heads").split())

    def reachable_shas(self) -> set[str]:
        """The SHAs of the commits `commits()` lists by default, without reading them."""
        return set(self.run("rev-list", *self._head_and_branches(), "--").split())

    def _head_and_branches(self) -> list[str]:
        """What `commits()` walks by default: HEAD (once it has a commit) and local branches."""
        return (["HEAD"] if self.has_commits() else []) + ["--branches"]

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

    def remote_url(self) -> str | None:
        """The URL of `origin`, else of the first remote; None without remotes."""
        remotes = self._git("remote").stdout.split()
        if not remotes:
            return None
        remote = "origin" if "origin" in remotes else remotes[0]
        url = self._git("remote", "get-url", remote).stdout.strip()
        return url or None

    def fetch(self) -> None:
        self.run("fetch", "--all", "--prune", "--quiet")

    def read_blob(self, blob_id: str) -> bytes:
        return self._repo.odb.stream(bytes.fromhex(blob_id)).read()

    def read_object(self, object_id: str) -> bytes:
        """The raw content of any object (blob, tree, commit) through the cat-file process."""
        try:
            return self._repo.odb.stream(bytes.fromhex(object_id)).read()
        except ValueError as exc:  # GitPython reports a missing object as a ValueError
            raise TreeError(f"cannot read git object {object_id}: {exc}") from None

    def index_tree(self) -> IndexTree:
        """The files staged in the index (what `git commit` would record), without writing
        any object."""
        out = self.run("ls-files", "--stage", "-z")
        entries = []
        for record in filter(None, out.split("\0")):
            info, path = record.split("\t", 1)
            mode, blob_id, stage = info.split()
            if stage != "0":
                raise UserError(f"the index has unresolved merge conflicts (at {path})")
            entries.append((mode, blob_id, path))
        return IndexTree(entries, self.read_object)

    def commit_tree(self, sha: str) -> CommitTree:
        """The files of a commit, read from git objects (listings shared across commits)."""
        header = self.read_object(sha).split(b"\n\n", 1)[0]
        for line in header.splitlines():
            if line.startswith(b"tree "):
                if len(self._listings) > _LISTINGS:  # bounded: memory flat over a history
                    self._listings.clear()
                return CommitTree(line[5:].decode("ascii"), self.read_object, self._listings)
        raise TreeError(f"commit {sha} has no tree")
