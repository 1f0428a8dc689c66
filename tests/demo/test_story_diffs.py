"""Every step of the demo history, indexed for real, diffs exactly as the story says."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lineage_history.demo.story import SIDE_STORY, STORY, StoryStep
from lineage_history.errors import BuildFailedError
from lineage_history.queries import diffs, handle
from lineage_history.store.schema import metadata
from tests.fixtures import IndexedDemo, run_cli

STEPS_WITH_BASE = [step for step in (*STORY, *SIDE_STORY) if step.base is not None]


@pytest.fixture(scope="module")
def context(indexed_demo: IndexedDemo):
    with handle.opened(str(indexed_demo.repo), str(indexed_demo.db)) as ctx:
        yield ctx


def _snapshot(context, rev: str):
    return context.snapshot_at(context.resolve(rev), "titanic")


@pytest.mark.parametrize("step", STEPS_WITH_BASE, ids=lambda s: s.tag)
def test_story_step_diff(context, step: StoryStep) -> None:
    expect = step.expect
    if expect["fails"]:
        with pytest.raises(BuildFailedError, match="CategoricalEncoder"):
            diffs.diff_revisions(context, step.base, step.tag, None)
        return
    lineage = diffs.diff_revisions(context, step.base, step.tag, None).diff
    assert sorted(n.name for n in lineage.added) == expect["added"]
    assert sorted(n.name for n in lineage.removed) == expect["removed"]
    assert {m.name: sorted(m.changes) for m in lineage.modified} == expect["modified"]
    assert sorted(lineage.renamed) == [tuple(pair) for pair in expect["renamed"]]
    assert list(lineage.config_changed) == expect["config_changed"]
    assert sorted(lineage.impacted) == expect["impacted"]
    if expect["reuses_previous"]:
        assert lineage.is_empty


@pytest.mark.slow
@pytest.mark.parametrize(
    "step", [s for s in STEPS_WITH_BASE if not s.expect["fails"]], ids=lambda s: s.tag
)
def test_story_step_impact_in_the_diff_json(indexed_demo: IndexedDemo, step: StoryStep) -> None:
    """Each step's bump and each changed node's impact, as written down in the story from
    what the change does; impacted nodes carry their cause's impact, marked indirect."""
    result = run_cli(
        "diff", step.base or "", step.tag, "--format", "json",
        "--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    expect = step.expect
    assert data["bump"] == expect["bump"]
    direct = {
        entry.get("name") or entry["to"]: entry["impact"]
        for kind in ("added", "removed", "modified", "renamed")
        for entry in data["nodes"][kind]
    }
    assert sorted(n for n, i in direct.items() if i == "breaking") == expect["breaking"]
    assert sorted(n for n, i in direct.items() if i == "data-changing") == expect["data_changing"]
    for entry in data["nodes"]["impacted"]:
        assert entry["indirect"] is True
        assert entry["impact"] in {direct[cause] for cause in entry["because"]}


def test_docs_only_commit_reuses_the_previous_snapshot(context) -> None:
    states = context.reader.dag_states(context.repository_id, "titanic")
    docs = states[context.resolve("demo/docs").sha]
    before = states[context.resolve("demo/code-only").sha]
    assert docs.snapshot_id == before.snapshot_id is not None


def test_tag_only_edit_is_tags_not_code(context) -> None:
    lineage = diffs.diff_revisions(context, "demo/v1", "demo/sex-pii", None).diff
    (change,) = lineage.modified
    assert (change.name, change.changes) == ("sex", ("tags",))
    assert dict(change.after.tags)["PII"] == "true"
    assert not lineage.impacted


def test_external_inputs_are_never_code_modified(context) -> None:
    for step in STEPS_WITH_BASE:
        if step.expect["fails"]:
            continue
        for change in diffs.diff_revisions(context, step.base, step.tag, None).diff.modified:
            if change.before.role == change.after.role == "input":
                assert "code" not in change.changes, (step.tag, change.name)
                assert change.before.code is None and change.after.code is None


def test_private_helper_or_constant_change_is_code(context) -> None:
    lineage = diffs.diff_revisions(context, "demo/fixed", "demo/helper", None).diff
    assert {m.name: m.changes for m in lineage.modified} == {
        "cabin_type": ("code",),
        "ticket_type": ("code",),
    }


def test_broken_commit_is_recorded_and_later_commits_indexed(context, indexed_demo) -> None:
    failures = context.reader.failed_states(context.repository_id)
    assert [(sha, dag) for sha, dag, _ in failures] == [
        (indexed_demo.shas["demo/broken"], "titanic")
    ]
    assert "CategoricalEncoder" in failures[0][2] and "features.py" in failures[0][2]
    indexed = context.reader.indexed_shas(context.repository_id)
    assert set(indexed_demo.shas.values()) <= indexed
    with pytest.raises(BuildFailedError, match=indexed_demo.shas["demo/broken"][:12]):
        _snapshot(context, "demo/broken")


def test_commit_before_any_pipeline_is_an_empty_graph(context) -> None:
    assert not _snapshot(context, "demo/empty").nodes


def test_diff_cli_reports_a_failed_build_with_its_error(indexed_demo: IndexedDemo) -> None:
    result = run_cli(
        "diff",
        "demo/config",
        "demo/broken",
        "--repo",
        str(indexed_demo.repo),
        "--db",
        str(indexed_demo.db),
    )
    assert result.returncode == 3
    assert "failed to build" in result.stderr and "AttributeError" in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_answers_from_the_database_after_the_repository_is_deleted(
    indexed_demo: IndexedDemo, tmp_path: Path
) -> None:
    db = tmp_path / "copy.sqlite"
    shutil.copy(indexed_demo.db, db)
    base, head = indexed_demo.shas["demo/v1"], indexed_demo.shas["demo/sex-pii"]
    nowhere = tmp_path / "gone"
    result = run_cli("diff", base, head, "--db", str(db), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"modified": 1' in result.stdout
    result = run_cli(
        "diff", base[:10], "main", "--db", str(db), "--repo", str(nowhere), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def _row_counts(db: Path) -> dict[str, int]:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        counts = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table.name != "index_runs"
        }
    engine.dispose()
    return counts


@pytest.mark.slow
def test_second_index_adds_no_rows(fresh_demo: IndexedDemo) -> None:
    args = ("index", "--all", "--repo", str(fresh_demo.repo), "--db", str(fresh_demo.db))
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    before = _row_counts(fresh_demo.db)
    second = run_cli(*args)
    assert second.returncode == 0, second.stderr
    assert "0 new; 0 built in " in second.stdout
    assert _row_counts(fresh_demo.db) == before
    assert before["commits"] == len(set(fresh_demo.shas.values())) + 0


def test_diff_json_has_the_contract_shape_and_exit_code(indexed_demo: IndexedDemo) -> None:
    where = ("--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db))
    result = run_cli("diff", "demo/sex-pii", "demo/encoders", "--format", "json", *where)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"dag", "base", "head", "summary", "bump", "nodes", "edges", "config"}
    assert data["dag"] == "titanic"
    assert data["base"] == {
        "rev": "demo/sex-pii",
        "sha": indexed_demo.shas["demo/sex-pii"],
        "stubbed": [],
    }
    assert data["summary"] == {"added": 4, "removed": 0, "modified": 2, "renamed": 0, "impacted": 8}
    assert set(data["nodes"]) == {"added", "removed", "modified", "renamed", "impacted"}
    added = {n["name"]: n for n in data["nodes"]["added"]}
    assert added["cabin_encoder"]["dependencies"] == ["cabin_type"]
    assert {"name", "type", "tags", "dependencies"} <= set(added["cabin_encoder"])
    modified = {m["name"]: m for m in data["nodes"]["modified"]}
    assert modified["encoders"]["changes"] == ["code", "dependencies"]
    assert "cabin_encoder" in modified["encoders"]["after"]["dependencies"]
    impacted = {i["name"]: i["because"] for i in data["nodes"]["impacted"]}
    assert "training_set" in impacted["fit_random_forest"]
    assert ["cabin_encoder", "encoders"] in data["edges"]["added"]
    assert data["config"] == {
        "before": {"age_imputation": "median"},
        "after": {"age_imputation": "median"},
        "changed": [],
    }

    differs = run_cli("diff", "demo/sex-pii", "demo/encoders", "--exit-code", *where)
    assert differs.returncode == 1 and "4 added" in differs.stdout
    same = run_cli("diff", "demo/code-only", "demo/docs", "--exit-code", *where)
    assert same.returncode == 0 and "no lineage changes" in same.stdout
