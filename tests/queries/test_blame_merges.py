"""`blame` credits the commit that set a tag on the branch that brought it in, not the merge."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures import Repo, git

MODULE = """
from hamilton.function_modifiers import tag


{decorator}def sex(raw: str) -> str:
    return raw.lower()


def age(raw: str) -> int:
    return len(raw){extra}
"""


def test_blame_names_the_pull_request_commit_not_the_merge(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "merged")
    config = {"lineage-history.toml": '[dags.p]\nmodules = ["p.py"]\n'}
    repo.commit("start", {**config, "p.py": MODULE.format(decorator="", extra="")})
    git(repo.path, "checkout", "-q", "-b", "pr")
    repo.write({"p.py": MODULE.format(decorator='@tag(PII="true")\n', extra="")})
    git(repo.path, "commit", "-qam", "sex is PII", "--author", "Pat Reviewer <pat@example.com>")
    pr_commit = git(repo.path, "rev-parse", "HEAD")
    git(repo.path, "checkout", "-q", "main")
    repo.commit("age counts", {"p.py": MODULE.format(decorator="", extra=" + 0")})
    git(repo.path, "merge", "--no-ff", "-q", "-m", "Merge pr", "pr")
    git(repo.path, "commit", "-q", "--amend", "--no-edit", "--author", "Merge Bot <b@example.com>")
    assert len(git(repo.path, "rev-parse", "HEAD^2")) == 40  # a real merge commit
    repo.index()
    lines = repo.cli("blame", "PII=true", "--format", "json")
    assert [(line["node"], line["sha"], line["author"]) for line in lines] == [
        ("sex", pr_commit, "Pat Reviewer")
    ]
