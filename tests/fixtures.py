"""Test helpers every test file imports from (pytest fixtures live in `conftest.py`): the real
command line in a child process, git with a fixed author and date, test repositories built
from file maps, Hamilton run on a real checkout, and database and process probes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import traceback
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("LINEAGE_HISTORY_TEST_PG")
ROOT = Path(__file__).resolve().parents[1]  # the repository: scripts/, pipelines/, docs/

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2024-03-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-03-01T12:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliResult:
    """Run the real command line, the typer app and its `LineageGroup.main`, in this process
    (typer's `CliRunner`), in `cwd` and with `env` added to the environment. Builds still run
    in real build servers. A test of what only a process has (signals, a closed pipe, the
    console script) uses `run_process`."""
    from typer.testing import CliRunner

    from lineage_history.cli import app

    added: dict[str, str | None] = {"LINEAGE_HISTORY_DB": None, **(env or {})}
    with contextlib.chdir(cwd or Path.cwd()), _as_a_process() as printed:
        result = CliRunner().invoke(app, list(args), env=added, prog_name="lineage-history")
    stderr = result.stderr + "".join(printed)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))  # as Python prints it
    return CliResult(result.exit_code, result.stdout, stderr)


@contextlib.contextmanager
def _as_a_process() -> Iterator[list[str]]:
    """What differs in this process from a child one with piped output: the warnings Python
    would print on stderr (under its default filters) are collected, and the terminal's size
    is unknown (`shutil.get_terminal_size` falls back as it does on a pipe)."""
    real_stdout = sys.__stdout__
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
            warnings.simplefilter("ignore", category)
        warnings.simplefilter("ignore", ResourceWarning)
        printed: list[str] = []
        sys.__stdout__ = None  # type: ignore[misc]
        try:
            yield printed
        finally:
            sys.__stdout__ = real_stdout  # type: ignore[misc]
        printed += [
            warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line)
            for w in caught
        ]


def run_process(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> CliResult:
    """Run the real console entry point in a child process."""
    full_env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "lineage_history", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def start_index(
    repo: Path, db: Path | str, *extra: str, prefix: tuple[str, ...] = ()
) -> subprocess.Popen[str]:
    """Start a real `index --jobs 1` in the background (for concurrency and signal tests)."""
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    return subprocess.Popen(
        [
            *prefix,
            sys.executable,
            "-m",
            "lineage_history",
            "index",
            "--repo",
            str(repo),
            "--db",
            str(db),
            "--jobs",
            "1",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _git_process(repo: Path, args: tuple[str, ...], text: bool) -> subprocess.CompletedProcess[Any]:
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    proc = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=text,
    )
    if proc.returncode != 0:
        stderr = proc.stderr if text else proc.stderr.decode(errors="replace")
        raise AssertionError(f"git {' '.join(args)} failed: {stderr}")
    return proc


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed author and date, so SHAs are reproducible."""
    return _git_process(repo, args, text=True).stdout.strip()


def git_bytes(repo: Path, *args: str) -> bytes:
    """`git`, for output that is not text (an archive)."""
    return _git_process(repo, args, text=False).stdout


@dataclass
class IndexedDemo:
    repo: Path
    db: Path
    shas: dict[str, str]  # story tag -> commit SHA


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    """Write files and commit everything; the new commit's SHA."""
    for path, content in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def commit_file(repo: Path, path: str, content: str, message: str) -> str:
    """Write one file and commit everything; the new commit's SHA."""
    return commit_files(repo, {path: content}, message)


PYPROJECT = '[tool.lineage-history.dags.main]\nmodules = ["pipe/m.py"]\n'


def slow_module(seconds: float, variant: int) -> str:
    """A module whose import sleeps; each variant is a new DAG (its docstring is part of it:
    a variant only in a function body would be refreshed without a build)."""
    return (
        f"import time\ntime.sleep({seconds})\n\n\ndef a(x: int) -> int:\n"
        f'    """Variant {variant}."""\n'
        f"    return x + {variant}\n\n\ndef b(a: int) -> int:\n    return a\n"
    )


def make_repo(root: Path, sleeps: list[float]) -> tuple[Path, list[str]]:
    """A repository whose module sleeps at import, one commit per entry of `sleeps`."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    shas = [commit_file(repo, "pyproject.toml", PYPROJECT, "config")]
    for variant, seconds in enumerate(sleeps):
        shas.append(commit_file(repo, "pipe/m.py", slow_module(seconds, variant), f"v{variant}"))
    return repo, shas


def count(db: Path, sql: str) -> int:
    """A count from the database; 0 while the schema is still being created."""
    try:
        with sqlite3.connect(db) as connection:
            return connection.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


class Repo:
    """A real git repository a test writes and commits to, file map by file map."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main")
        self.db = path.parent / f"{path.name}.sqlite"

    def write(self, files: dict[str, str | None]) -> None:
        """Write (dedented) files; None deletes one."""
        for relative, content in files.items():
            target = self.path / relative
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(content).lstrip("\n"))

    def commit(self, message: str, files: dict[str, str | None] | None = None) -> str:
        self.write(files or {})
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD")

    def cli(self, *args: str, ok: bool = True) -> Any:
        """Run a command against this repository and database; JSON output parsed."""
        result = run_cli(*args, "--repo", str(self.path), "--db", str(self.db))
        if ok:
            assert result.returncode == 0, result.stderr
        if "--format" in args and "json" in args and result.stdout.strip():
            return json.loads(result.stdout)
        return result

    def index(self, *extra: str) -> Any:
        return self.cli("index", "--jobs", "1", *extra)

    def diff(self, base: str, head: str, dag: str | None = None) -> dict[str, Any]:
        extra = ("--dag", dag) if dag else ()
        return self.cli("diff", base, head, "--format", "json", *extra)

    def nodes(self, rev: str, dag: str | None = None) -> dict[str, dict[str, Any]]:
        extra = ("--dag", dag) if dag else ()
        shown = self.cli("show", rev, "--format", "json", *extra)
        return {node["name"]: node for node in shown["nodes"]}


def changed(diff: dict[str, Any]) -> dict[str, list[str]]:
    """`{node: change kinds}` of a diff's modified nodes."""
    return {entry["name"]: entry["changes"] for entry in diff["nodes"]["modified"]}


def impacted(diff: dict[str, Any]) -> list[str]:
    return sorted(entry["name"] for entry in diff["nodes"]["impacted"])


_HAMILTON_PROBE = """
import importlib, json, sys
sys.path[:0] = json.loads(sys.argv[1])
from hamilton import driver
from hamilton.graph_types import HamiltonGraph
modules = [importlib.import_module(name) for name in json.loads(sys.argv[2])]
builder = driver.Builder().with_modules(*modules).with_config(json.loads(sys.argv[3]))
graph = HamiltonGraph.from_graph(builder.build().graph)
print(json.dumps({
    n.name: sorted(set(n.required_dependencies) | set(n.optional_dependencies)) for n in graph.nodes
}))
"""


def hamilton_on_checkout(
    repo: Path,
    rev: str,
    modules: list[str],
    search: list[str],
    config: dict[str, Any] | None = None,
    python: str = sys.executable,
) -> dict[str, list[str]]:
    """`{node: dependencies}` that Hamilton builds from a real checkout of `rev` (git archive),
    importing `modules` by dotted name with `search` (directories of the checkout) first on
    sys.path, in a fresh interpreter."""
    archive = git_bytes(repo, "archive", "--format=tar", rev)
    with tempfile.TemporaryDirectory() as checkout:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(checkout, filter="tar")
        roots = [str(Path(checkout) / entry) for entry in search]
        done = subprocess.run(
            [
                python,
                "-c",
                _HAMILTON_PROBE,
                json.dumps(roots),
                json.dumps(modules),
                json.dumps(config or {}),
            ],
            capture_output=True,
            text=True,
            cwd=checkout,
            env={"HAMILTON_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def dependencies(nodes: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    return {name: node["dependencies"] for name, node in nodes.items()}


def scalar(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


@dataclass
class Zygote:
    """A real build zygote (`lineage_history.build.zygote`) and the lines it printed."""

    process: subprocess.Popen[bytes]
    socket: str
    log: Path

    def forked(self) -> list[int]:
        """The pids of the servers it has forked so far."""
        lines = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [line["forked"] for line in lines if "forked" in line]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


@contextlib.contextmanager
def running_zygote() -> Iterator[Zygote]:
    """A real zygote, ready, in a directory of its own under /tmp (short: a socket path has
    at most 107 bytes); stopped and removed afterwards."""
    from lineage_history.build.pool import build_environment

    home = Path(tempfile.mkdtemp(prefix="lh-zygote-"))
    log = home / "zygote.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "lineage_history.build.zygote", str(home / "socket")],
            env=build_environment(),
            cwd=home,
            stdout=output,
        )
    zygote = Zygote(process, str(home / "socket"), log)
    try:
        wait_for(lambda: process.poll() is not None or log.read_text().startswith('{"ready"'))
        assert process.poll() is None, "the zygote did not start"
        yield zygote
    finally:
        zygote.stop()
        shutil.rmtree(home, ignore_errors=True)


def big_module(variant: int) -> str:
    """500 nodes, about 1,000 edges; `variant` changes the code and tags of every third
    function, and so impacts the others downstream."""
    lines = ["from hamilton.function_modifiers import tag\n"]
    lines.append("def n0(x: int) -> int:\n    return x\n")
    for i in range(1, 500):
        deps = sorted({f"n{i - 1}", f"n{i // 2}"})
        params = ", ".join(f"{d}: int" for d in deps)
        bump = variant if i % 3 == 0 else 0
        lines.append(
            f"@tag(owner='{'team-' * 8}{bump}')\n"
            f"def n{i}({params}) -> int:\n    return {' + '.join(deps)} + {bump}\n"
        )
    return "\n\n".join(lines)


def big_history(repo: Path) -> Path:
    """A repository of two commits of one DAG `d` of 500 nodes (`big_module`), the second
    changing every third node."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, "pyproject.toml", '[tool.lineage-history.dags.d]\nmodules = ["m.py"]\n', "c")
    commit_file(repo, "m.py", big_module(1), "first")
    commit_file(repo, "m.py", big_module(2), "everything changes")
    return repo


def build_processes_in(work: Path) -> list[int]:
    """Live processes whose working directory is inside a build area (servers, children)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(Path(os.readlink(proc / "cwd"))).startswith(str(work)):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@contextlib.contextmanager
def fresh_pg_schema(prefix: str) -> Iterator[str]:
    """A URL of the test PostgreSQL server whose connections use a new, empty schema, dropped
    afterwards."""
    assert PG_URL
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def execute_sql(url: str, *statements: str) -> None:
    """Run statements on a database in one transaction."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()
