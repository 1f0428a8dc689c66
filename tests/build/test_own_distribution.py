"""A package that reads its own version (`importlib.metadata.version`, `importlib_metadata`,
`pkg_resources`) builds at every commit, with that commit's declared version, and never an
installed copy's. Real repositories, real builds, a real virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_installed_copy import QUICK_INSTALL
from tests.fixtures import Repo, count

TOML = """
[dags.main]
modules = ["verpkg/pipeline.py"]

[dags.plain]
modules = ["plain/pipeline.py"]
"""

PLAIN = """
def answer(question: str) -> int:
    return 42
"""

INIT = """
import importlib.metadata

import pkg_resources

__version__ = importlib.metadata.version(__package__ or __name__)
RESOURCES_VERSION = pkg_resources.get_distribution("verpkg").version
"""

PIPELINE = """
from hamilton.function_modifiers import tag

from verpkg import RESOURCES_VERSION, __version__


@tag(version=__version__, resources_version=RESOURCES_VERSION)
def answer(question: str) -> int:
    return 42
"""

PYPROJECT = """
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "verpkg"
version = "{version}"

[tool.setuptools]
packages = ["verpkg"]
"""

DYNAMIC = """
[project]
name = "verpkg"
dynamic = ["version"]

[tool.setuptools_scm]
"""

SETUP_CFG = """
[metadata]
name = verpkg
version = 3.1.0
"""

SETUP_PY = """
from setuptools import setup

setup(name="verpkg", version="4.0.0", packages=["verpkg"])
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[str, str]]:
    repo = Repo(tmp_path_factory.mktemp("own-dist") / "verpkg")
    shas = {}
    shas["static"] = repo.commit(
        "static version",
        {
            "lineage-history.toml": TOML,
            "pyproject.toml": PYPROJECT.format(version="2.5.0"),
            "verpkg/__init__.py": INIT,
            "verpkg/pipeline.py": PIPELINE,
            "plain/pipeline.py": PLAIN,
        },
    )
    shas["bumped"] = repo.commit("bump", {"pyproject.toml": PYPROJECT.format(version="2.6.0")})
    shas["dynamic"] = repo.commit("setuptools-scm", {"pyproject.toml": DYNAMIC})
    shas["setup_cfg"] = repo.commit("setup.cfg", {"pyproject.toml": None, "setup.cfg": SETUP_CFG})
    shas["setup_py"] = repo.commit("setup.py", {"setup.cfg": None, "setup.py": SETUP_PY})
    return repo, shas


def _at(repo: Repo, db: Path) -> tuple[str, ...]:
    return ("--repo", str(repo.path), "--db", str(db))


def _tags(python: str, repo: Repo, db: Path, sha: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    shown = subprocess.run(
        [
            python,
            "-m",
            "lineage_history",
            "show",
            sha,
            "--dag",
            "main",
            "--format",
            "json",
            *_at(repo, db),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    nodes = {node["name"]: node for node in json.loads(shown.stdout)["nodes"]}
    return {k: v for k, v in nodes["answer"]["tags"].items() if "version" in k}


def _index(python: str, repo: Repo, db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    indexed = subprocess.run(
        [python, "-m", "lineage_history", "index", "--jobs", "1", *_at(repo, db)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert indexed.returncode == 0, indexed.stderr
    assert "failed" not in indexed.stdout.replace("0 failed", ""), indexed.stdout


EXPECTED = {
    "static": "2.5.0",
    "bumped": "2.6.0",
    "dynamic": "0+unknown",
    "setup_cfg": "3.1.0",
    "setup_py": "4.0.0",
}


@pytest.mark.slow
def test_each_commit_reads_its_own_declared_version(project, tmp_path: Path) -> None:
    repo, shas = project
    db = tmp_path / "lineage.sqlite"
    _index(sys.executable, repo, db)
    for label, version in EXPECTED.items():
        assert _tags(sys.executable, repo, db, shas[label]) == {
            "version": version,
            "resources_version": version,
        }, label


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment that sees this environment's packages, so a copy of the
    project can be installed into it alone."""
    root = tmp_path_factory.mktemp("venv") / "env"
    # Without a pip of its own: pip and setuptools come from the test environment too.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site_packages = next((root / "lib").glob("python*/site-packages"))
    ours = sysconfig.get_paths()["purelib"]
    (site_packages / "zz_test_env.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    yield python


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True])
def test_an_installed_copy_of_the_same_distribution_does_not_win(
    editable: bool, project, venv: Path, tmp_path: Path
) -> None:
    repo, shas = project
    copy = tmp_path / "installed"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(copy)], check=True)
    (copy / "pyproject.toml").write_text(PYPROJECT.format(version="9.9.9"))
    (copy / "setup.py").unlink()
    install = [str(venv), "-m", "pip", "-q", "--disable-pip-version-check", "install"]
    done = subprocess.run(
        [*install, *QUICK_INSTALL, *(["-e"] if editable else []), str(copy)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    try:
        seen = subprocess.run(
            [str(venv), "-c", "import importlib.metadata as m; print(m.version('verpkg'))"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert seen.stdout.strip() == "9.9.9"
        db = tmp_path / "lineage.sqlite"
        _index(str(venv), repo, db)
        for label, version in EXPECTED.items():
            tags = _tags(str(venv), repo, db, shas[label])
            assert tags == {"version": version, "resources_version": version}, label
    finally:
        subprocess.run([str(venv), "-m", "pip", "uninstall", "-q", "-y", "verpkg"], check=True)


def test_a_version_bump_rebuilds_only_what_can_read_it(project, tmp_path: Path) -> None:
    repo, _ = project
    db = tmp_path / "lineage.sqlite"
    _index(sys.executable, repo, db)
    builds = "SELECT count(DISTINCT build_id) FROM commit_dags WHERE dag = '{}'"
    assert count(db, builds.format("main")) == len(EXPECTED)
    assert count(db, builds.format("plain")) == 1  # nothing in its closure reads metadata
