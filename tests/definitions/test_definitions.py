"""What a definition may say (Builder options, `modules`), what a build key covers (passed
environment values), and that one unreadable commit fails alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures import Repo, git, run_cli

TWO_MODULES = {
    "base.py": "def value(x: int) -> int:\n    return x\n",
    "override.py": "def value(x: int) -> int:\n    return x * 2\n",
}


def test_allow_module_overrides_is_a_builder_option(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "overrides")
    config = '[dags.o]\nmodules = ["base.py", "override.py"]\n{option}'
    plain = repo.commit(
        "two modules", {**TWO_MODULES, "lineage-history.toml": config.format(option="")}
    )
    allowed = repo.commit(
        "allow overrides",
        {"lineage-history.toml": config.format(option="allow_module_overrides = true\n")},
    )
    repo.index()
    failed = repo.cli("show", plain, ok=False)
    assert failed.returncode == 3 and "value" in failed.stderr
    assert set(repo.nodes(allowed)) == {"value", "x"}


def test_empty_modules_is_a_clear_config_error(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "empty")
    repo.commit("m", {"m.py": "def a(x: int) -> int:\n    return x\n"})
    config = tmp_path / "lh.toml"
    config.write_text("[dags.m]\nmodules = []\n")
    result = repo.cli("index", "--config", str(config), ok=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"lineage-history: error: {config}: dags.m.modules is empty: name at least one module file"
    ]


@pytest.mark.slow
def test_passed_environment_values_are_part_of_the_build_key(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "env")
    module = """
        import os

        if os.environ.get("PIPELINE_FLAVOUR") == "rich":

            def rich(x: int) -> int:
                return x


        def plain(x: int) -> int:
            return x
        """
    first = repo.commit(
        "flavoured", {"m.py": module, "lineage-history.toml": '[dags.m]\nmodules = ["m.py"]\n'}
    )

    def index_with(flavour: str) -> str:
        result = run_cli(
            *("index", "--pass-env", "PIPELINE_FLAVOUR", "--repo", str(repo.path)),
            *("--db", str(repo.db)),
            env={**os.environ, "PIPELINE_FLAVOUR": flavour},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout + result.stderr

    index_with("plain")
    second = repo.commit("docs", {"README.md": "docs\n"})
    assert "1 built, 0 reused" in index_with("rich")
    assert set(repo.nodes(first)) == {"plain", "x"}
    assert set(repo.nodes(second)) == {"plain", "rich", "x"}


def test_an_unreadable_blob_fails_its_commit_and_the_rest_is_indexed(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "corrupt")
    config = {"lineage-history.toml": '[dags.m]\nmodules = ["m.py"]\n'}
    repo.commit("one", {**config, "m.py": "def a(x: int) -> int:\n    return x\n"})
    broken = repo.commit("two", {"m.py": "def a(x: int) -> int:\n    return x + 1  # lost\n"})
    last = repo.commit("three", {"m.py": "def a(x: int) -> int:\n    return x + 2\n"})
    blob = git(repo.path, "rev-parse", f"{broken}:m.py")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    result = repo.index()
    assert "3 new" in result.stdout + result.stderr
    status = repo.cli("status", "--format", "json")
    assert status["commits"] == 3 and status["failed"] == 1
    shown = repo.cli("show", broken, ok=False)
    assert shown.returncode == 3 and "cannot plan the build" in shown.stderr
    assert set(repo.nodes(last)) == {"a", "x"}
