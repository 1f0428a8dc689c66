"""Stand-ins where Python demands a real type: exception classes (`except yaml.YAMLError:`,
subclassed, raised), bases with metaclasses, `isinstance`/`issubclass`, context managers,
decorators, unpacking, enums and dataclasses. Real repositories, real builds, real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import commit_files, git, run_cli

IDIOMS = '''"""Module-level code that uses libraries the indexer lacks the way applications do."""
import abc
import dataclasses
import enum
import typing

import pydantic
import tenacity
import yaml
from flask import Flask


def _parse(text: str) -> int:
    try:
        return int(text)  # raises ValueError: the handlers are evaluated in order
    except yaml.YAMLError:
        return -1
    except (KeyError, ValueError):
        return 0


def _read_config(path: str) -> list:
    try:
        with open(path) as handle:
            return list(yaml.safe_load_all(handle))
    except FileNotFoundError:
        return []
    except yaml.YAMLError:
        return [None]


PARSED = _parse("not a number")
CONFIG = _read_config(pydantic.Field(default="config.yaml"))  # a stand-in value as a path


class ConfigError(yaml.YAMLError):
    """The application's own error, derived from a stand-in exception class."""


try:
    raise ConfigError("bad config")
except (KeyError, yaml.YAMLError) as exc:
    CAUGHT = str(exc)

try:
    raise yaml.MarkedYAMLError("raised")
except yaml.YAMLError:
    CAUGHT_BASE = False
except yaml.MarkedYAMLError:
    CAUGHT_BASE = True


class Settings(pydantic.BaseModel):
    model: str = "small"


class Abstract(pydantic.BaseModel, abc.ABC):
    @abc.abstractmethod
    def run(self) -> int: ...


class WithMeta(pydantic.BaseModel, metaclass=abc.ABCMeta):
    pass


class Mode(str, pydantic.Choice):  # str cannot share an exception's layout
    FAST = "fast"


class Color(pydantic.Thing, enum.Enum):
    RED = 1
    BLUE = 2


T = typing.TypeVar("T")


class Box(pydantic.BaseModel, typing.Generic[T]):
    item: T


class Reader(pydantic.Readable, typing.Protocol):
    def read(self) -> str: ...


@dataclasses.dataclass
class Row:
    settings: Settings
    extra: pydantic.Json = pydantic.Field(default=1)


CHECKS = (
    isinstance(1, pydantic.BaseModel),
    isinstance(1, (str, pydantic.BaseModel)),
    issubclass(int, pydantic.BaseModel),
    isinstance(1, pydantic.create_model("x")),
    isinstance(Settings(), pydantic.BaseModel),
)

app = Flask(__name__)
with app.app_context():
    first, second = yaml.safe_load_all("a: 1")
    head, *rest, last = pydantic.parse("x")
with pydantic.ValidationError:
    pass
for _item in yaml.safe_load_all(""):
    raise AssertionError("iterating a stand-in value yields nothing")
COLORS = [color.name for color in Color]


@app.route("/settings")
def settings() -> Settings:
    """Decorated with a stand-in's method called with arguments."""
    return Settings()


@tenacity.retry
def box(settings: Settings) -> Box[Settings]:
    return Box(item=settings)


@tenacity.retry(stop=tenacity.stop_after_attempt(3))
def color(box: Box[Settings]) -> Color:
    return Color.RED


def row(settings: Settings, color: Color) -> Row:
    return Row(settings)


def mode(row: Row) -> Mode:
    return Mode.FAST


if (PARSED, CONFIG, CAUGHT, CAUGHT_BASE) == (0, [], "bad config", True):

    def module_code_ran_as_written(mode: Mode) -> bool:
        return True


if CHECKS == (False, False, False, False, True) and COLORS == ["RED", "BLUE"]:

    def checks_answered_false(mode: Mode) -> bool:
        return True
'''

PANDAS_IDIOMS = """import pandas as pd
from pandas import errors


class EmptyInput(errors.EmptyDataError):
    pass


def _read(text: str) -> int:
    try:
        raise EmptyInput("nothing")
    except (KeyError, errors.ParserError):
        return -1
    except pd.errors.EmptyDataError:
        return 1


READ = _read("")


def raw(path: str) -> pd.DataFrame:
    return pd.DataFrame()


if READ == 1 and not isinstance(1, pd.DataFrame):

    def rows(raw: pd.DataFrame) -> int:
        return len(raw)
"""

TOML = """
[dags.idioms]
modules = ["app/idioms.py"]
# Stand-ins whether or not the indexer's environment has these (PyYAML comes with the
# OpenLineage client, for one).
stub = ["flask", "pydantic", "tenacity", "yaml"]

[dags.pandas_real]
modules = ["app/pandas_idioms.py"]

[dags.pandas_stubbed]
modules = ["app/pandas_idioms.py"]
stub = ["pandas"]
"""


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    repo = tmp_path_factory.mktemp("standin-types") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    files = {
        "lineage-history.toml": TOML,
        "app/idioms.py": IDIOMS,
        "app/pandas_idioms.py": PANDAS_IDIOMS,
    }
    commit_files(repo, files, "idioms")
    db = repo.parent / "db.sqlite"
    result = run_cli("index", "--repo", str(repo), "--db", str(db), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    return repo, db


def show(indexed: tuple[Path, Path], dag: str) -> dict[str, Any]:
    repo, db = indexed
    result = run_cli(
        "show", "HEAD", "--dag", dag, "--format", "json", "--repo", str(repo), "--db", str(db)
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_stand_ins_act_as_exceptions_bases_decorators_and_values(indexed) -> None:
    data = show(indexed, "idioms")
    assert data["stubbed"] == ["flask", "pydantic", "tenacity", "yaml"]
    nodes = {node["name"]: node for node in data["nodes"]}
    assert "module_code_ran_as_written" in nodes  # except clauses with stand-ins, as written
    assert "checks_answered_false" in nodes  # isinstance/issubclass with stand-ins
    assert nodes["settings"]["type"] == "idioms.Settings"
    assert nodes["box"]["type"] == "idioms.Box[idioms.Settings]"
    assert nodes["color"]["dependencies"] == ["box"]
    assert nodes["color"]["type"] == "idioms.Color"
    assert nodes["row"]["dependencies"] == ["color", "settings"]
    assert nodes["mode"]["type"] == "idioms.Mode"


def test_a_stubbed_library_exception_builds_as_the_real_one(indexed) -> None:
    real, stubbed = show(indexed, "pandas_real"), show(indexed, "pandas_stubbed")
    assert real["stubbed"] == [] and stubbed["stubbed"] == ["pandas"]
    assert {n["name"] for n in real["nodes"]} == {"path", "raw", "rows"}
    assert real["nodes"] == stubbed["nodes"]
