"""Discovery on real repositories through the real CLI: DAGs found in driver code, modules
resolved through the script's imports (package, relative, `src/`), `dags`, `init`, indexing a
repository that has no config, and the parse cache."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from lineage_history.definitions import toml_files as config
from lineage_history.definitions.discovery import Discoverer
from lineage_history.definitions.sources import with_discovered
from lineage_history.repo.git import GitRepo
from lineage_history.store.database import open_engine
from lineage_history.store.writer import Store
from tests.fixtures import PG_URL, Repo, run_cli, scalar

FUNCTIONS = """
def base(seed: int) -> int:
    return seed + 1


def doubled(base: int) -> int:
    return base * 2
"""

# Every shape of driver script, laid out the way real repositories are.
DRIVER_REPO = {
    # A script beside its module, a literal config.
    "examples/hello/my_functions.py": FUNCTIONS,
    "examples/hello/run.py": """
        from hamilton import driver
        import my_functions

        if __name__ == "__main__":
            dr = driver.Builder().with_modules(my_functions).with_config({"seed": 1}).build()
            print(dr.execute(["doubled"]))
        """,
    # A driver inside a package, modules by relative and absolute package imports.
    "shop/__init__.py": "",
    "shop/pipeline/__init__.py": "",
    "shop/pipeline/orders.py": """
        def orders(seed: int) -> list:
            return [seed]
        """,
    "shop/pipeline/totals.py": """
        def total(orders: list) -> int:
            return sum(orders)
        """,
    "shop/pipeline/run.py": """
        import os
        from hamilton import driver as d
        from . import orders
        from shop.pipeline import totals

        def main():
            config = {"region": os.environ.get("REGION", "eu")}
            return d.Driver(config, orders, totals)
        """,
    # A src/ layout: the module comes from src/, the script lives in scripts/.
    "src/features/__init__.py": "",
    "src/features/columns.py": """
        def width(size: int) -> int:
            return size * 3
        """,
    "scripts/build_features.py": """
        import importlib
        from hamilton.driver import Builder

        modules = [importlib.import_module("features.columns")]
        CONFIG = dict(size=2)
        dr = Builder().with_modules(*modules).with_config(CONFIG).build()
        """,
    # One file, two module sets: the second DAG is `#2`.
    "flows/both.py": """
        from hamilton import driver
        import steps

        small = driver.Builder().with_modules(steps).with_config({"mode": "small"}).build()
        large = driver.Builder().with_modules(steps).with_config({"mode": "large"}).build()
        again = driver.Builder().with_modules(steps).with_config({"mode": "small"}).build()
        """,
    "flows/steps.py": """
        def mode_name(mode: str) -> str:
            return mode.upper()
        """,
    # What discovery must ignore: tests, third-party modules, unresolvable module lists.
    "tests/test_flows.py": """
        from hamilton import driver
        from flows import steps

        def test_it():
            assert driver.Driver({}, steps)
        """,
    "tools/other.py": """
        import json
        from hamilton import driver

        dr = driver.Driver({}, json)
        dr2 = driver.Builder().with_modules(*load_plugins()).build()
        """,
    "README.md": "driver.Builder().with_modules(x).build() in prose\n",
}

EXPECTED = [
    {
        "name": "examples/hello/run",
        "modules": ["examples/hello/my_functions.py"],
        "config": {"seed": 1},
        "config_literal": True,
        "source": "examples/hello/run.py:5",
        "stubbed": [],
    },
    {
        "name": "flows/both",
        "modules": ["flows/steps.py"],
        "config": {"mode": "small"},
        "config_literal": True,
        "source": "flows/both.py:4",
        "stubbed": [],
    },
    {
        "name": "flows/both#2",
        "modules": ["flows/steps.py"],
        "config": {"mode": "large"},
        "config_literal": True,
        "source": "flows/both.py:5",
        "stubbed": [],
    },
    {
        "name": "scripts/build_features",
        "modules": ["src/features/columns.py"],
        "config": {"size": 2},
        "config_literal": True,
        "source": "scripts/build_features.py:6",
        "stubbed": [],
    },
    {
        "name": "shop/pipeline/run",
        "modules": ["shop/pipeline/orders.py", "shop/pipeline/totals.py"],
        "config": {},
        "config_literal": False,
        "source": "shop/pipeline/run.py:8",
        "stubbed": [],
    },
]


def _listed(repo: Repo, *args: str) -> list[dict]:
    return repo.cli("dags", *args, "--format", "json")


def _without_status(listed: list[dict]) -> list[dict]:
    return [{k: v for k, v in entry.items() if k != "status"} for entry in listed]


@pytest.fixture
def driver_repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "drivers")
    repo.commit("driver scripts of every shape", DRIVER_REPO)
    return repo


def test_dags_lists_the_discovered_dags_before_indexing(driver_repo: Repo) -> None:
    listed = _listed(driver_repo)
    assert _without_status(listed) == EXPECTED
    assert {entry["status"] for entry in listed} == {"not indexed"}
    table = driver_repo.cli("dags").stdout
    assert "shop/pipeline/run  [not indexed]" in table
    assert "config:  (not a literal)" in table
    assert "source:  flows/both.py:5" in table


def test_a_repository_without_config_indexes_its_discovered_dags(driver_repo: Repo) -> None:
    driver_repo.index()
    listed = {entry["name"]: entry["status"] for entry in _listed(driver_repo)}
    assert listed == {entry["name"]: "ok" for entry in EXPECTED}
    shown = driver_repo.cli("show", "HEAD", "--dag", "shop/pipeline/run", "--format", "json")
    assert {n["name"] for n in shown["nodes"]} == {"orders", "total", "seed"}
    src = driver_repo.nodes("HEAD", "scripts/build_features")
    assert set(src) == {"width", "size"}
    assert driver_repo.nodes("HEAD", "flows/both#2")["mode"]["role"] == "input"


def test_a_definition_wins_and_discover_true_adds_the_discovered(driver_repo: Repo) -> None:
    own = """
        [dags.hello]
        modules = ["examples/hello/my_functions.py"]
        config = { seed = 5 }
        """
    driver_repo.commit("a definition", {"lineage-history.toml": own})
    listed = _listed(driver_repo)
    assert [(e["name"], e["source"]) for e in listed] == [("hello", "lineage-history.toml")]
    driver_repo.commit("and discovery", {"lineage-history.toml": "discover = true\n" + own})
    names = [entry["name"] for entry in _listed(driver_repo)]
    assert names == [entry["name"] for entry in EXPECTED] + ["hello"]
    first = _listed(driver_repo, "HEAD~2")
    assert _without_status(first) == EXPECTED


def test_init_writes_a_config_that_reads_back_to_the_discovered_dags(driver_repo: Repo) -> None:
    result = run_cli("init", "--repo", str(driver_repo.path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 5 DAGs to {driver_repo.path / 'lineage-history.toml'}"
    text = (driver_repo.path / "lineage-history.toml").read_text()
    written = config.parse_definitions(text, "lineage-history.toml", in_pyproject=False)
    repo = GitRepo(driver_repo.path)
    discovered = Discoverer().definitions(repo.commit_tree(repo.resolve("HEAD")))
    # The file names modules by path; a defined DAG's import names come from `__init__.py`.
    assert written == {n: replace(d, import_names=()) for n, d in discovered.items()}
    assert "# config is not (all) a literal at shop/pipeline/run.py:8" in text

    again = run_cli("init", "--repo", str(driver_repo.path))
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "pass --force" in again.stderr
    forced = run_cli("init", "--force", "--repo", str(driver_repo.path))
    assert forced.returncode == 0, forced.stderr

    driver_repo.commit("curated", {})
    curated = _listed(driver_repo)
    assert {e["source"] for e in curated} == {"lineage-history.toml"}
    assert [(e["name"], e["modules"], e["config"]) for e in curated] == [
        (e["name"], e["modules"], e["config"]) for e in EXPECTED
    ]


def test_init_without_driver_code_is_a_user_error(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "empty")
    repo.commit("no drivers", {"lib.py": "def f():\n    return 1\n"})
    result = run_cli("init", "--repo", str(repo.path))
    assert result.returncode == 2
    assert "no Hamilton driver code found" in result.stderr
    assert not (repo.path / "lineage-history.toml").exists()
    assert repo.cli("dags").stdout.startswith("no DAGs at HEAD")


def test_bad_input_is_one_line_and_status_2(driver_repo: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    assert (
        subprocess.run(
            ["git", "clone", "-q", "--bare", str(driver_repo.path), str(bare)]
        ).returncode
        == 0
    )
    for args in (
        ("dags", "no-such-rev", "--repo", str(driver_repo.path)),
        ("dags", "--repo", str(tmp_path / "nowhere")),
        ("dags", "--config", str(tmp_path / "missing.toml"), "--repo", str(driver_repo.path)),
        ("init", "--repo", str(bare)),
    ):
        result = run_cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, args
    assert len(_listed_at(bare)) == len(EXPECTED)  # a bare clone lists its DAGs


def _listed_at(repo_path: Path) -> list[dict]:
    result = run_cli("dags", "--format", "json", "--repo", str(repo_path))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _cached_rows(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(*) FROM discovered_blobs").fetchone()[0]


@pytest.mark.slow
def test_each_blob_is_parsed_once_across_runs(driver_repo: Repo) -> None:
    driver_repo.index()
    candidates = {  # distinct blobs: the empty `__init__.py` files are one
        content
        for path, content in DRIVER_REPO.items()
        if path.endswith(".py") and not path.startswith("tests/")
    }
    assert _cached_rows(driver_repo.db) == len(candidates)

    repo = GitRepo(driver_repo.path)
    tree = repo.commit_tree(repo.resolve("HEAD"))
    store = Store(open_engine(f"sqlite:///{driver_repo.db}"))
    try:
        warm = Discoverer(store)
        assert len(warm.definitions(tree)) == len(EXPECTED)
        assert warm.parsed == 0  # every blob came from the table
        cold = Discoverer()
        assert cold.definitions(tree) == warm.definitions(tree)
        assert cold.parsed == len(candidates)
    finally:
        store.close()

    # A new commit that changes one script: only that blob is parsed, by the next run.
    driver_repo.commit(
        "another config",
        {"examples/hello/run.py": DRIVER_REPO["examples/hello/run.py"].replace("1}", "2}")},
    )
    driver_repo.index()
    assert _cached_rows(driver_repo.db) == len(candidates) + 1
    diff = driver_repo.diff("HEAD~1", "HEAD", "examples/hello/run")
    assert diff["config"]["changed"] == ["seed"]


@pytest.mark.skipif(not PG_URL, reason="needs LINEAGE_HISTORY_TEST_PG")
def test_discovery_on_postgresql(driver_repo: Repo, pg_db: str) -> None:
    for _ in range(2):  # the second run finds everything indexed and parsed
        result = run_cli("index", "--jobs", "1", "--repo", str(driver_repo.path), "--db", pg_db)
        assert result.returncode == 0, result.stderr
    listed = run_cli("dags", "--format", "json", "--repo", str(driver_repo.path), "--db", pg_db)
    assert listed.returncode == 0, listed.stderr
    assert {e["name"]: e["status"] for e in json.loads(listed.stdout)} == {
        e["name"]: "ok" for e in EXPECTED
    }
    rows = scalar(pg_db, "SELECT count(*) FROM discovered_blobs")
    assert rows == len({c for p, c in DRIVER_REPO.items() if p.endswith(".py")}) - 1  # tests/


def test_discover_true_alone_and_how_definitions_combine() -> None:
    alone = config.parse_definitions(
        "[tool.lineage-history]\ndiscover = true\n", "pyproject.toml", in_pyproject=True
    )
    assert alone == {} and alone is not None and alone.discover
    with pytest.raises(config.ConfigError, match="'discover' must be true or false"):
        config.parse_definitions('discover = "yes"\n', "lineage-history.toml", in_pyproject=False)
    found = {"a": config.DagDefinition("a", ("a.py",)), "b": config.DagDefinition("b", ("x.py",))}
    own = config.parse_definitions(
        '[dags.b]\nmodules = ["b.py"]\n', "lineage-history.toml", in_pyproject=False
    )
    assert own is not None
    assert with_discovered(None, lambda: found) == found
    assert with_discovered(own, lambda: found) == {"b": own["b"]}
    own.discover = True
    assert with_discovered(own, lambda: found) == {"a": found["a"], "b": own["b"]}
    assert own["b"].source == "lineage-history.toml"


@pytest.mark.slow
def test_working_tree_diff_of_a_discovered_dag(driver_repo: Repo) -> None:
    driver_repo.index()
    driver_repo.write({"examples/hello/my_functions.py": FUNCTIONS.replace("base * 2", "base * 3")})
    result = driver_repo.cli("diff", "--dag", "examples/hello/run", "--format", "json")
    assert {e["name"]: e["changes"] for e in result["nodes"]["modified"]} == {"doubled": ["code"]}
