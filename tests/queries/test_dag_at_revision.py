"""Which DAG a question is about is decided by the revision asked about: the DAGs that
revision has, not every name the history ever had (`pick_dag`), and a DAG the revision does
not have is an error rather than an empty answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import Repo

TWO_DAGS = """
[dags.prices]
modules = ["pipe/prices.py"]

[dags.legacy]
modules = ["pipe/legacy.py"]
"""
ONE_DAG = '[dags.prices]\nmodules = ["pipe/prices.py"]\n'
PRICES = """
from hamilton.function_modifiers import tag


@tag(pii="true")
def raw(source: str) -> str:
    return source


def price(raw: str) -> float:
    return float(len(raw))
"""
LEGACY = """
def old_total(amount: float) -> float:
    return amount * 2
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[str, str]]:
    """Two DAGs years ago; only `prices` since the legacy one was dropped."""
    repo = Repo(tmp_path_factory.mktemp("dag-at-rev") / "repo")
    shas = {
        "both": repo.commit(
            "two DAGs",
            {"lineage-history.toml": TWO_DAGS, "pipe/prices.py": PRICES, "pipe/legacy.py": LEGACY},
        ),
        "one": repo.commit("drop the legacy DAG", {"lineage-history.toml": ONE_DAG}),
    }
    repo.index()
    return repo, shas


def error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("show", "HEAD"),
        ("upstream", "price"),
        ("downstream", "raw"),
        ("path", "raw", "price"),
        ("blame", "pii"),
        ("log", "price"),
        ("log", "--reach", "raw", "price"),
        ("check", "HEAD"),
    ],
)
def test_one_dag_at_the_revision_needs_no_dag_option(repo, args: tuple[str, ...]) -> None:
    found = repo[0].cli(*args)
    assert found.returncode == 0, found.stderr


def test_several_dags_at_the_revision_are_listed_from_that_revision(repo) -> None:
    line = error_line(repo[0].cli("show", repo[1]["both"], ok=False))
    assert "defines several DAGs; pass --dag with one of: legacy, prices" in line
    assert repo[1]["both"][:10] in line


@pytest.mark.parametrize(
    "args",
    [
        ("show", "HEAD"),
        ("upstream", "old_total"),
        ("downstream", "amount"),
        ("path", "amount", "old_total"),
        ("blame", "pii"),
        ("check", "HEAD"),
    ],
)
def test_a_dag_the_revision_does_not_have_is_an_error(repo, args: tuple[str, ...]) -> None:
    line = error_line(repo[0].cli(*args, "--dag", "legacy", ok=False))
    head = repo[1]["one"][:10]
    assert line.endswith(f"the DAG 'legacy' is not defined at HEAD ({head}); DAGs there: prices")


def test_an_unknown_dag_names_the_dags_of_the_revision(repo) -> None:
    line = error_line(repo[0].cli("show", "HEAD", "--dag", "nope", ok=False))
    head = repo[1]["one"][:10]
    assert line.endswith(f"unknown DAG 'nope'; known DAGs: prices (those at HEAD ({head}))")


def test_a_diff_where_the_dag_exists_on_one_side_is_its_removal(repo) -> None:
    gone = repo[0].cli("diff", repo[1]["both"], "HEAD", "--dag", "legacy", "--format", "json")
    assert [node["name"] for node in gone["nodes"]["removed"]] == ["amount", "old_total"]
    line = error_line(repo[0].cli("diff", repo[1]["both"], "HEAD", ok=False))
    assert "defines several DAGs; pass --dag with one of: legacy, prices" in line


def test_the_history_of_a_dag_gone_at_the_revision_is_still_there(repo) -> None:
    found = repo[0].cli("log", "old_total", "--dag", "legacy", "--format", "json")
    assert [(e["sha"], e["change"]) for e in found] == [
        (repo[1]["one"], "removed"),
        (repo[1]["both"], "added"),
    ]


def test_a_revision_without_any_dag_says_so(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    before = repo.commit("no DAG yet", {"README.md": "hello\n"})
    repo.commit("a DAG", {"lineage-history.toml": ONE_DAG, "pipe/prices.py": PRICES})
    repo.index()
    line = error_line(repo.cli("show", before, ok=False))
    assert line.endswith(f"no DAG is defined at {before} ({before[:10]})")
    added = repo.cli("diff", before, "HEAD", "--format", "json")
    assert [node["name"] for node in added["nodes"]["added"]] == ["price", "raw", "source"]
