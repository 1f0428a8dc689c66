"""Builds that survive missing dependencies: stand-ins for the commit's own unsatisfied
imports, Hamilton lenient for them, fidelity against exact builds, and `stubbed` through the
store, the queries and the command line. Real git repositories, real Hamilton, real CLI."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lineage_history
from lineage_history.dag.diff import types_agree
from tests.fixtures import PG_URL, ROOT, commit_files, fresh_pg_schema, git, run_cli

PIPELINES = ROOT / "pipelines"
TITANIC_MODULES = [
    "pipelines/data_loading.py",
    "pipelines/features.py",
    "pipelines/sets.py",
    "pipelines/model_pipeline.py",
]

ABSENT = '''"""A pipeline whose libraries are not installed where it is indexed."""
import importlib
import sys

import openai
import pandas as pd
import pandera as pa
import polars as pl
import pydantic
import pyspark.sql.functions as F
from hamilton.data_quality import default_validators
from hamilton.function_modifiers import check_output, extract_columns, load_from, source, tag
from hamilton.plugins import h_spark  # raises at import without pyspark
from pandera import typing as pat

try:
    import polars  # the code's own probe for an optional package: it must fail as written

    HAVE_POLARS = True
except ImportError:
    HAVE_POLARS = False

weaviate = importlib.import_module("weaviate")  # a dynamic import is an import too

try:
    importlib.import_module("anthropic")  # and a guarded one is a probe
    HAVE_ANTHROPIC = True
except ImportError:
    HAVE_ANTHROPIC = False

_known = len(default_validators.AVAILABLE_DEFAULT_VALIDATORS)
default_validators._append_pandera_to_default_validators()  # Hamilton's own pandera probe
HAMILTON_SAW_PANDERA = len(default_validators.AVAILABLE_DEFAULT_VALIDATORS) > _known
STAND_INS_LEAKED = "openai" in sys.modules or "polars" in sys.modules

PRICE = F.col("fare").alias("price") * 2


class Settings(pydantic.BaseModel):
    model: str = "small"


class Schema(pa.DataFrameModel):
    fare: pat.Series[float] = pa.Field(ge=0)


@openai.traceable
def client(api_key: str) -> openai.OpenAI:
    """A client."""
    return openai.OpenAI(api_key=api_key)


@openai.traceable(name="ask")
@tag(owner="llm")
def answer(client: openai.OpenAI, settings: Settings) -> str:
    return client.ask(settings.model)


def second_client(client: openai.OpenAI) -> openai.OpenAI:
    return client


@check_output(schema=Schema, importance="warn")
def fares(answer: str) -> pat.DataFrame[Schema]:
    return answer


def fare_count(fares: pat.DataFrame[Schema]) -> int:
    return len(fares)


def fare_rows(fares: pd.DataFrame) -> int:  # pandera's frames are pandas frames
    return len(fares)


@extract_columns("fare", "age")
def frame(fare_count: int) -> pl.DataFrame:
    return pl.DataFrame()


def total(fare: pl.Series) -> float:
    return fare.sum()


@load_from.xgboost_json(path=source("model_path"), inject_="model")
def booster_size(model: pl.DataFrame, total: float) -> int:
    return 1


@load_from.csv(file=source("lazy_path"))  # polars' reader takes `file`, pandas' `path`
def lazy_rows(lazy: pl.LazyFrame) -> int:
    return 1


@h_spark.with_columns(columns_to_pass=["fare"])
def spark_frame(total: float) -> int:
    return 1


if HAVE_POLARS:

    def only_with_polars() -> int:
        return 1


def store(client: openai.OpenAI) -> weaviate.Client:
    return weaviate.Client()


if HAVE_ANTHROPIC:

    def only_with_anthropic() -> int:
        return 1


if HAMILTON_SAW_PANDERA:

    def only_if_hamilton_saw_pandera() -> int:
        return 1


if STAND_INS_LEAKED:

    def only_if_stand_ins_leaked() -> int:
        return 1
'''

MISSING_NAME = """from sklearn.preprocessing import CategoricalEncoder, LabelEncoder


def encoder() -> CategoricalEncoder:
    return CategoricalEncoder()


def labels(encoder: CategoricalEncoder) -> LabelEncoder:
    return LabelEncoder()
"""

BROKEN = """from absent import no_such_name  # the commit's own mistake: never stood in for


def x() -> int:
    return no_such_name
"""

QUALITY = '''import pandas as pd
from hamilton.function_modifiers import (
    check_output,
    extract_columns,
    load_from,
    save_to,
    source,
    tag,
    value,
)
from sklearn import preprocessing
from sklearn.linear_model import LogisticRegression


@load_from.csv(path=source("raw_path"))
def raw(df: pd.DataFrame) -> pd.DataFrame:
    return df


@extract_columns("age", "fare")
@tag(owner="data")
def cleaned(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.dropna()


@check_output(range=(0.0, 120.0), data_type=float, importance="warn")
def age_checked(age: pd.Series) -> pd.Series:
    """Ages in a plausible range."""
    return age


@save_to.csv(path=value("fares.csv"), output_name_="saved_fares")
def fare_frame(fare: pd.Series) -> pd.DataFrame:
    return fare.to_frame()


def scaler(age_checked: pd.Series) -> preprocessing.StandardScaler:
    return preprocessing.StandardScaler()


def model(scaler: preprocessing.StandardScaler, fare_frame: pd.DataFrame) -> LogisticRegression:
    return LogisticRegression()
'''

FRAMES = """from pandas.core.frame import DataFrame


def table(path: str) -> DataFrame:
    return DataFrame()


def rows(table: DataFrame) -> int:
    return len(table)
"""

TOML = f"""
[dags.absent]
modules = ["pipe/absent.py"]

[dags.missing_name]
modules = ["pipe/missing_name.py"]

[dags.broken]
modules = ["pipe/broken.py"]

[dags.quality]
modules = ["pipe/quality.py"]

[dags.quality_stubbed]
modules = ["pipe/quality.py"]
stub = ["pandas", "sklearn"]

[dags.titanic]
modules = {json.dumps(TITANIC_MODULES)}
config = {{ age_imputation = "median" }}

[dags.titanic_stubbed]
modules = {json.dumps(TITANIC_MODULES)}
config = {{ age_imputation = "median" }}
stub = ["sklearn", "pandas"]

[dags.frames]
modules = ["frames/frames.py"]
"""
STUBBED_FRAMES = TOML.replace(
    '[dags.frames]\nmodules = ["frames/frames.py"]',
    '[dags.frames]\nmodules = ["frames/frames.py"]\nstub = ["pandas"]',
)


@pytest.fixture(scope="module")
def stub_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """exact -> frames forced to stand-ins -> a real type change under stand-ins; indexed."""
    repo = tmp_path_factory.mktemp("stubs") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    files = {f"pipelines/{p.name}": p.read_text() for p in PIPELINES.glob("*.py")}
    files |= {
        "lineage-history.toml": TOML,
        "pipe/absent.py": ABSENT,
        "pipe/missing_name.py": MISSING_NAME,
        "pipe/broken.py": BROKEN,
        "pipe/quality.py": QUALITY,
        "frames/frames.py": FRAMES,
    }
    shas = {"exact": commit_files(repo, files, "pipelines")}
    shas["stubbed"] = commit_files(repo, {"lineage-history.toml": STUBBED_FRAMES}, "stub pandas")
    changed = FRAMES.replace("-> int:", "-> float:")
    shas["changed"] = commit_files(repo, {"frames/frames.py": changed}, "rows become a float")
    db = repo.parent / "db.sqlite"
    result = run_cli("index", "--repo", str(repo), "--db", str(db), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    # absent, missing_name, quality_stubbed, titanic_stubbed, and frames at two commits
    assert "built (6 with stand-ins)" in result.stdout
    assert "6 build(s) used stand-ins for missing imports: pandas (4), sklearn (2)" in (
        result.stderr
    )
    return repo, db, shas


def cli_json(repo: Path, db: Path, *args: str) -> Any:
    result = run_cli(*args, "--format", "json", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def shown(stub_repo: tuple[Path, Path, dict[str, str]], dag: str, rev: str = "HEAD") -> Any:
    repo, db, _ = stub_repo
    return cli_json(repo, db, "show", rev, "--dag", dag)


def nodes_of(data: Any) -> dict[str, Any]:
    return {node["name"]: node for node in data["nodes"]}


def full_nodes(stub_repo, dag: str, rev: str = "HEAD") -> dict[str, dict[str, Any]]:
    """Every stored field of the nodes (documentation and code fingerprints too)."""
    from lineage_history.queries import at_commit, handle

    repo, db, _ = stub_repo
    with handle.opened(str(repo), str(db)) as context:
        return {n.name: n.to_dict() for n in at_commit.show(context, rev, dag).nodes}


def test_missing_modules_get_stand_ins_that_keep_their_names(stub_repo) -> None:
    data = shown(stub_repo, "absent")
    assert data["stubbed"] == [
        "hamilton.function_modifiers.load_from.csv",
        "hamilton.function_modifiers.load_from.xgboost_json",
        "hamilton.plugins.h_spark",
        "openai",
        "pandera",
        "polars",
        "pydantic",
        "pyspark",
        "pyspark.sql",
        "pyspark.sql.functions",
        "weaviate",
    ]
    nodes = nodes_of(data)
    assert nodes["store"]["type"] == "weaviate.Client"
    assert nodes["client"]["type"] == "openai.OpenAI"
    assert nodes["second_client"]["type"] == "openai.OpenAI"
    assert nodes["second_client"]["dependencies"] == ["client"]  # a type shared by two nodes
    assert nodes["fares_raw"]["type"].startswith("pandera.typing.DataFrame[")  # subscripted
    assert nodes["fare_count"]["dependencies"] == ["fares"]
    assert nodes["fare_rows"]["dependencies"] == ["fares"]  # a stand-in meets a real type
    # decorators without and with arguments keep the function and its other decorators
    assert full_nodes(stub_repo, "absent")["client"]["doc"] == "A client."
    assert nodes["answer"]["tags"]["owner"] == "llm"
    assert nodes["answer"]["dependencies"] == ["client", "settings"]
    assert full_nodes(stub_repo, "absent")["settings"]["role"] == "input"  # a stand-in's subclass


def test_hamilton_is_lenient_for_stand_ins_and_adds_the_real_nodes(stub_repo) -> None:
    nodes = nodes_of(shown(stub_repo, "absent"))
    # @extract_columns on a stand-in dataframe: the columns, typed as the library's series
    assert nodes["fare"]["type"] == nodes["age"]["type"] == "polars.Series"
    assert nodes["fare"]["dependencies"] == ["frame"]
    assert nodes["total"]["dependencies"] == ["fare"]
    # @check_output(schema=...) without pandera: the validator node pandera would add
    validator = nodes["fares_pandera_schema_validator"]
    assert validator["dependencies"] == ["fares_raw"]
    assert validator["tags"]["hamilton.data_quality.source_node"] == "fares"
    assert nodes["fares"]["dependencies"] == ["fares_pandera_schema_validator", "fares_raw"]
    # a loader no installed plugin registers: the loader and selector nodes still form
    loader = nodes["booster_size.load_data.model"]
    assert loader["dependencies"] == ["model_path"]
    assert loader["tags"]["hamilton.data_loader.source"] == "xgboost_json"
    assert nodes["booster_size"]["dependencies"] == ["booster_size.select_data.model", "total"]
    # a loader installed only for another library: a stand-in taking the code's arguments
    assert nodes["lazy_rows.load_data.lazy"]["dependencies"] == ["lazy_path"]
    assert nodes["lazy_rows"]["dependencies"] == ["lazy_rows.select_data.lazy"]
    # a plugin that raised at import is a stand-in module; its decorator keeps the function
    assert nodes["spark_frame"]["dependencies"] == ["total"]


def test_probes_of_the_code_hamilton_and_libraries_are_not_stubbed(stub_repo) -> None:
    nodes = nodes_of(shown(stub_repo, "absent"))
    assert "only_with_polars" not in nodes  # `try: import polars` failed as written
    assert "only_with_anthropic" not in nodes  # so did `importlib.import_module` in a `try`
    assert "only_if_hamilton_saw_pandera" not in nodes  # Hamilton's own import failed
    assert "only_if_stand_ins_leaked" not in nodes  # stand-ins are not in sys.modules


def test_a_name_an_installed_module_no_longer_has_is_stood_in_for(stub_repo) -> None:
    data = shown(stub_repo, "missing_name")
    assert data["stubbed"] == ["sklearn.preprocessing.CategoricalEncoder"]
    nodes = nodes_of(data)
    assert nodes["encoder"]["type"] == "sklearn.preprocessing.CategoricalEncoder"
    assert nodes["labels"]["type"] == "sklearn.preprocessing.LabelEncoder"  # the real one


def test_the_commits_own_broken_import_still_fails(stub_repo) -> None:
    repo, db, _ = stub_repo
    result = run_cli("show", "HEAD", "--dag", "broken", "--repo", str(repo), "--db", str(db))
    assert result.returncode != 0
    assert "no_such_name" in result.stderr and "Traceback" not in result.stderr


def _fidelity(stub_repo, exact_dag: str, stubbed_dag: str) -> tuple[dict, dict, list[str]]:
    exact, stubbed = shown(stub_repo, exact_dag), shown(stub_repo, stubbed_dag)
    assert exact["stubbed"] == []
    assert {"pandas", "sklearn"} <= set(stubbed["stubbed"])
    full_exact, full_stubbed = full_nodes(stub_repo, exact_dag), full_nodes(stub_repo, stubbed_dag)
    return full_exact, full_stubbed, stubbed["stubbed"]


@pytest.mark.parametrize(("exact_dag", "stubbed_dag"), [("titanic", "titanic_stubbed")])
def test_fidelity_of_the_demo_pipeline_with_its_libraries_stubbed(
    stub_repo, exact_dag: str, stubbed_dag: str
) -> None:
    exact, stubbed, _ = _fidelity(stub_repo, exact_dag, stubbed_dag)
    assert len(exact) > 25
    assert set(stubbed) == set(exact)
    # names, edges, tags, roles, documentation and code fingerprints are the real build's;
    # types are recorded by their shortest public path, so here they agree exactly too
    assert stubbed == exact


def test_fidelity_of_validators_loaders_savers_and_columns(stub_repo) -> None:
    exact, stubbed, stubbed_list = _fidelity(stub_repo, "quality", "quality_stubbed")
    assert set(stubbed) == set(exact)
    for name in (
        "age_checked_range_validator",
        "age_checked_data_type_validator",
        "saved_fares",
        "age",
        "fare",
        "raw",
    ):
        assert name in exact
    for name, node in exact.items():
        other = stubbed[name]
        assert types_agree(node["type"], other["type"], (), stubbed_list), name
        assert {**other, "type": None} == {**node, "type": None}, name


def test_diff_between_a_stubbed_and_an_exact_build_shows_no_type_change(stub_repo) -> None:
    repo, db, shas = stub_repo
    before = nodes_of(shown(stub_repo, "frames", shas["exact"]))
    after = nodes_of(shown(stub_repo, "frames", shas["stubbed"]))
    assert before["table"]["type"] == "pandas.DataFrame"  # as imported
    assert after["table"]["type"] == "pandas.core.frame.DataFrame"  # as written
    data = cli_json(repo, db, "diff", shas["exact"], shas["stubbed"], "--dag", "frames")
    assert data["summary"] == {
        "added": 0,
        "removed": 0,
        "modified": 0,
        "renamed": 0,
        "impacted": 0,
    }
    assert data["base"]["stubbed"] == []
    assert "pandas" in data["head"]["stubbed"]
    # a real type change under stand-ins is still one
    changed = cli_json(repo, db, "diff", shas["stubbed"], shas["changed"], "--dag", "frames")
    assert [(m["name"], m["changes"]) for m in changed["nodes"]["modified"]] == [
        ("rows", ["code", "type"])
    ]
    log = cli_json(repo, db, "log", "table", "--dag", "frames")
    assert [entry["change"] for entry in log] == ["added"]
    assert log[0]["stubbed"] == []
    rows_log = cli_json(repo, db, "log", "rows", "--dag", "frames")
    assert [entry["change"] for entry in rows_log] == [["code", "type"], "added"]
    assert "pandas" in rows_log[0]["stubbed"]


def test_a_working_tree_diff_knows_the_stand_ins_of_its_build(stub_repo) -> None:
    repo, db, _ = stub_repo
    data = cli_json(repo, db, "diff", "--dag", "frames")  # HEAD against the clean tree
    assert data["summary"]["modified"] == 0
    assert "pandas" in data["base"]["stubbed"] and "pandas" in data["head"]["stubbed"]


def test_dags_lists_the_stand_ins_of_each_build(stub_repo) -> None:
    repo, db, _ = stub_repo
    listed = {d["name"]: d for d in cli_json(repo, db, "dags")}
    assert listed["missing_name"]["stubbed"] == ["sklearn.preprocessing.CategoricalEncoder"]
    assert listed["quality"]["stubbed"] == [] and listed["quality"]["status"] == "ok"
    table = run_cli("dags", "--repo", str(repo), "--db", str(db)).stdout
    assert "built with stand-ins for: sklearn.preprocessing.CategoricalEncoder" in table


def test_tables_mark_stubbed_builds(stub_repo) -> None:
    repo, db, shas = stub_repo
    where = ("--repo", str(repo), "--db", str(db))
    show = run_cli("show", "HEAD", "--dag", "missing_name", *where)
    assert "built with stand-ins for: sklearn.preprocessing.CategoricalEncoder" in show.stdout
    exact = run_cli("show", shas["exact"], "--dag", "frames", *where)
    assert "stand-ins" not in exact.stdout
    diff = run_cli("diff", shas["exact"], shas["stubbed"], "--dag", "frames", *where)
    assert "head built with stand-ins for: pandas" in diff.stdout
    markdown = run_cli(
        "diff", shas["exact"], shas["stubbed"], "--dag", "frames", "--format", "markdown", *where
    )
    assert "Head built with stand-ins for: `pandas`" in markdown.stdout
    status = run_cli("status", *where)
    assert "7 exact, 14 with stand-ins, 3 failed" in status.stdout


def test_status_counts_exact_stubbed_and_failed_dag_commits(stub_repo) -> None:
    repo, db, _ = stub_repo
    data = cli_json(repo, db, "status")
    # per commit: absent, missing_name, quality_stubbed, titanic_stubbed stubbed; broken failed;
    # quality, titanic exact; frames exact at the first commit and stubbed after
    assert data["dag_commits"] == {"ok": 7, "stubbed": 14, "failed": 3}
    assert data["commits"] == 3 and data["failed"] == 3


GAINED = """import {package} as lib


def widget() -> lib.Widget:
    return lib.Widget()


def size(widget: lib.Widget) -> int:
    return 1
"""


@pytest.mark.slow
def test_rebuild_stubbed_after_the_environment_gained_the_package(tmp_path: Path) -> None:
    package = f"lh_gained_{uuid.uuid4().hex[:10]}"
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    toml = '[dags.main]\nmodules = ["pipe/m.py"]\n'
    files = {"lineage-history.toml": toml, "pipe/m.py": GAINED.format(package=package)}
    commit_files(repo, files, "m")
    db = tmp_path / "db.sqlite"
    where = ("--repo", str(repo), "--db", str(db))
    assert run_cli("index", *where).returncode == 0
    assert cli_json(repo, db, "show", "HEAD")["stubbed"] == [package]
    assert cli_json(repo, db, "status")["dag_commits"] == {"ok": 0, "stubbed": 1, "failed": 0}

    # the builds' import path: where this package is installed
    site = Path(lineage_history.__file__).resolve().parent.parent
    installed = site / f"{package}.py"
    installed.write_text("class Widget:\n    pass\n")
    try:
        again = run_cli("index", *where)
        assert again.returncode == 0 and "0 built" in again.stdout  # only when asked
        rebuilt = run_cli("index", "--rebuild-stubbed", *where)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "1 built" in rebuilt.stdout
    finally:
        installed.unlink()
    data = cli_json(repo, db, "show", "HEAD")
    assert data["stubbed"] == []
    assert nodes_of(data)["widget"]["type"] == f"{package}.Widget"
    assert cli_json(repo, db, "status")["dag_commits"] == {"ok": 1, "stubbed": 0, "failed": 0}


def test_an_exact_build_of_a_key_wins_over_a_stubbed_one(tmp_path: Path) -> None:
    from sqlalchemy import select

    from lineage_history.dag.model import Node, Snapshot
    from lineage_history.store.database import open_engine
    from lineage_history.store.schema import builds
    from lineage_history.store.writer import Store

    store = Store(open_engine(f"sqlite:///{tmp_path / 'builds.sqlite'}"))
    exact = Snapshot.of([Node("x", "polars.dataframe.frame.DataFrame", code="c")])
    stubbed = Snapshot.of([Node("x", "polars.DataFrame", code="c")], stubbed=["polars"])

    def stored() -> tuple[Any, ...]:
        with store.engine.connect() as connection:
            row = connection.execute(select(builds.c.status, builds.c.stubbed)).one()
        return tuple(row)

    build_id = store.save_build("key", stubbed, None, 0.1)  # a worker without polars
    assert stored() == ("ok", '["polars"]')
    assert store.save_build("key", exact, None, 0.1) == build_id  # one with it: replaces
    assert stored() == ("ok", None)
    assert store.save_build("key", stubbed, None, 0.1) == build_id  # never the other way
    assert store.save_build("key", None, "boom", 0.1) == build_id  # nor by a failure
    assert stored() == ("ok", None)
    store.close()


def test_definition_stub_key_is_validated(tmp_path: Path) -> None:
    from lineage_history.definitions.toml_files import parse_definitions
    from lineage_history.errors import ConfigError

    text = '[dags.d]\nmodules = ["m.py"]\nstub = ["pandas", "pandas", "sklearn"]\n'
    definition = parse_definitions(text, "t", in_pyproject=False)["d"]
    assert definition.stub == ("pandas", "sklearn")
    plain = parse_definitions('[dags.d]\nmodules = ["m.py"]\n', "t", in_pyproject=False)["d"]
    assert "stub" not in plain.to_dict()  # definitions without it keep their digests
    with pytest.raises(ConfigError, match="stub must be a list"):
        parse_definitions('[dags.d]\nmodules = ["m.py"]\nstub = [1]\n', "t", in_pyproject=False)


@contextlib.contextmanager
def _databases(tmp_path: Path) -> Iterator[list[str]]:
    """A fresh SQLite file, and a fresh PostgreSQL schema when PostgreSQL tests run."""
    urls = [f"sqlite:///{tmp_path / 'schema.sqlite'}"]
    if not PG_URL:
        yield urls
        return
    with fresh_pg_schema("lh_test") as url:
        yield [*urls, url]


def test_migrations_create_exactly_the_tables_of_schema_py(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lineage_history.store.database import open_engine
    from lineage_history.store.schema import metadata

    with _databases(tmp_path) as urls:
        for url in urls:
            engine = open_engine(url)
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                differences = [
                    d
                    for d in compare_metadata(context, metadata)
                    if "alembic_version" not in str(d)
                ]
            engine.dispose()
            assert differences == [], url


@pytest.mark.slow
def test_fidelity_benchmark_compares_exact_and_stubbed_builds(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_files(repo, {"pipe/quality.py": QUALITY}, "quality")
    config = tmp_path / "dags.toml"
    config.write_text('[dags.quality]\nmodules = ["pipe/quality.py"]\n')
    script = ROOT / "scripts" / "bench_fidelity.py"
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    proc = subprocess.run(
        [sys.executable, str(script), "--repo", str(repo), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 DAGs built exactly and with stand-ins; 1 with the same nodes" in proc.stdout


def test_outermost_stand_ins_name_what_to_install() -> None:
    from lineage_history.dag.model import outermost

    stubbed = ["pyspark", "pyspark.sql", "pyspark.sql.functions", "sklearn.preprocessing.X"]
    assert outermost(stubbed) == ["pyspark", "sklearn.preprocessing.X"]
