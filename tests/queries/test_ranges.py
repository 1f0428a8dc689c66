"""Revision ranges as git spells them: `A...B` from the merge base, `A..B` as `A B`, through
the real CLI on the indexed demo (whose `experiment` branch forks from demo/fixed), with the
repository and from the database alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lineage_history.dag.graph import merge_bases
from tests.fixtures import IndexedDemo, git, run_cli


def diff_json(demo: IndexedDemo, *revs: str, cwd: Path | None = None) -> dict[str, Any]:
    where = ["--db", str(demo.db)] if cwd is None else ["--db", "lineage.sqlite"]
    if cwd is None:
        where += ["--repo", str(demo.repo)]
    result = run_cli("diff", *revs, *where, "--format", "json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def without_revs(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "base": data["base"]["sha"], "head": data["head"]["sha"]}


def test_three_dots_diff_from_the_merge_base(indexed_demo: IndexedDemo) -> None:
    fork = git(indexed_demo.repo, "merge-base", "main", "experiment")
    assert fork == indexed_demo.shas["demo/fixed"]
    ranged = diff_json(indexed_demo, "main...experiment")
    explicit = diff_json(indexed_demo, fork, "experiment")
    assert without_revs(ranged) == without_revs(explicit)
    assert ranged["base"] == {"rev": "merge-base(main, experiment)", "sha": fork, "stubbed": []}
    # what the branch changes, not what main did since: the side branch adds the title
    # encoding, and main's later rename of family_size is not in it
    added = [n["name"] for n in ranged["nodes"]["added"]]
    assert added == ["title", "title_category", "title_encoder"]
    rename = {"from": "family_size", "to": "family_count", "impact": "breaking"}
    renamed = diff_json(indexed_demo, "experiment", "main")["nodes"]["renamed"]
    assert [{key: entry[key] for key in rename} for entry in renamed] == [rename]
    assert ranged["nodes"]["renamed"] == []
    # and the other way round, what main changed since the fork
    backwards = diff_json(indexed_demo, "experiment...main")
    assert without_revs(backwards) == without_revs(diff_json(indexed_demo, fork, "main"))


def test_two_dots_is_the_two_revisions(indexed_demo: IndexedDemo) -> None:
    ranged = diff_json(indexed_demo, "demo/v1..demo/encoders")
    assert ranged == diff_json(indexed_demo, "demo/v1", "demo/encoders")
    assert ranged["summary"]["added"] > 0


def test_an_empty_side_of_a_range_is_head(indexed_demo: IndexedDemo) -> None:
    ranged = diff_json(indexed_demo, "experiment...")
    assert ranged["head"]["sha"] == git(indexed_demo.repo, "rev-parse", "HEAD")
    assert ranged["base"]["sha"] == indexed_demo.shas["demo/fixed"]


def test_three_dots_without_the_repository(indexed_demo: IndexedDemo, tmp_path: Path) -> None:
    shutil.copy(indexed_demo.db, tmp_path / "lineage.sqlite")
    ranged = diff_json(indexed_demo, "main...experiment", cwd=tmp_path)
    assert ranged["base"]["sha"] == indexed_demo.shas["demo/fixed"]
    assert without_revs(ranged) == without_revs(diff_json(indexed_demo, "main...experiment"))


def test_viz_draws_a_range(indexed_demo: IndexedDemo, tmp_path: Path) -> None:
    common = ["--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db)]
    pictures = {}
    for name, args in {
        "range": ["main...experiment"],
        "base": ["experiment", "--base", "main..."],
        "explicit": ["experiment", "--base", indexed_demo.shas["demo/fixed"]],
    }.items():
        out = tmp_path / f"{name}.mmd"
        result = run_cli("viz", *args, "-o", str(out), *common)
        assert result.returncode == 0, result.stderr
        pictures[name] = out.read_text().split("---", 2)[2]  # past the front matter's title
    assert pictures["range"] == pictures["base"] == pictures["explicit"]
    assert "title" in pictures["range"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["main...experiment", "demo/v1"], "already a range"),
        (["demo/v1", "main..experiment"], "is a range"),
        (["main...nope"], "unknown revision"),
    ],
)
def test_bad_ranges_exit_2_with_one_line(
    indexed_demo: IndexedDemo, args: list[str], fragment: str
) -> None:
    result = run_cli("diff", *args, "--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr


def test_merge_bases_of_a_criss_cross_history() -> None:
    # root - a - b1 ... two branches that merged each other: b1 and c1 are both best bases
    parents = {
        "root": (),
        "a": ("root",),
        "b1": ("a",),
        "c1": ("a",),
        "b2": ("b1", "c1"),
        "c2": ("c1", "b1"),
        "lonely": (),
    }
    assert merge_bases(parents, "b2", "c2") == {"b1", "c1"}
    assert merge_bases(parents, "b1", "c1") == {"a"}
    assert merge_bases(parents, "b2", "a") == {"a"}
    assert merge_bases(parents, "b2", "lonely") == set()
