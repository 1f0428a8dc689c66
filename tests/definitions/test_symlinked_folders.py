"""A folder symlinked into the package (`burr/examples -> ../examples`) is not walked a second
time: each DAG is found once, under its real path; a symlinked module file still resolves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lineage_history.definitions.discovery import Discoverer
from lineage_history.repo.git import GitRepo
from tests.fixtures import Repo

FUNCTIONS = "def base(seed: int) -> int:\n    return seed + 1\n"
DRIVER = """
from hamilton import driver
import functions

dr = driver.Builder().with_modules(functions).build()
"""


@pytest.mark.slow
def test_a_symlinked_folder_is_walked_once(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "burrish")
    repo.write({"examples/hello/functions.py": FUNCTIONS, "examples/hello/run.py": DRIVER})
    (repo.path / "package").mkdir()
    os.symlink("../examples", repo.path / "package" / "examples")
    first = repo.commit("examples, linked into the package")
    repo.write(
        {
            "examples/hello/functions.py": FUNCTIONS
            + "\n\ndef more(base: int) -> int:\n    return base\n"
        }
    )
    second = repo.commit("more")

    listed = repo.cli("dags", "--format", "json")
    assert [d["name"] for d in listed] == ["examples/hello/run"]
    repo.index()
    assert repo.cli("dags", "--format", "json")[0]["status"] == "ok"
    assert set(repo.nodes("HEAD")) == {"base", "seed", "more"}  # one DAG: no --dag needed

    git_repo = GitRepo(repo.path)  # one Discoverer over both commits, as `index` keeps it
    discoverer = Discoverer()
    for sha in (first, second):
        assert list(discoverer.definitions(git_repo.commit_tree(sha))) == ["examples/hello/run"]


@pytest.mark.slow
def test_a_symlinked_module_file_still_resolves(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "linked")
    repo.write({"shared/functions.py": FUNCTIONS, "flows/run.py": DRIVER})
    os.symlink("../shared/functions.py", repo.path / "flows" / "functions.py")
    repo.commit("a module linked beside its driver")
    listed = repo.cli("dags", "--format", "json")
    assert [(d["name"], d["modules"]) for d in listed] == [("flows/run", ["flows/functions.py"])]
    repo.index()
    assert set(repo.nodes("HEAD")) == {"base", "seed"}
