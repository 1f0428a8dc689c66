"""Runs the example Titanic dataflow in `pipelines/` end to end on the synthetic CSV."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from hamilton import driver
from sklearn import base

from tests.fixtures import ROOT

PIPELINES_DIR = ROOT / "pipelines"
DAG_MODULE_NAMES = ("data_loading", "features", "sets", "model_pipeline")


@pytest.fixture(scope="module")
def pipeline_modules() -> Iterator[dict[str, ModuleType]]:
    """The pipeline modules imported from `pipelines/`, removed from sys.modules afterwards."""
    sys.path.insert(0, str(PIPELINES_DIR))
    try:
        names = (*DAG_MODULE_NAMES, "synthetic_titanic")
        yield {name: __import__(name) for name in names}
    finally:
        sys.path.remove(str(PIPELINES_DIR))
        for name in (*DAG_MODULE_NAMES, "synthetic_titanic"):
            sys.modules.pop(name, None)


def _driver(modules: dict[str, ModuleType], age_imputation: str) -> driver.Driver:
    return (
        driver.Builder()
        .with_modules(*(modules[name] for name in DAG_MODULE_NAMES))
        .with_config({"age_imputation": age_imputation})
        .build()
    )


@pytest.fixture(scope="module")
def inputs(
    pipeline_modules: dict[str, ModuleType], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    csv_path = pipeline_modules["synthetic_titanic"].write_csv(
        tmp_path_factory.mktemp("data") / "titanic.csv"
    )
    return {
        "location": str(csv_path),
        "index_col": "PassengerId",
        "target_col": "Survived",
        "validation_size_fraction": 0.25,
        "max_depth": 6,
    }


@pytest.fixture(scope="module")
def dr(pipeline_modules: dict[str, ModuleType]) -> driver.Driver:
    return _driver(pipeline_modules, "median")


def test_synthetic_csv_is_deterministic(
    pipeline_modules: dict[str, ModuleType], tmp_path: Path
) -> None:
    write_csv = pipeline_modules["synthetic_titanic"].write_csv
    first = write_csv(tmp_path / "a.csv", rows=50, seed=3).read_bytes()
    assert first == write_csv(tmp_path / "b.csv", rows=50, seed=3).read_bytes()
    assert first != write_csv(tmp_path / "c.csv", rows=50, seed=4).read_bytes()
    assert first.decode().splitlines()[0].startswith("PassengerId,Survived,Pclass,Name,Sex")


def test_pipeline_trains_and_scores_the_model(dr: driver.Driver, inputs: dict[str, Any]) -> None:
    outputs = ["fit_random_forest", "validation_predictions", "validation_accuracy", "X_test"]
    results = dr.execute([*outputs, "encoders", "training_set"], inputs=inputs)

    model = results["fit_random_forest"]
    assert isinstance(model, base.ClassifierMixin)
    assert hasattr(model, "estimators_"), "the forest was not fitted"
    assert len(results["validation_predictions"]) == len(results["X_test"]) == 75
    assert set(results["validation_predictions"].unique()) <= {0, 1}
    assert 0.5 <= results["validation_accuracy"] <= 1.0

    training_set = results["training_set"]
    assert training_set.shape == (300, 7)
    assert not training_set.isna().any().any()
    assert all(pd.api.types.is_numeric_dtype(dtype) for dtype in training_set.dtypes)
    assert sorted(results["encoders"]) == ["cabin", "embarked", "sex"]
    assert list(results["encoders"]["sex"].classes_) == ["female", "male"]


def test_age_imputation_is_chosen_by_config(
    pipeline_modules: dict[str, ModuleType], inputs: dict[str, Any]
) -> None:
    age = _driver(pipeline_modules, "median").execute(["age"], inputs=inputs)["age"]
    median_filled = _driver(pipeline_modules, "median").execute(["age_filled"], inputs=inputs)
    mean_filled = _driver(pipeline_modules, "mean").execute(["age_filled"], inputs=inputs)

    missing = age.isna()
    assert missing.any()
    assert (median_filled["age_filled"][missing] == age.median()).all()
    assert mean_filled["age_filled"][missing].to_list() == pytest.approx(
        [age.mean()] * int(missing.sum())
    )


def test_node_tags_describe_lineage(dr: driver.Driver) -> None:
    tags_by_node = {variable.name: variable.tags for variable in dr.list_available_variables()}

    pii = sorted(name for name, tags in tags_by_node.items() if tags.get("PII") == "true")
    assert pii == ["age", "sex"]
    for name in ("titanic_data", "age", "fare", "survived"):
        assert tags_by_node[name]["source"] == "prod.titanic"
        assert tags_by_node[name]["importance"] == "production"
    artifacts = {
        tags["artifact"]: name for name, tags in tags_by_node.items() if "artifact" in tags
    }
    assert artifacts == {
        "encoders": "encoders",
        "training_set": "training_set",
        "model": "fit_random_forest",
    }
    assert tags_by_node["age_filled"]["hamilton.config"] == "age_imputation"


def test_graph_shape(dr: driver.Driver) -> None:
    variables = {variable.name: variable for variable in dr.list_available_variables()}
    external = sorted(name for name, variable in variables.items() if variable.is_external_input)
    assert external == [
        "age_imputation",
        "index_col",
        "location",
        "max_depth",
        "target_col",
        "validation_size_fraction",
    ]
    upstream_of_model = {n.name for n in dr.what_is_upstream_of("fit_random_forest")}
    assert {"age", "sex", "cabin_type", "random_state", "titanic_data"} <= upstream_of_model
    assert "ticket_type" not in upstream_of_model
    assert {"X_train", "X_test", "y_train", "y_test"} <= set(variables)
