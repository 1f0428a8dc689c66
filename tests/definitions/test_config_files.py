"""A driver that reads its Hamilton config from a JSON, YAML or TOML file of the repository is
built with that file's values at each commit (its `@config.when` branches kept), and a change
to the file is a config change of the commit that made it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lineage_history.definitions.discovery import Discoverer
from lineage_history.definitions.driver_calls import driver_calls
from lineage_history.definitions.static_paths import ConfigFile
from lineage_history.repo.git import GitRepo
from tests.fixtures import Repo, changed, dependencies, hamilton_on_checkout

FUNCTIONS = """
from hamilton.function_modifiers import config


@config.when(mode="fast")
def speed__fast() -> int:
    return 10


@config.when(mode="slow")
def speed__slow(patience: int) -> int:
    return patience


def report(speed: int) -> str:
    return str(speed)
"""
JSON_DRIVER = """
import json
import os

from hamilton import driver
import functions

with open(os.path.join(os.path.dirname(__file__), "config.json")) as handle:
    config = json.load(handle)

dr = driver.Builder().with_modules(functions).with_config(config).build()
"""


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('json.load(open("config.json"))', ConfigFile("config.json", "cwd", "json")),
        (
            'json.loads(Path(__file__).parent.joinpath("conf", "c.json").read_text())',
            ConfigFile("conf/c.json", "script", "json"),
        ),
        (
            'yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "c.yaml")))',
            ConfigFile("c.yaml", "script", "yaml"),
        ),
        (
            'tomllib.load(open(Path(__file__).resolve().parent / "c.toml", "rb"))',
            ConfigFile("c.toml", "script", "toml"),
        ),
        ('yaml.safe_load(Path("conf") / "c.yaml")', ConfigFile("conf/c.yaml", "cwd", "yaml")),
    ],
)
def test_static_config_file_paths(code: str, expected: ConfigFile) -> None:
    source = f"""
import json, os, tomllib, yaml
from pathlib import Path
from hamilton import driver
import functions

loaded = {code}
dr = driver.Builder().with_modules(functions).with_config(loaded).build()
"""
    (call,) = driver_calls(source)
    assert call.config_files == (expected,)


def test_a_path_that_is_not_static_is_no_config_file() -> None:
    source = """
import json, sys
from hamilton import driver
import functions

dr = driver.Driver(json.load(open(sys.argv[1])), functions)
"""
    (call,) = driver_calls(source)
    assert call.config_files == () and not call.config_literal


@pytest.mark.slow
def test_a_json_config_file_shapes_the_dag_and_its_changes_are_config_changes(
    tmp_path: Path,
) -> None:
    repo = Repo(tmp_path / "configured")
    files = {
        "flows/functions.py": FUNCTIONS,
        "flows/run.py": JSON_DRIVER,
        "flows/config.json": '{"mode": "fast"}',
    }
    fast = repo.commit("fast", files)
    slow = repo.commit("slow", {"flows/config.json": '{"mode": "slow"}'})
    repo.commit("unrelated", {"README.md": "hello"})

    (listed,) = repo.cli("dags", "HEAD~1", "--format", "json")
    assert (listed["config"], listed["config_literal"]) == ({"mode": "slow"}, True)
    repo.index()
    dag = "flows/run"
    for sha, mode in ((fast, "fast"), (slow, "slow")):
        real = hamilton_on_checkout(repo.path, sha, ["functions"], ["flows"], {"mode": mode})
        assert dependencies(repo.nodes(sha, dag)) == real
    assert repo.nodes(fast)["speed"]["role"] == "function"

    diff = repo.diff(fast, slow)
    assert diff["config"]["changed"] == ["mode"]
    assert [node["name"] for node in diff["nodes"]["added"]] == ["patience"]
    assert "speed" in changed(diff)
    unchanged = repo.diff(slow, "HEAD")
    assert unchanged["config"]["changed"] == [] and unchanged["nodes"]["modified"] == []

    # One Discoverer over the history (as `index` keeps it): the file's change is seen.
    git_repo, discoverer = GitRepo(repo.path), Discoverer()
    seen = [discoverer.definitions(git_repo.commit_tree(s))[dag].config for s in (fast, slow)]
    assert seen == [{"mode": "fast"}, {"mode": "slow"}]


def test_toml_and_yaml_config_files(tmp_path: Path) -> None:
    toml_driver = (
        JSON_DRIVER.replace("import json", "import tomllib")
        .replace(
            'open(os.path.join(os.path.dirname(__file__), "config.json"))',
            'open("settings.toml", "rb")',
        )
        .replace("json.load", "tomllib.load")
    )
    yaml_driver = (
        "import yaml\nfrom hamilton import driver\nimport functions\n\n"
        'dr = driver.Driver(yaml.safe_load(open("config.yaml")), functions)\n'
    )
    repo = Repo(tmp_path / "formats")
    repo.commit(
        "two drivers",
        {
            "flows/functions.py": FUNCTIONS,
            "flows/toml_run.py": toml_driver,
            "settings.toml": 'mode = "slow"\n',  # at the repository root: run from there
            "flows/yaml_run.py": yaml_driver,
            "flows/config.yaml": "mode: fast\n",
        },
    )
    listed = {d["name"]: d for d in repo.cli("dags", "--format", "json")}
    assert listed["flows/toml_run"]["config"] == {"mode": "slow"}
    yaml_dag = listed["flows/yaml_run"]
    if importlib.util.find_spec("yaml") is not None:
        assert yaml_dag["config"] == {"mode": "fast"} and "notes" not in yaml_dag
    else:
        assert yaml_dag["config"] == {} and not yaml_dag["config_literal"]
        assert yaml_dag["notes"] == [
            "config file flows/config.yaml is YAML and PyYAML is not installed where the index "
            "runs: built without it"
        ]
        result = repo.cli("dags")
        assert "PyYAML is not installed" in result.stderr


def test_a_helper_that_loads_the_config_file_named_by_a_command_line_default() -> None:
    source = """
import json
import os

import click
from hamilton import driver
import functions

BASE = os.path.join(os.path.dirname(__file__), "config")


def _load_config(name):
    if name is None:
        return {}
    with open(os.path.join(BASE, name + ".json")) as handle:
        return json.load(handle)


@click.command()
@click.option("--config", required=False, default="config")
def run(config: str = None):
    loaded = _load_config(config)
    dr = driver.Builder().with_config(loaded).with_modules(functions).build()


def load_settings():
    return json.load(open("settings.json"))


dr = driver.Driver(load_settings(), functions)
"""
    first, second = driver_calls(source)
    assert first.config_files == (ConfigFile("config/config.json", "script", "json"),)
    assert second.config_files == (ConfigFile("settings.json", "cwd", "json"),)
