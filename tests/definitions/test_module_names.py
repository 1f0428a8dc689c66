"""The `module` tag of a discovered DAG's nodes is the name its driver imports the module by
(what Hamilton records when the driver runs), not a dotted name walked up `__init__.py` files
that no import can produce; defined DAGs walk up only through importable folder names."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import pytest

from lineage_history.definitions.imports import import_root
from lineage_history.repo.git import GitRepo
from tests.fixtures import Repo, git_bytes

FOLDER = "examples/multi-agent-collaboration/hamilton"
AGENT = """
from hamilton.function_modifiers import tag


@tag(owner="research")
def question(topic: str) -> str:
    return f"what about {topic}?"


def answer(question: str) -> str:
    return question.upper()
"""
APPLICATION = """
import func_agent
from hamilton import driver

dr = driver.Builder().with_modules(func_agent).build()
"""

# The driver as `python application.py` runs it from its folder: that folder first on
# sys.path, the module imported by the name the driver writes.
_DRIVER_PROBE = """
import json, sys
sys.path.insert(0, ".")
import func_agent
from hamilton import driver
from hamilton.graph_types import HamiltonGraph
graph = HamiltonGraph.from_graph(driver.Builder().with_modules(func_agent).build().graph)
print(json.dumps({n.name: n.tags.get("module") for n in graph.nodes}))
"""


def hamilton_module_tags(repo: Path, rev: str, folder: str) -> dict[str, str]:
    """`{node: module tag}` that Hamilton records running the driver in `folder` of a real
    checkout of `rev`."""
    archive = git_bytes(repo, "archive", "--format=tar", rev)
    with tempfile.TemporaryDirectory() as checkout:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(checkout, filter="tar")
        done = subprocess.run(
            [sys.executable, "-c", _DRIVER_PROBE],
            capture_output=True,
            text=True,
            cwd=Path(checkout) / folder,
            env={"HAMILTON_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.mark.slow
def test_module_tag_is_the_drivers_import_name_and_survives_new_init_files(
    tmp_path: Path,
) -> None:
    repo = Repo(tmp_path / "agents")
    repo.commit(
        "an example",
        {f"{FOLDER}/func_agent.py": AGENT, f"{FOLDER}/application.py": APPLICATION},
    )
    # Packages appear around the example, as in burr's history: nothing about it changes.
    repo.commit(
        "examples become packages",
        {
            "examples/__init__.py": "",
            "examples/multi-agent-collaboration/__init__.py": "",
            f"{FOLDER}/__init__.py": "",
        },
    )
    repo.index()
    dag = f"{FOLDER}/application"
    shown = repo.nodes("HEAD", dag)
    real = hamilton_module_tags(repo.path, "HEAD", FOLDER)
    assert {name: node["tags"].get("module") for name, node in shown.items()} == real
    assert real == {"question": "func_agent", "answer": "func_agent", "topic": None}
    diff = repo.diff("HEAD~1", "HEAD", dag)
    assert diff["nodes"]["modified"] == [] and diff["nodes"]["added"] == []


def test_defined_modules_walk_up_only_through_importable_folders(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "defined")
    sha = repo.commit(
        "packages",
        {
            "examples/__init__.py": "",
            "examples/multi-agent-collaboration/__init__.py": "",
            "examples/multi-agent-collaboration/agents/__init__.py": "",
            "examples/multi-agent-collaboration/agents/func_agent.py": AGENT,
            "shop/__init__.py": "",
            "shop/orders.py": "def orders() -> int:\n    return 1\n",
        },
    )
    tree = GitRepo(repo.path).commit_tree(sha)
    agent = "examples/multi-agent-collaboration/agents/func_agent.py"
    assert import_root(tree, agent) == ("examples/multi-agent-collaboration", "agents.func_agent")
    assert import_root(tree, "shop/orders.py") == ("", "shop.orders")
