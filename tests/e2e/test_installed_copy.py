"""The user's own project installed in the indexing environment (a `.pth` entry, a PEP 660
editable finder, a regular install) never leaks into a historical build: each commit's
packages come from that commit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures import Repo, hamilton_on_checkout

PYPROJECT = """
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "myproj"
version = "0.1"

[tool.setuptools]
packages = ["myproj"]

[tool.lineage-history.dags.main]
modules = ["myproj/pipeline.py"]
"""

# The pipeline grows a node where its optional helper module exists: at v1 it does not, in
# the working tree (and so in every installed copy) it does.
PIPELINE = """
try:
    from myproj.extra import factor
except ImportError:
    factor = None


def a(x: int) -> int:
    return x


if factor is not None:

    def b(a: int) -> int:
        return a * factor()
"""

FACTOR = "def factor() -> int:\n    return 3\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, str]:
    """A project whose first commit has one node and whose working tree (HEAD) has two."""
    repo = Repo(tmp_path_factory.mktemp("installed") / "myproj")
    files = {"pyproject.toml": PYPROJECT, "myproj/__init__.py": "", "myproj/pipeline.py": PIPELINE}
    v1 = repo.commit("one node", files)
    repo.commit("the optional helper", {"myproj/extra.py": FACTOR})
    return repo, v1


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment that sees this test environment's packages (Hamilton,
    lineage-history) through `site.addsitedir`, so the user's project can be installed
    into it without touching the test environment."""
    root = tmp_path_factory.mktemp("venv") / "env"
    # Without a pip of its own: pip and setuptools come from the test environment too.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    ours = sysconfig.get_paths()["purelib"]
    (site_packages / "zz_test_env.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    yield python


# The project's build backend (setuptools) comes from the test environment, not a download
# into an isolated build environment per install.
QUICK_INSTALL = ("--no-deps", "--no-build-isolation")


def _site_packages(python: Path) -> Path:
    return next((python.parent.parent / "lib").glob("python*/site-packages"))


def _pip(python: Path, *args: str) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", "-q", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def _install(kind: str, python: Path, repo: Path) -> None:
    if kind == "pth":
        (_site_packages(python) / "myproj_dev.pth").write_text(f"{repo}\n")
    elif kind == "editable":
        _pip(python, "install", *QUICK_INSTALL, "-e", str(repo))
        finders = list(_site_packages(python).glob("__editable___myproj*finder.py"))
        assert finders, "setuptools did not install a PEP 660 editable finder"
    else:
        _pip(python, "install", *QUICK_INSTALL, str(repo))


def _uninstall(kind: str, python: Path) -> None:
    if kind == "pth":
        (_site_packages(python) / "myproj_dev.pth").unlink()
    else:
        _pip(python, "uninstall", "-y", "myproj")


def _cli(python: Path, repo: Repo, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    return subprocess.run(
        [str(python), "-m", "lineage_history", *args, "--repo", str(repo.path), "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pth", "editable", "regular"])
def test_installed_project_does_not_leak_into_history(
    kind: str, project: tuple[Repo, str], venv: Path, tmp_path: Path
) -> None:
    repo, v1 = project
    _install(kind, venv, repo.path)
    try:
        leaked = subprocess.run(
            [str(venv), "-c", "import myproj.pipeline as p; print(hasattr(p, 'b'))"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert leaked.stdout.strip() == "True", "the installed copy is not importable"
        db = tmp_path / "lineage.sqlite"
        indexed = _cli(venv, repo, db, "index", "--jobs", "1")
        assert indexed.returncode == 0, indexed.stderr
        shown = _cli(venv, repo, db, "show", v1, "--format", "json")
        assert shown.returncode == 0, shown.stderr
        names = sorted(node["name"] for node in json.loads(shown.stdout)["nodes"])
        expected = hamilton_on_checkout(repo.path, v1, ["myproj.pipeline"], [""])
        assert names == sorted(expected) == ["a", "x"]
    finally:
        _uninstall(kind, venv)
