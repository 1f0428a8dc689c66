"""Test repositories built from file maps, and Hamilton run on a real checkout of a commit
(what a test's expectations are compared with)."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from io import BytesIO
from pathlib import Path
from typing import Any

from tests.conftest import git, run_cli


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
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", rev],
        capture_output=True,
        check=True,
    ).stdout
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
