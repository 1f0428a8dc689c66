"""The typer command line: help for every command, `--version`, one-line usage errors, and
shell completion (scripts for bash, zsh and fish; revisions, DAG names and node names
completed from the lineage database)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lineage_history import __version__
from lineage_history.cli import app
from tests.fixtures import IndexedDemo, run_cli, run_process

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_every_command_is_on_the_typer_app() -> None:
    assert COMMANDS == [
        "blame", "check", "dags", "demo", "diff", "downstream", "export", "index", "init", "log",
        "path", "report", "serve", "show", "status", "upstream", "viz", "worker",
    ]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_typer_help_without_docstring_indentation(command: str) -> None:
    code, out, _ = invoke(command, "--help")
    assert code == 0
    assert out.startswith(f"Usage: lineage-history {command} [OPTIONS]")
    description = out.split("\n\n")[1]
    assert description.startswith("  ") and not description.startswith("   ")
    assert all(not line.startswith("      ") for line in description.splitlines())


def test_the_app_lists_each_command_with_its_whole_summary() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    listed = out.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == [
        "index", "status", "demo", "log", "show", "upstream", "downstream", "path", "blame",
        "viz", "diff", "check", "export", "dags", "init", "serve", "report", "worker",
    ]  # fmt: skip
    assert not any(line.endswith("...") for line in listed)


def test_no_arguments_prints_the_help() -> None:
    code, out, _ = invoke()
    assert code == 0 and "Commands:" in out


def test_version() -> None:
    assert invoke("--version") == (0, f"lineage-history {__version__}\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "--bogus"], "No such option: --bogus"),
        (["index", "--jobs", "0"], "0 is not in the range x>=1"),
        (["show", "--format", "yaml"], "'yaml' is not one of 'table', 'json'"),
        (["viz", "main"], "Missing option '--output'"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(args: list[str], message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and err.endswith("(see --help)\n")


def test_jobs_default_comes_from_the_environment() -> None:
    result = CliRunner().invoke(app, ["index"], env={"LINEAGE_HISTORY_JOBS": "0"})
    assert result.exit_code == 2 and "0 is not in the range x>=1" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_for_each_shell(shell: str) -> None:
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "lineage_history", "--show-completion", shell],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "_LINEAGE_HISTORY_COMPLETE" in result.stdout


def _complete(demo: IndexedDemo, words: str, *, cwd: Path) -> list[str]:
    """What bash would offer for the last word of `words`, through the completion protocol."""
    env = {
        **os.environ,
        "_LINEAGE_HISTORY_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
        "LINEAGE_HISTORY_DB": str(demo.db),
    }
    result = subprocess.run(
        [sys.executable, "-m", "lineage_history"], capture_output=True, text=True, env=env, cwd=cwd
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_revisions_dags_and_nodes_complete_from_the_database(indexed_demo: IndexedDemo) -> None:
    repo = indexed_demo.repo
    assert "demo/sex-pii" in _complete(indexed_demo, "lineage-history show demo/sex", cwd=repo)
    assert _complete(indexed_demo, "lineage-history show --dag ti", cwd=repo) == ["titanic"]
    assert _complete(indexed_demo, "lineage-history upstream fit_", cwd=repo) == [
        "fit_random_forest"
    ]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_install_completion_in_a_fresh_bash(indexed_demo: IndexedDemo, tmp_path: Path) -> None:
    """`--install-completion` from bash writes the script and sources it from ~/.bashrc; a new
    interactive bash then completes commands and node names."""
    executable = Path(sys.executable).parent / "lineage-history"
    env = {
        "HOME": str(tmp_path),
        "PATH": f"{executable.parent}{os.pathsep}{os.environ['PATH']}",
        "LINEAGE_HISTORY_DB": str(indexed_demo.db),
    }
    install = subprocess.run(
        # typer finds the shell among the command's ancestors; the trailing `exit` keeps bash
        # one of them (a lone command would replace bash by exec).
        ["bash", "-c", "lineage-history --install-completion; exit $?"],
        capture_output=True,
        text=True,
        env=env,
        cwd=indexed_demo.repo,
    )
    assert install.returncode == 0, install.stderr
    assert "bash completion installed" in install.stdout
    assert "lineage-history.sh" in (tmp_path / ".bashrc").read_text()
    probe = (
        "COMP_WORDS=(lineage-history st); COMP_CWORD=1; "
        '_lineage_history_completion lineage-history; echo "${COMPREPLY[*]}"; '
        "COMP_WORDS=(lineage-history downstream se); COMP_CWORD=2; "
        '_lineage_history_completion lineage-history; echo "${COMPREPLY[*]}"'
    )
    fresh = subprocess.run(
        ["bash", "-i", "-c", probe], capture_output=True, text=True, env=env, cwd=indexed_demo.repo
    )
    assert fresh.stdout.splitlines()[-2:] == ["status", "sex sex_category sex_encoder"]


@pytest.mark.parametrize(
    "args",
    [
        ["show", "main", "--format", "json"],
        ["diff", "demo/v1", "main"],
        ["log", "family_count"],
        ["status"],
        ["diff", "no-such-revision", "main"],
        ["index", "--jobs", "0"],
        ["show", "main", "--bogus"],
    ],
    ids=" ".join,
)
def test_in_process_runs_answer_as_the_console_script_does(
    indexed_demo: IndexedDemo, args: list[str]
) -> None:
    """Most tests run the app in process (`run_cli`); here it is checked against the console
    entry point in a child process: the same status, output and error line."""
    where = ["--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db)]
    in_process, child = run_cli(*args, *where), run_process(*args, *where)
    assert (in_process.returncode, in_process.stdout) == (child.returncode, child.stdout)
    assert in_process.stderr == child.stderr
