"""`@extract_columns` on a stand-in dataframe types its columns as Hamilton's own plugin for
that library registers them (`geopandas.GeoDataFrame` -> `geopandas.GeoSeries`), and as
`unknown` where no plugin says: never an invented class. The static table is held against
the installed Hamilton's plugin source and, for installed libraries, its real registry."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from lineage_history.build.child import type_text
from lineage_history.build.standins.column_types import NO_COLUMN_TYPE, PLUGIN_COLUMN_TYPES
from lineage_history.dag.diff import types_agree
from lineage_history.dag.model import UNKNOWN_TYPE
from tests.fixtures import Repo, git_bytes

GEO = """
import geopandas as gpd
from hamilton.function_modifiers import extract_columns


@extract_columns("geometry", "height")
def buildings(path: str) -> gpd.GeoDataFrame:
    return gpd.read_file(path)


def footprint(geometry: gpd.GeoSeries, height: gpd.GeoSeries) -> float:
    return 1.0
"""

MODULE = """
import dask.dataframe as dd
import polars as pl
from frames_lib import Frame
from hamilton.function_modifiers import extract_columns


@extract_columns("amount")
def ledger(path: str) -> dd.DataFrame:
    return dd.read_csv(path)


@extract_columns("speed")
def lazy(path: str) -> pl.LazyFrame:
    return pl.scan_csv(path)


@extract_columns("x")
def custom(path: str) -> Frame:
    return Frame()


def doubled(x: int) -> int:
    return x * 2
"""

TOML = """
[dags.columns]
modules = ["pipe/geo.py", "pipe/columns.py"]
"""


def _plugin_declarations() -> dict[str, tuple[str, str | None]]:
    """{plugin file: (DATAFRAME_TYPE, COLUMN_TYPE)} as the installed Hamilton's plugin
    source writes them, import aliases resolved (`gpd.GeoDataFrame` -> geopandas...)."""
    spec = importlib.util.find_spec("hamilton.plugins")
    assert spec is not None and spec.submodule_search_locations
    found = {}
    for path in sorted(Path(spec.submodule_search_locations[0]).glob("*_extensions.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        values: dict[str, str | None] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = getattr(node.targets[0], "id", None)
                if target in ("DATAFRAME_TYPE", "COLUMN_TYPE") and target not in values:
                    text = ast.unparse(node.value)
                    head, _, rest = text.partition(".")
                    values[target] = None if text == "None" else f"{aliases.get(head, head)}.{rest}"
        if values.get("DATAFRAME_TYPE"):
            found[path.name] = (values["DATAFRAME_TYPE"], values.get("COLUMN_TYPE"))
    return found


def test_the_table_covers_every_plugin_and_names_its_column_class() -> None:
    declarations = _plugin_declarations()
    assert "geopandas_extensions.py" in declarations and "pandas_extensions.py" in declarations
    for plugin, (frame, column) in declarations.items():
        if column is None:
            assert frame in NO_COLUMN_TYPE, plugin
            continue
        assert frame in PLUGIN_COLUMN_TYPES, plugin
        recorded = PLUGIN_COLUMN_TYPES[frame]
        module, _, name = recorded.rpartition(".")
        source_module, _, source_name = column.rpartition(".")
        # the same class, named by the source's path or a shorter public one
        assert name == source_name and source_module.startswith(module), plugin


def test_the_table_agrees_with_the_real_registry_where_the_library_is_installed() -> None:
    from hamilton import registry

    checked = 0
    for frame_text, column_text in PLUGIN_COLUMN_TYPES.items():
        module, _, name = frame_text.rpartition(".")
        try:
            frame = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue  # the library is not installed here
        registry.load_extension(frame_text.split(".")[0])
        assert type_text(registry.get_column_type_from_df_type(frame)) == column_text
        checked += 1
    assert checked >= 1  # pandas is installed with lineage-history


def test_unknown_is_never_a_type_change() -> None:
    assert types_agree(UNKNOWN_TYPE, "geopandas.GeoSeries")
    assert types_agree("pandas.Series", UNKNOWN_TYPE)
    assert not types_agree("pandas.Series", "polars.Series")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict]:
    repo = Repo(tmp_path_factory.mktemp("columns") / "repo")
    repo.commit(
        "columns", {"lineage-history.toml": TOML, "pipe/geo.py": GEO, "pipe/columns.py": MODULE}
    )
    repo.cli("index", "--jobs", "1")
    data = repo.cli("show", "HEAD", "--dag", "columns", "--format", "json")
    return repo, {node["name"]: node for node in data["nodes"]}


def test_columns_of_stand_in_dataframes_are_typed_as_the_plugins_say(built) -> None:
    _, nodes = built
    assert nodes["geometry"]["type"] == nodes["height"]["type"] == "geopandas.GeoSeries"
    assert nodes["amount"]["type"] == "dask.dataframe.Series"
    assert nodes["speed"]["type"] == "polars.Expr"
    assert nodes["x"]["type"] == UNKNOWN_TYPE  # no plugin knows `frames_lib.Frame`
    assert nodes["doubled"]["dependencies"] == ["x"]
    assert nodes["footprint"]["dependencies"] == ["geometry", "height"]


# A Python with geopandas and Hamilton installed (a scratch virtual environment): the same
# commit built by real Hamilton there gives the same names, edges and column types.
REAL_PYTHON = os.environ.get("LINEAGE_HISTORY_TEST_GEOPANDAS_PYTHON")
REAL_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from hamilton import driver
import pipe.geo
graph = driver.Builder().with_modules(pipe.geo).build().graph
def text(t):
    for depth in range(1, len(t.__module__.split("."))):
        prefix = ".".join(t.__module__.split(".")[:depth])
        if getattr(sys.modules.get(prefix), t.__name__, None) is t:
            return f"{prefix}.{t.__name__}"
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
nodes = graph.nodes.values()
print(json.dumps({n.name: [text(n.type), sorted(d.name for d in n.dependencies)] for n in nodes}))
"""


@pytest.mark.skipif(not REAL_PYTHON, reason="set LINEAGE_HISTORY_TEST_GEOPANDAS_PYTHON")
def test_geopandas_columns_match_real_hamilton_with_geopandas(built, tmp_path: Path) -> None:
    repo, nodes = built
    import tarfile
    from io import BytesIO

    with tarfile.open(fileobj=BytesIO(git_bytes(repo.path, "archive", "HEAD"))) as tar:
        tar.extractall(tmp_path, filter="tar")
    done = subprocess.run(
        [str(REAL_PYTHON), "-c", REAL_PROBE, str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    real = json.loads(done.stdout)
    assert set(real) == {"path", "buildings", "geometry", "height", "footprint"}
    for name, (real_type, real_dependencies) in real.items():
        assert nodes[name]["type"] == real_type, name
        assert nodes[name]["dependencies"] == real_dependencies, name
