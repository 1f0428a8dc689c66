"""Definitions in TOML: a `pyproject.toml` section or a `lineage-history.toml`, and what
they may not say."""

from __future__ import annotations

import pytest

from lineage_history.definitions.toml_files import parse_definitions
from lineage_history.errors import ConfigError


def test_config_parsing() -> None:
    text = '[tool.lineage-history.dags.t]\nmodules = ["p/a.py"]\nconfig = {r = "eu"}\n'
    (definition,) = parse_definitions(text, "pyproject.toml", in_pyproject=True).values()
    assert definition.modules == ("p/a.py",) and definition.config == {"r": "eu"}
    assert parse_definitions("[tool.other]\n", "pyproject.toml", in_pyproject=True) is None
    for bad in (
        "dags = 3",
        "[dags.t]\nmodules = [1]",
        "[dags.t]\nmodules = ['../x.py']",
        "[dags.t]\nmodules = ['a.py']\nbogus = 1",
        "not toml [",
    ):
        with pytest.raises(ConfigError):
            parse_definitions(bad, "lineage-history.toml", in_pyproject=False)
