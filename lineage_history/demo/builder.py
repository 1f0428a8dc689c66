"""Builds the demo git repository from the story: starts from the final files, undoes the
steps in reverse to find the first version, then replays them forward, committing and tagging
each. Fixed authors, dates and git settings make the commit SHAs the same on every build."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lineage_history._resources import pipelines_dir
from lineage_history.demo.snippets import (
    GITIGNORE_TEXT,
    PYPROJECT_TEXT,
    README_LINEAGE_SECTION,
    README_TEXT,
)
from lineage_history.demo.story import (
    FORK_TAG,
    MAIN_BRANCH,
    PIPELINES_PREFIX,
    SIDE_BRANCH,
    SIDE_STORY,
    STORY,
    StoryError,
    StoryStep,
)
from lineage_history.errors import UserError
from lineage_history.repo.git import run_git


class DemoDirectoryNotEmpty(UserError):
    """The demo destination already holds files; the demo never writes over them."""


_AUTHORS = {
    "priya": ("Priya Raman", "priya.raman@titanic-analytics.example"),
    "tomas": ("Tomas Lindqvist", "tomas.lindqvist@titanic-analytics.example"),
    "mei": ("Mei Chen", "mei.chen@titanic-analytics.example"),
    "jordan": ("Jordan Blake", "jordan.blake@titanic-analytics.example"),
}
_FIRST_COMMIT_AT = datetime(2024, 1, 8, 9, 30, tzinfo=timezone.utc)


Tree = dict[str, bytes]


def final_tree() -> Tree:
    """The files of the story's last commit on `main`: the shipped pipeline plus the repo files."""
    tree: Tree = {
        "README.md": (README_TEXT + README_LINEAGE_SECTION).encode(),
        ".gitignore": GITIGNORE_TEXT.encode(),
        "pyproject.toml": PYPROJECT_TEXT.encode(),
    }
    for path in sorted(pipelines_dir().glob("*.py")):
        tree[PIPELINES_PREFIX + path.name] = path.read_bytes()
    return tree


def _replace_once(tree: Tree, step: StoryStep, path: str, old: str, new: str) -> None:
    if path not in tree:
        raise StoryError(f"story step {step.tag!r}: {path} does not exist at this point")
    text = tree[path].decode()
    count = text.count(old)
    if count != 1:
        raise StoryError(
            f"story step {step.tag!r}: expected exactly one occurrence of {old!r} in {path}, "
            f"found {count}; the story in lineage_history/demo/story.py no longer matches "
            "the files in pipelines/"
        )
    tree[path] = text.replace(old, new).encode()


def _introduced_paths(tree: Tree, step: StoryStep) -> list[str]:
    return [
        path
        for path in tree
        if any(
            path == item or (item.endswith("/") and path.startswith(item))
            for item in step.introduces
        )
    ]


def main_trees() -> list[Tree]:
    """The file tree of every `STORY` step, found by undoing the steps from the final files."""
    tree = final_tree()
    introduced: list[Tree] = []
    for step in reversed(STORY):
        for edit in reversed(step.edits):
            _replace_once(tree, step, edit.path, edit.after, edit.before)
        introduced.append({path: tree.pop(path) for path in _introduced_paths(tree, step)})
    if tree:
        raise StoryError(f"no story step introduces {sorted(tree)}")

    trees: list[Tree] = []
    for step, new_files in zip(STORY, reversed(introduced), strict=True):
        tree = {**tree, **new_files}
        _apply(tree, step)
        trees.append(dict(tree))
    if trees[-1] != final_tree():
        raise StoryError("replaying the story does not reproduce the final files")
    return trees


def _apply(tree: Tree, step: StoryStep) -> None:
    for edit in step.edits:
        _replace_once(tree, step, edit.path, edit.before, edit.after)


def side_trees(fork: Tree) -> list[Tree]:
    """The file tree of every `SIDE_STORY` step, replayed forward from the fork's tree."""
    tree = dict(fork)
    trees: list[Tree] = []
    for step in SIDE_STORY:
        _apply(tree, step)
        trees.append(dict(tree))
    return trees


class _Git:
    """Runs git in the demo repository (through `run_git`), isolated from the user's and the
    system's git config."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
        self.env = {
            **inherited,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }

    def __call__(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        unsigned = ("-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false")
        return run_git(self.repo, *unsigned, *args, env={**self.env, **(env or {})}).stdout.strip()

    def commit_tree(self, tree: Tree, step: StoryStep, when: datetime) -> str:
        for path in self("ls-files", "-z").split("\0"):
            if path and path not in tree:
                (self.repo / path).unlink()
        for path, content in tree.items():
            target = self.repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        self("add", "--all")
        name, email = _AUTHORS[step.author]
        stamp = when.isoformat()
        identity = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": stamp,
        }
        self(
            "-c",
            f"user.name={name}",
            "-c",
            f"user.email={email}",
            "commit",
            "-q",
            "-m",
            step.subject,
            env=identity,
        )
        self("tag", step.tag)
        return self("rev-parse", "HEAD")


def build_demo_repo(dest: Path) -> dict[str, str]:
    """Create the demo repository at `dest`; return each story tag's commit SHA.

    `dest` may be missing or an empty directory. The result is the same on every run: same
    files, same commits, same SHAs. `main` is checked out at the end.
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DemoDirectoryNotEmpty(f"demo destination {dest} exists and is not an empty directory")
    trees = main_trees()
    fork_index = [step.tag for step in STORY].index(FORK_TAG)
    branch_trees = side_trees(trees[fork_index])

    dest.mkdir(parents=True, exist_ok=True)
    git = _Git(dest)
    git("init", "-q", "-b", MAIN_BRANCH)
    shas: dict[str, str] = {}
    for index, (step, tree) in enumerate(zip(STORY, trees, strict=True)):
        shas[step.tag] = git.commit_tree(tree, step, _FIRST_COMMIT_AT + timedelta(days=index))
    git("checkout", "-q", "-b", SIDE_BRANCH, FORK_TAG)
    fork_time = _FIRST_COMMIT_AT + timedelta(days=fork_index, hours=5)
    for offset, (step, tree) in enumerate(zip(SIDE_STORY, branch_trees, strict=True), start=1):
        shas[step.tag] = git.commit_tree(tree, step, fork_time + timedelta(days=offset))
    git("checkout", "-q", MAIN_BRANCH)
    return shas
