"""Histories that cross commits whose DAG could not be built say so: `log`, `log --reach` and
`blame` list each run of such commits (a gap) in its place, in the table and in JSON, instead
of going quiet after the newest commit that built. A run is listed where the answer could
hide in it: at the top of the walk, or where the two built ends differ."""

from __future__ import annotations

import json

import pytest

from tests.fixtures import Repo, run_cli

DAG = '[dags.naturf]\nmodules = ["pipe/nodes.py"]\n'
NODES = """
from hamilton.function_modifiers import tag


@tag(owner="geo")
def raster(path: str) -> bytes:
    return path.encode()


def write_binary(raster: bytes) -> int:
    return len(raster)


def untouched(path: str) -> int:
    return len(path)
"""
# A real failure at import time (as naturf's `version("naturf")` in a checkout not installed).
BROKEN = 'from importlib.metadata import version\n__version__ = version("not-installed-xyz")\n'
CHANGED = NODES.replace("return len(raster)", "return len(raster) + 1")
TAGGED = CHANGED.replace('@tag(owner="geo")', '@tag(owner="geo", pii="false")')
AGAIN = TAGGED.replace("return len(raster) + 1", "return len(raster) * 2")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[str, str]]:
    """built -> failed (code changed, tag set) -> built -> failed -> failed (code changed)."""
    repo = Repo(tmp_path_factory.mktemp("gaps") / "repo")
    shas = {"added": repo.commit("add", {"lineage-history.toml": DAG, "pipe/nodes.py": NODES})}
    shas["broken"] = repo.commit("break", {"pipe/nodes.py": BROKEN + TAGGED})
    shas["fixed"] = repo.commit("fix", {"pipe/nodes.py": TAGGED})
    shas["again"] = repo.commit("break again", {"pipe/nodes.py": BROKEN + TAGGED})
    shas["head"] = repo.commit("change while broken", {"pipe/nodes.py": BROKEN + AGAIN})
    repo.index()
    return repo, shas


def cli_json(repo: Repo, *args: str) -> list[dict]:
    result = run_cli(*args, "-f", "json", "--repo", str(repo.path), "--db", str(repo.db))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_log_lists_the_commits_that_could_not_be_built(history) -> None:
    repo, shas = history
    entries = cli_json(repo, "log", "write_binary")
    assert [(e["sha"], e["change"]) for e in entries] == [
        (shas["head"], "unknown"),
        (shas["fixed"], ["code"]),
        (shas["broken"], "unknown"),
        (shas["added"], "added"),
    ]
    top = entries[0]["gap"]
    assert {k: top[k] for k in ("from", "to", "commits")} == {
        "from": shas["again"],
        "to": shas["head"],
        "commits": 2,
    }
    assert top["error"].startswith("PackageNotFoundError") and "\n" not in top["error"]
    assert entries[2]["gap"]["commits"] == 1
    assert all("gap" not in e for e in (entries[1], entries[3]))  # commit entries unchanged
    assert entries[0]["details"] == [f"2 commits could not be built: {top['error']}"]


def test_a_gap_between_identical_ends_is_not_listed(history) -> None:
    repo, shas = history
    entries = cli_json(repo, "log", "untouched")
    assert [(e["sha"], e["change"]) for e in entries] == [
        (shas["head"], "unknown"),  # the newest commits failed: always said
        (shas["added"], "added"),
    ]


def test_log_table_says_where_the_history_could_not_be_built(history) -> None:
    repo, shas = history
    text = repo.cli("log", "write_binary").stdout.splitlines()
    assert text[1].startswith(
        f"? 2 commits ({shas['again'][:10]}..{shas['head'][:10]}, 2024-03-01..2024-03-01) "
        "could not be built: PackageNotFoundError"
    )
    assert text[2].startswith(shas["fixed"][:10])
    assert text[3].startswith(f"? 1 commit ({shas['broken'][:10]}, 2024-03-01) could not be")
    assert text[4].startswith(shas["added"][:10])


def test_log_reach_lists_the_gaps_too(history) -> None:
    repo, shas = history
    entries = cli_json(repo, "log", "--reach", "raster", "write_binary")
    assert [(e["sha"], e["change"], "gap" in e) for e in entries] == [
        (shas["head"], "unknown", True),
        (shas["added"], "started", False),
    ]  # raster reached write_binary on both sides of the older gap: nothing hides there
    text = repo.cli("log", "--reach", "raster", "write_binary").stdout
    assert f"? 2 commits ({shas['again'][:10]}..{shas['head'][:10]}" in text


def test_blame_says_the_tag_may_come_from_commits_that_could_not_be_built(history) -> None:
    repo, shas = history
    lines = cli_json(repo, "blame", "pii", shas["fixed"])
    assert [(line["node"], line["sha"]) for line in lines] == [("raster", shas["fixed"])]
    assert lines[0]["gap"]["from"] == lines[0]["gap"]["to"] == shas["broken"]
    text = repo.cli("blame", "pii", shas["fixed"]).stdout
    assert f"  ? or earlier, in 1 commit ({shas['broken'][:10]}, 2024-03-01) that could not" in text
    assert "gap" not in cli_json(repo, "blame", "owner", shas["fixed"])[0]  # built below
