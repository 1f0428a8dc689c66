"""Smaller things a new user met: config values in `log`, a closed pipe, colours on dumb
terminals, wide (CJK) names in tables, singular counts, `:/message` revisions."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lineage_history._text import display_width
from tests.fixtures import commit_file, git, run_cli

CONFIG = '[tool.lineage-history.dags.d]\nmodules = ["m.py"]\nconfig = {{ mode = "{}" }}\n'


def module(variant: int, padding: int = 0) -> str:
    tags = "".join(
        f"@tag(owner='solo', note={'n' * 1000!r})\ndef wide_{i}(x: int) -> int:\n    return x\n\n\n"
        for i in range(padding)
    )
    return (
        "from hamilton.function_modifiers import tag\n\n\n"
        f"{tags}"
        f"def 年龄(x: int) -> int:\n    return x + {variant}\n\n\n"
        "@tag(owner='solo')\n"
        f"def ageabc(年龄: int, mode: str) -> int:\n    return 年龄 + {variant}\n"
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """first (mode a) -> code change -> mode b -> mode c -> 120 nodes with long tags."""
    repo = tmp_path_factory.mktemp("small") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, "pyproject.toml", CONFIG.format("a"), "config")
    commit_file(repo, "m.py", module(0), "first")
    commit_file(repo, "m.py", module(1), "second")
    commit_file(repo, "pyproject.toml", CONFIG.format("b"), "mode b")
    commit_file(repo, "pyproject.toml", CONFIG.format("c"), "mode c")
    commit_file(repo, "m.py", module(1, padding=120), "many nodes")
    db = repo.parent / "db.sqlite"
    result = run_cli("index", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0 and "0 failed" in result.stdout, result.stdout + result.stderr
    return repo, db


def cli(repo: tuple[Path, Path], *args: str) -> str:
    result = run_cli(*args, "--repo", str(repo[0]), "--db", str(repo[1]))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_log_of_a_config_key_shows_each_value_change(repo: tuple[Path, Path]) -> None:
    entries = json.loads(cli(repo, "log", "mode", "--format", "json"))
    assert [(e["subject"], e["change"]) for e in entries] == [
        ("mode c", ["value"]),
        ("mode b", ["value"]),
        ("first", "added"),
    ]
    assert "value 'b' -> 'c'" in cli(repo, "log", "mode")


def closed_pipe(repo: tuple[Path, Path], *args: str) -> tuple[int, str]:
    """Run a command whose reader has gone away (`| head -1` once head has exited): the read
    end is closed before the command writes anything, so its first write meets EPIPE."""
    command = [sys.executable, "-m", "lineage_history", *args]
    command += ["--repo", str(repo[0]), "--db", str(repo[1])]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return proc.wait(timeout=60), err


@pytest.mark.parametrize(
    "args",
    [["show", "main"], ["diff", "main~1", "main", "--exit-code"], ["path", "x", "ageabc"]],
    ids=["show", "diff-exit-code", "path"],
)
def test_a_closed_pipe_ends_quietly_and_not_as_found(
    repo: tuple[Path, Path], args: list[str]
) -> None:
    status, err = closed_pipe(repo, *args)
    assert status == 141 and err == ""  # 128 + SIGPIPE, as `git log | head -1`; never 1


def on_terminal(repo: tuple[Path, Path], env: dict[str, str], *args: str) -> str:
    """Run with stdout on a real pseudo-terminal; what it wrote."""
    main, child = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    command = [sys.executable, "-m", "lineage_history", *args]
    command += ["--repo", str(repo[0]), "--db", str(repo[1])]
    proc = subprocess.Popen(command, stdout=child, stderr=subprocess.PIPE, env={**full_env, **env})
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode()


def test_colours_only_where_the_terminal_takes_them(repo: tuple[Path, Path]) -> None:
    args = ("diff", "main~4", "main~3")
    assert "\x1b[" in on_terminal(repo, {"TERM": "xterm-256color"}, *args)
    assert "\x1b[" not in on_terminal(repo, {"TERM": "dumb"}, *args)
    assert "\x1b[" not in on_terminal(repo, {"TERM": "xterm-256color", "NO_COLOR": "1"}, *args)


def test_wide_names_align_in_tables(repo: tuple[Path, Path]) -> None:
    lines = cli(repo, "show", "main~1").splitlines()[1:]
    starts = {
        display_width(line[: re.search(r"function|input|ROLE", line).start()]) for line in lines
    }
    assert len(lines) == 5 and len(starts) == 1, lines
    diff_lines = cli(repo, "diff", "main~4", "main~3").splitlines()
    rows = [line for line in diff_lines if line.startswith(("~ ", "! "))]
    ends = {display_width(line[: line.index("code")]) for line in rows}
    assert len(rows) == 2 and len(ends) == 1, rows


def test_one_is_singular(repo: tuple[Path, Path]) -> None:
    header = cli(repo, "show", "main~1", "--tag", "owner=solo").splitlines()[0]
    assert "1 node" in header and "1 nodes" not in header
    assert "1 node" in cli(repo, "upstream", "年龄", "--at", "main~1").splitlines()[0]


def test_message_revisions(repo: tuple[Path, Path]) -> None:
    out = cli(repo, "diff", ":/first", ":/second")
    assert "ageabc" in out
    entries = json.loads(cli(repo, "log", "ageabc", ":/mode b", "--format", "json"))
    assert [e["subject"] for e in entries] == ["second", "first"]
