"""Markdown and Mermaid for pull-request comments: user strings escaped everywhere, and a
large diff summarized under GitHub's and Mermaid's limits; real repositories and builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures import big_history, commit_file, git, run_cli

HOSTILE = "x\\n## heading | cell <img src=x onerror=alert(1)> `tick` [link](http://e) @octocat"
GITHUB_LIMIT = 65_536
MERMAID_EDGE_LIMIT = 500
_ARROW = re.compile(r" (-->|==>|-\.->) ")


def hostile_module(owner: str, doc: str, body: str) -> str:
    return (
        "from hamilton.function_modifiers import tag\n\n\n"
        "def raw(x: int) -> int:\n    return x\n\n\n"
        f"@tag(owner={owner!r})\n"
        f"def clean(raw: int) -> int:\n    {doc!r}\n    return {body}\n\n\n"
        "def report(clean: int) -> int:\n    return clean\n"
    )


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    repo = tmp_path_factory.mktemp("hostile-md") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    config = '[tool.lineage-history.dags.d]\nmodules = ["m.py"]\nconfig = {{ mode = "{}" }}\n'
    commit_file(repo, "pyproject.toml", config.format("plain"), "config")
    commit_file(repo, "m.py", hostile_module("team", "Doc.", "raw"), "first")
    hostile = HOSTILE.replace("\\n", "\n")
    commit_file(repo, "m.py", hostile_module(hostile, hostile, "raw + 1"), "hostile")
    commit_file(repo, "pyproject.toml", config.format(HOSTILE.replace('"', "")), "hostile config")
    db = repo.parent / "db.sqlite"
    result = run_cli("index", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0 and "0 failed" in result.stdout, result.stdout + result.stderr
    return repo, db


def diff(repo: Path, db: Path, *args: str) -> str:
    result = run_cli("diff", *args, "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return result.stdout


def diff_log(repo: Path, db: Path) -> str:
    result = run_cli("log", "clean", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return result.stdout


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_escapes_tag_values_docstrings_and_config(hostile_repo: tuple[Path, Path]) -> None:
    repo, db = hostile_repo
    markdown = diff(repo, db, "main~2", "main", "--format", "markdown")
    assert "clean" in markdown and "heading" in markdown
    assert "<img" not in markdown
    lines = markdown.splitlines()
    assert [line for line in lines if line.startswith("#")] == [lines[0]]
    rows = [line for line in lines if line.startswith("| ")]
    assert len(rows) >= 3 and all(unescaped_pipes(row) == 4 for row in rows), rows
    fence = lines.index("```mermaid")
    assert lines[fence + 1 :].count("```") == 1  # nothing closes the picture early
    assert "[link](" not in "\n".join(lines[:fence])  # inside the picture it is inert
    assert "@octocat" not in "\n".join(lines[:fence])  # nobody is mentioned


def test_mermaid_and_table_keep_user_strings_on_their_line(
    hostile_repo: tuple[Path, Path],
) -> None:
    repo, db = hostile_repo
    mermaid = diff(repo, db, "main~2", "main", "--format", "mermaid")
    assert "<img" not in mermaid and "`" not in mermaid
    assert not any(line.startswith("## heading") for line in mermaid.splitlines())
    table = diff(repo, db, "main~2", "main")
    assert not any(line.lstrip().startswith("## heading") for line in table.splitlines())
    assert "owner: team -> x ## heading | cell" in table
    log = diff_log(repo, db)
    assert not any(line.startswith("## heading") for line in log.splitlines())
    assert "owner: team -> x ## heading | cell" in log


@pytest.mark.slow
def test_a_500_node_diff_is_summarized_for_a_pr_comment(tmp_path: Path) -> None:
    repo = big_history(tmp_path / "big")
    db = tmp_path / "db.sqlite"
    result = run_cli("index", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0 and "0 failed" in result.stdout, result.stdout + result.stderr

    markdown = diff(repo, db, "main~1", "main", "--format", "markdown")
    assert len(markdown.encode()) < GITHUB_LIMIT
    assert "166 modified" in markdown and "331 impacted" in markdown
    assert "Too large for one comment" in markdown and "left out of the list" in markdown
    body = markdown.split("```mermaid", 1)[1].split("```", 1)[0]
    assert 0 < len(_ARROW.findall(body)) < MERMAID_EDGE_LIMIT
    assert "impacted node" in body  # impacted nodes collapsed into counts
    assert "are not drawn" in markdown  # and the comment says what the picture leaves out
    mermaid = diff(repo, db, "main~1", "main", "--format", "mermaid")
    assert 0 < len(_ARROW.findall(mermaid)) < MERMAID_EDGE_LIMIT
    assert len(mermaid) < 50_000  # Mermaid's default maxTextSize
