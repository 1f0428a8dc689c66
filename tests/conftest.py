"""Shared pytest fixtures: a real demo repository, indexed once per session into a real SQLite
file, and empty databases (SQLite, and PostgreSQL when LINEAGE_HISTORY_TEST_PG is set). The
helpers tests call live in `tests/fixtures.py`."""

from __future__ import annotations

import compileall
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage_history.build.forked import ZYGOTE_VARIABLE
from lineage_history.demo.builder import build_demo_repo
from tests.fixtures import (
    PG_URL,
    ROOT,
    IndexedDemo,
    Zygote,
    fresh_pg_schema,
    run_cli,
    running_zygote,
)

# pytest-xdist runs the tests in parallel, so each `index` a test starts builds one DAG at a
# time unless the test asks for more with `--jobs`: a second build server per run would
# import Hamilton again only to compete for the same cores.
os.environ.setdefault("LINEAGE_HISTORY_JOBS", "1")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` is one worker more than the cores: part of the suite waits rather than
    computes (on build timeouts, brokers, browsers, concurrent indexers), and a third worker
    on two cores fills that time (153 s against 172 s for the whole suite)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist's own hook reads it
    return len(os.sched_getaffinity(0)) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules first, each module's tests in their own order: pytest-xdist hands
    out whole modules in this order, and a long one handed out last keeps the run going after
    the other workers have finished. End-to-end modules (whole benchmark runs, installs) are
    the longest; then the more slow tests a module has, the longer it takes."""

    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::")[0]

    slow = Counter(module(item) for item in items if item.get_closest_marker("slow"))
    items.sort(key=lambda item: (not module(item).startswith("tests/e2e/"), -slow[module(item)]))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the package once: the tests start hundreds of `lineage-history` processes, and
    where PYTHONDONTWRITEBYTECODE is set (as on CI machines) each would compile it again."""
    compileall.compile_dir(ROOT / "lineage_history", quiet=1)


@pytest.fixture(scope="session", autouse=True)
def build_zygote() -> Iterator[Zygote]:
    """One build zygote per test process: the hundreds of `index` runs the tests start fork
    their build servers from it, instead of each importing Hamilton again (`build.zygote`)."""
    with running_zygote() as zygote:
        os.environ[ZYGOTE_VARIABLE] = zygote.socket
        yield zygote
        os.environ.pop(ZYGOTE_VARIABLE, None)


@pytest.fixture(params=["forked", "spawned"])
def server_origin(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Build servers forked from the session's zygote, or started by the indexer itself."""
    if request.param == "spawned":
        monkeypatch.delenv(ZYGOTE_VARIABLE)
    return request.param


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The demo repository, built once; copy it before changing it."""
    repo = tmp_path_factory.mktemp("demo-source") / "titanic"
    return repo, build_demo_repo(repo)


@pytest.fixture(scope="session")
def indexed_demo(
    demo_source: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> IndexedDemo:
    """The demo repository indexed with `--all` into its own SQLite file. Read-only for tests."""
    source, shas = demo_source
    repo = tmp_path_factory.mktemp("indexed") / "titanic"
    shutil.copytree(source, repo, symlinks=True)
    db = repo.parent / "lineage.sqlite"
    result = run_cli("index", "--all", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return IndexedDemo(repo, db, shas)


@pytest.fixture
def fresh_demo(demo_source: tuple[Path, dict[str, str]], tmp_path: Path) -> IndexedDemo:
    """A private copy of the (unindexed) demo repository that a test may change."""
    source, shas = demo_source
    repo = tmp_path / "titanic"
    shutil.copytree(source, repo, symlinks=True)
    return IndexedDemo(repo, tmp_path / "lineage.sqlite", shas)


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="needs LINEAGE_HISTORY_TEST_PG"),
    ),
]


@pytest.fixture(params=BACKENDS)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, once per backend: a new SQLite file, and a new schema on
    the PostgreSQL server when LINEAGE_HISTORY_TEST_PG is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite'}"
        return
    assert PG_URL
    with fresh_pg_schema("lh_foreign") as url:
        yield url


@pytest.fixture
def pg_db() -> Iterator[str]:
    """A URL whose connections use a fresh schema of their own."""
    assert PG_URL
    with fresh_pg_schema("lh_test") as url:
        yield url
