"""Drivers in Jupyter notebooks are discovered as in scripts: code cells in order, magics left
out, the notebook's folder as the script's; the DAG is named after the notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage_history.definitions.notebooks import notebook_source
from tests.fixtures import Repo, dependencies, hamilton_on_checkout

FUNCTIONS = """
def base(seed: int) -> int:
    return seed + 1


def doubled(base: int) -> int:
    return base * 2
"""
NOTEBOOK = "tutorials/intro.ipynb"
OTHER = "def tripled(seed: int) -> int:\n    return seed * 3\n"


def notebook(*cells: tuple[str, str]) -> str:
    """A notebook's JSON with cells of (type, source); sources stored as lists of lines."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
                | ({"outputs": [], "execution_count": None} if kind == "code" else {})
                for kind, source in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


TUTORIAL = notebook(
    ("markdown", "# Intro\nBuild a DAG."),
    (
        "code",
        "%load_ext autoreload\n%autoreload 2\n!pip install apache-hamilton\n"
        "import functions\nimport other",
    ),
    ("code", "%%bash\necho this is no Python"),
    (
        "code",
        "from hamilton import driver\n\nif True:\n    %time x = 1\n"
        "dr = driver.Builder().with_modules(functions).with_config({'seed': 1}).build()",
    ),
    ("code", "dr.display_all_functions()\nfunctions?"),
    ("code", "dr2 = driver.Driver({}, other)"),
)


def test_the_code_cells_of_a_notebook_without_magics() -> None:
    source, origins = notebook_source(TUTORIAL.encode())
    assert origins[source.splitlines().index("import functions")] == (2, 4)
    assert "echo" not in source and "%" not in source and "!pip" not in source
    assert "import functions" in source and "driver.Driver({}, other)" in source
    assert "functions?" not in source  # a cell that does not parse is left out, alone


@pytest.mark.slow
def test_a_notebook_driver_is_a_dag_named_after_the_notebook(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "tutorials")
    sha = repo.commit(
        "a tutorial",
        {
            "tutorials/intro.ipynb": TUTORIAL,
            "tutorials/functions.py": FUNCTIONS,
            "tutorials/other.py": OTHER,
            "tutorials/.ipynb_checkpoints/intro-checkpoint.ipynb": TUTORIAL,
        },
    )
    listed = repo.cli("dags", "--format", "json")
    assert [(d["name"], d["modules"], d["config"], d["source"]) for d in listed] == [
        (
            "tutorials/intro",
            ["tutorials/functions.py"],
            {"seed": 1},
            "tutorials/intro.ipynb:cell 4, line 5",
        ),
        ("tutorials/intro#2", ["tutorials/other.py"], {}, "tutorials/intro.ipynb:cell 6, line 1"),
    ]
    repo.index()
    real = hamilton_on_checkout(repo.path, sha, ["functions"], ["tutorials"], {"seed": 1})
    assert dependencies(repo.nodes("HEAD", "tutorials/intro")) == real
    assert set(repo.nodes("HEAD", "tutorials/intro#2")) == {"tripled", "seed"}


CELL_MODULE = """
from hamilton.function_modifiers import config


def spend(seed: int) -> int:
    return seed * 10


@config.when(region="eu")
def tax__eu(spend: int) -> float:
    return spend * 0.2
"""
WRITING = notebook(
    ("code", "%load_ext hamilton.plugins.jupyter_magic\nfrom hamilton import driver"),
    ("code", "%%writefile spend_funcs.py\n" + CELL_MODULE),
    ("code", "%aimport spend_funcs\ndr = driver.Builder().with_modules(spend_funcs).build()"),
    ("code", "settings = {'region': 'eu'}"),
    ("code", "%%cell_to_module taxes -c settings --display\n" + CELL_MODULE),
)


@pytest.mark.slow
def test_modules_written_by_notebook_cells_are_built(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "written")
    repo.commit("a notebook that writes its modules", {"lab/explore.ipynb": WRITING})
    listed = repo.cli("dags", "--format", "json")
    assert [(d["name"], d["modules"], d["config"], d["source"]) for d in listed] == [
        ("lab/explore", ["lab/spend_funcs.py"], {}, "lab/explore.ipynb:cell 3, line 2"),
        ("lab/explore#2", ["lab/taxes.py"], {"region": "eu"}, "lab/explore.ipynb:cell 5, line 1"),
    ]
    repo.index()
    assert repo.cli("dags", "--format", "json")[1]["status"] == "ok"

    # What Hamilton builds from the cells' text written as files, as the notebook does.
    truth = Repo(tmp_path / "truth")
    sha = truth.commit("as files", {"spend_funcs.py": CELL_MODULE, "taxes.py": CELL_MODULE})
    plain = hamilton_on_checkout(truth.path, sha, ["spend_funcs"], [""])
    assert dependencies(repo.nodes("HEAD", "lab/explore")) == plain
    eu = hamilton_on_checkout(truth.path, sha, ["taxes"], [""], {"region": "eu"})
    assert dependencies(repo.nodes("HEAD", "lab/explore#2")) == eu
    assert repo.nodes("HEAD", "lab/explore#2")["tax"]["tags"]["module"] == "taxes"

    # Editing the cell is a change of the DAG at that commit.
    edited = WRITING.replace("seed * 10", "seed * 10 + bonus")
    repo.commit(
        "a bonus", {"lab/explore.ipynb": edited.replace("seed: int", "seed: int, bonus: int")}
    )
    repo.index()
    diff = repo.diff("HEAD~1", "HEAD", "lab/explore")
    assert [node["name"] for node in diff["nodes"]["added"]] == ["bonus"]
