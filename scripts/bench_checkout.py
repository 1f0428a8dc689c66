#!/usr/bin/env python
"""How fast can a build get the files of one commit's DAG? Compares ways to materialize the
`pipelines/` directory (and `pyproject.toml`) of a commit in a directory:

- `blobs`: what the indexer does: the file list from git trees (`build_keys.plan`, the import
  closure), each blob read through GitPython's long-lived `git cat-file`, into a new temp dir;
- `blobs-known`: the same without the tree walks (the indexer's planning already listed the
  files for the build key, so materializing is only the blob reads and file writes);
- `archive`: `git archive SHA pipelines pyproject.toml | tar -x` into a new temp dir;
- `sparse-new`: a new `git worktree add --no-checkout` + `git sparse-checkout set` of the
  module directories + `git checkout`, removed afterwards;
- `sparse-reuse`: one sparse worktree, moved from commit to commit with
  `git checkout --force --detach SHA` (git rewrites only the files that differ);
- `full-new`: a full `git worktree add` (what the naive recipe does), on a smaller sample.

Each method materializes the same commits (by default the commits that change the pipeline,
i.e. the ones the indexer builds), in the same directory (so the same filesystem), and its
result is checked against the others (same paths, same bytes). Prints ms per commit.

    python scripts/bench_checkout.py                 # generates a 1,000-commit repository
    python scripts/bench_checkout.py --repo DIR      # an existing benchmark repository
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench_repo

from lineage_history.build.plans import plan
from lineage_history.definitions.sources import DagSources
from lineage_history.repo.git import GitRepo


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env=_bench_repo.git_env(repo),
    )


def digest_tree(root: Path, prefixes: tuple[str, ...]) -> str:
    """A digest of the files under `prefixes` (paths and bytes), for cross-checking."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(prefixes):
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class Methods:
    def __init__(self, repo: Path, work: Path, dirs: tuple[str, ...]) -> None:
        self.repo = repo
        self.work = work
        self.dirs = dirs  # the module directories, and pyproject.toml
        self.git_repo = GitRepo(repo)
        head = self.git_repo.commit_tree(self.git_repo.resolve("HEAD"))
        definitions = DagSources().definitions(head)
        self.definition = next(iter(definitions.values()))
        self.reused: Path | None = None
        self.known: dict[str, tuple[tuple[str, str], ...]] = {}
        self.counter = 0

    def _new_dir(self) -> Path:
        self.counter += 1
        return Path(tempfile.mkdtemp(prefix=f"m{self.counter}-", dir=self.work))

    def blobs(self, sha: str) -> tuple[Path, Callable[[], None]]:
        target = self._new_dir()
        for path, blob in self._needed(sha):
            out = target / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(self.git_repo.read_blob(blob))
        return target, lambda: shutil.rmtree(target)

    def blobs_known(self, sha: str) -> tuple[Path, Callable[[], None]]:
        """Only the reads and writes: the indexer knows the file list from planning."""
        target = self._new_dir()
        for path, blob in self.known[sha]:
            out = target / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(self.git_repo.read_blob(blob))
        return target, lambda: shutil.rmtree(target)

    def plan_files(self, shas: list[str]) -> None:
        self.known = {}
        for sha in shas:
            self.known[sha] = self._needed(sha)

    def _needed(self, sha: str) -> tuple[tuple[str, str], ...]:
        """The build's import closure (as planned by the indexer), plus pyproject.toml."""
        tree = self.git_repo.commit_tree(sha)
        build_plan = plan(tree, self.definition)
        files = dict(build_plan.files if build_plan else ())
        files.update(tree.files("pyproject.toml"))
        return tuple(sorted(files.items()))

    def archive(self, sha: str) -> tuple[Path, Callable[[], None]]:
        target = self._new_dir()
        archive = subprocess.Popen(
            ["git", "-C", str(self.repo), "archive", sha, "--", *self.dirs],
            stdout=subprocess.PIPE,
        )
        subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
        assert archive.stdout is not None
        archive.stdout.close()
        if archive.wait() != 0:
            raise RuntimeError("git archive failed")
        return target, lambda: shutil.rmtree(target)

    def sparse_new(self, sha: str) -> tuple[Path, Callable[[], None]]:
        target = self._new_dir() / "tree"
        git(self.repo, "worktree", "add", "-q", "--no-checkout", "--detach", str(target), sha)
        git(target, "sparse-checkout", "set", "--no-cone", *self._sparse_patterns())
        git(target, "checkout", "-q", "--detach", sha)

        def clean() -> None:
            git(self.repo, "worktree", "remove", "--force", str(target))
            shutil.rmtree(target.parent, ignore_errors=True)

        return target, clean

    def sparse_reuse(self, sha: str) -> tuple[Path, Callable[[], None]]:
        if self.reused is None:
            self.reused = self._new_dir() / "tree"
            git(self.repo, "worktree", "add", "-q", "--no-checkout", "--detach", str(self.reused))
            git(self.reused, "sparse-checkout", "set", "--no-cone", *self._sparse_patterns())
        git(self.reused, "checkout", "-q", "--force", "--detach", sha)
        return self.reused, lambda: None

    def full_new(self, sha: str) -> tuple[Path, Callable[[], None]]:
        target = self._new_dir() / "tree"
        git(self.repo, "worktree", "add", "-q", "--detach", str(target), sha)

        def clean() -> None:
            git(self.repo, "worktree", "remove", "--force", str(target))
            shutil.rmtree(target.parent, ignore_errors=True)

        return target, clean

    def _sparse_patterns(self) -> list[str]:
        return [f"/{d}/*.py" if not d.endswith(".toml") else f"/{d}" for d in self.dirs]

    def close(self) -> None:
        if self.reused is not None:
            git(self.repo, "worktree", "remove", "--force", str(self.reused))
        self.git_repo.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="an existing repository (default: generate)")
    parser.add_argument("--commits", type=int, default=1000, help="commits to generate")
    parser.add_argument("--files", type=int, default=2000, help="non-pipeline files to generate")
    parser.add_argument(
        "--all-commits",
        action="store_true",
        help="every commit, not only those that change pipelines/",
    )
    parser.add_argument("--limit", type=int, default=100, help="at most this many commits")
    parser.add_argument("--full-sample", type=int, default=10, help="commits for full-new")
    parser.add_argument("--dir", type=Path, help="where to materialize (default: a temp dir)")
    parser.add_argument("--rounds", type=int, default=3, help="repeat each method, keep best")
    args = parser.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="bench-checkout-", dir=args.dir))
    try:
        if args.repo:
            repo = args.repo.resolve()
        else:
            repo = base / "repo"
            _bench_repo.generate(repo, args.commits, other_files=args.files)
        work = base / "work"
        work.mkdir()
        out = subprocess.run(
            ["git", "-C", str(repo), "log", "--reverse", "--format=%H", "main"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if not args.all_commits:
            changed = subprocess.run(
                [
                    "git",
                    "-C",
                    str(repo),
                    "log",
                    "--reverse",
                    "--format=%H",
                    "main",
                    "--",
                    "pipelines",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            out = changed
        shas = out[: args.limit]
        step = max(1, len(shas) // max(1, args.full_sample))
        full_shas = shas[::step][: args.full_sample]
        print(
            f"materializing pipelines/ + pyproject.toml of {len(shas)} commits "
            f"({'all' if args.all_commits else 'those that change pipelines/'}) of {repo}"
        )
        print(f"in {work}\n")
        plan = [
            ("blobs", shas, "indexer today: trees + cat-file blobs -> files"),
            ("blobs-known", shas, "the same, file list known from planning"),
            ("archive", shas, "git archive | tar -x"),
            ("sparse-new", shas, "new sparse worktree per commit"),
            ("sparse-reuse", shas, "one sparse worktree, checkout -f"),
            ("full-new", full_shas, "full worktree per commit (naive)"),
        ]
        reference: dict[str, str] = {}
        results = []
        for name, commits, label in plan:
            best = None
            for _ in range(args.rounds):
                # Fresh objects each round: no cache (GitPython's, the tree walks') carries over.
                methods = Methods(repo, work, ("pipelines", "pyproject.toml"))
                method = getattr(methods, name.replace("-", "_"))
                if name == "blobs-known":
                    methods.plan_files(commits)  # not timed: the indexer's planning does it
                times = []
                for sha in commits:
                    started = time.perf_counter()
                    target, clean = method(sha)
                    elapsed = time.perf_counter() - started
                    digest = digest_tree(target, ("pipelines/", "pyproject.toml"))
                    if reference.setdefault(sha, digest) != digest:
                        raise SystemExit(f"{name}: different files at {sha}")
                    started = time.perf_counter()
                    clean()
                    times.append((elapsed, time.perf_counter() - started))
                methods.close()
                mean = statistics.mean(t for t, _ in times)
                if best is None or mean < best[0]:
                    best = (mean, statistics.mean(c for _, c in times), len(times))
            assert best is not None
            results.append((name, label, *best))
            print(
                f"  {name:<13} {best[0] * 1000:8.1f} ms/commit  (+{best[1] * 1000:6.1f} ms "
                f"clean-up)  {label}, {best[2]} commits",
                flush=True,
            )
        fastest = min(results, key=lambda r: r[2] + r[3])
        print(f"\nfastest (materialize + clean-up): {fastest[0]}")
        print("all methods produced the same files for every commit")
    finally:
        shutil.rmtree(base, ignore_errors=True)
        if os.path.isdir(base):
            print(f"could not remove {base}")


if __name__ == "__main__":
    main()
