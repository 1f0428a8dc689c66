"""A build that fails for the indexer's Python, not the code's: a SyntaxError under a commit
that declares newer Python versions, or on syntax a newer grammar accepts, is recorded with
that reason and how to index with a matching interpreter. Real repositories and builds."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lineage_history.build.interpreter import syntax_error_hint
from tests.fixtures import Repo, run_cli

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="the indexer's own Python accepts this syntax"
)

TOML = """
[dags.typed]
modules = ["pkg/typed.py"]

[dags.fstrings]
modules = ["pkg/fstrings.py"]

[dags.broken]
modules = ["pkg/broken.py"]
"""

TYPED = """
from pkg.aliases import Number


def total(x: Number) -> Number:
    return x
"""

ALIASES = """
type Number = int | float
"""

FSTRINGS = """
SETTINGS = {"name": "demo"}
TITLE = f"{SETTINGS["name"]}"


def title() -> str:
    return TITLE
"""

BROKEN = """
def total(x: int -> int:
    return x
"""

PYPROJECT = """
[project]
name = "pkg"
version = "1.0"
requires-python = ">=3.12"
"""

RUNNING = platform.python_version()
ADVICE = (
    "index with a matching interpreter, e.g. python3.12 -m pip install lineage-history"
    " && python3.12 -m lineage_history index"
)


def _failure(repo: Repo, dag: str) -> str:
    result = run_cli("show", "HEAD", "--dag", dag, "--repo", str(repo.path), "--db", str(repo.db))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    return result.stderr.strip()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = Repo(tmp_path_factory.mktemp("interpreter") / "repo")
    files = {
        "lineage-history.toml": TOML,
        "pkg/__init__.py": "",
        "pkg/typed.py": TYPED,
        "pkg/aliases.py": ALIASES,
        "pkg/fstrings.py": FSTRINGS,
        "pkg/broken.py": BROKEN,
    }
    repo.commit("no declared Python", files)
    result = run_cli("index", "--jobs", "1", "--repo", str(repo.path), "--db", str(repo.db))
    assert result.returncode == 0, result.stderr
    return repo


def test_newer_syntax_is_named_without_a_declared_python(indexed: Repo) -> None:
    assert _failure(indexed, "typed").endswith(
        "(pkg/typed.py, line 1): a `type` statement (PEP 695) needs Python 3.12 or newer, "
        f"the indexer runs {RUNNING}: {ADVICE}"
    )
    assert _failure(indexed, "fstrings").endswith(
        ": an f-string reusing its quotes inside `{...}` (PEP 701) needs Python 3.12 or "
        f"newer, the indexer runs {RUNNING}: {ADVICE}"
    )


def test_a_plain_syntax_error_gets_no_interpreter_hint(indexed: Repo) -> None:
    failure = _failure(indexed, "broken")
    assert "SyntaxError" in failure and "indexer runs" not in failure


@pytest.mark.slow
def test_a_declared_requires_python_that_excludes_the_indexer_is_named(
    indexed: Repo, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "declared")
    shutil.copytree(indexed.path, repo.path, dirs_exist_ok=True)
    repo.commit("declares Python 3.12", {"pyproject.toml": PYPROJECT})
    result = run_cli("index", "--jobs", "1", "--repo", str(repo.path), "--db", str(repo.db))
    assert result.returncode == 0, result.stderr
    expected = (
        f": this commit requires Python >=3.12 (pyproject.toml), the indexer runs {RUNNING}:"
        f" {ADVICE}"
    )
    assert _failure(repo, "typed").endswith(expected)
    assert _failure(repo, "broken").endswith(expected)  # the declaration says it all


def _python312() -> str | None:
    """A working Python 3.12 on this machine (on PATH, or one pyenv installed), or None."""
    candidates = [
        shutil.which("python3.12"),
        *map(str, Path.home().glob(".pyenv/versions/3.12*/bin/python3.12")),
    ]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "print(1)"], capture_output=True, text=True)
        if probe.returncode == 0:
            return candidate
    return None


def test_python_312_accepts_what_the_hint_calls_newer_syntax(indexed: Repo) -> None:
    python = _python312()
    if python is None:
        pytest.skip("needs a Python 3.12")
    for path in ("pkg/aliases.py", "pkg/fstrings.py"):
        source = (indexed.path / path).read_text()
        compiled = subprocess.run(
            [python, "-c", "import sys; compile(sys.stdin.read(), 'm', 'exec')"],
            input=source,
            capture_output=True,
            text=True,
        )
        assert compiled.returncode == 0, compiled.stderr


@pytest.mark.parametrize(
    ("declared", "suggested"),
    [(">=3.12", "python3.12"), ("==3.13.11", "python3.13"), (">=3.8,<3.11", "python3.10")],
)
def test_the_suggested_interpreter_is_the_nearest_the_commit_admits(
    declared: str, suggested: str
) -> None:
    try:
        compile("def f(:\n    pass\n", "m.py", "exec")
    except SyntaxError as exc:
        error = exc
    projects = [{"requires_python": declared, "requires_python_in": "pyproject.toml"}]
    hint = syntax_error_hint(error, projects)
    assert hint.startswith(f": this commit requires Python {declared} (pyproject.toml)")
    assert hint.endswith(f"{suggested} -m lineage_history index")
