"""The lineage questions (log, show, upstream, downstream, path, blame) on the indexed demo
story, with exact expected answers derived from `STORY`; through the real CLI and, for speed,
through `lineage_history.queries` directly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage_history.dag import selectors
from lineage_history.queries import at_commit, handle, node_log, tag_blame
from tests.fixtures import IndexedDemo, git, run_cli

# upstream(fit_random_forest) at demo/v1, read off the first pipeline: the training part of the
# split and the unfitted forest, and everything that feeds them.
UPSTREAM_FIT_V1 = {
    "X_train", "y_train", "train_test_split", "prefit_random_forest", "random_state",
    "max_depth", "validation_size_fraction", "training_set", "survived", "pclass", "fare",
    "age_filled", "age", "family_size", "sibsp", "parch", "is_child", "sex_category", "sex",
    "sex_encoder", "titanic_data", "location", "index_col", "target_col",
}  # fmt: skip
# demo/encoders feeds the cabin and port encodings into the training set ...
ADDED_BY_ENCODERS = {
    "cabin", "cabin_type", "cabin_encoder", "cabin_category",
    "embarked", "embarked_encoder", "embarked_category",
}  # fmt: skip
# ... demo/rename swaps family_size for family_count and demo/remove drops is_child.
UPSTREAM_FIT_MAIN = (UPSTREAM_FIT_V1 | ADDED_BY_ENCODERS | {"family_count"}) - {
    "family_size",
    "is_child",
}
COLUMNS_FEEDING_THE_MODEL = {
    "pclass", "age", "fare", "sibsp", "parch", "sex", "cabin", "embarked", "survived",
}  # fmt: skip
DOWNSTREAM_SEX = {
    "sex_encoder", "sex_category", "encoders", "training_set", "train_test_split",
    "X_train", "X_test", "y_train", "y_test", "fit_random_forest",
    "validation_predictions", "validation_accuracy",
}  # fmt: skip


@pytest.fixture(scope="module")
def context(indexed_demo: IndexedDemo) -> Iterator[handle.QueryHandle]:
    with handle.opened(str(indexed_demo.repo), str(indexed_demo.db)) as opened:
        yield opened


def cli(demo: IndexedDemo, *args: str) -> tuple[int, str, str]:
    result = run_cli(*args, "--repo", str(demo.repo), "--db", str(demo.db))
    return result.returncode, result.stdout, result.stderr


def cli_json(demo: IndexedDemo, *args: str):  # type: ignore[no-untyped-def]
    code, out, err = cli(demo, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def tags_of(demo: IndexedDemo, entries: list[dict]) -> list[str]:
    by_sha = {sha: tag for tag, sha in demo.shas.items()}
    return [by_sha[entry["sha"]] for entry in entries]


def log_of(context: handle.QueryHandle, demo: IndexedDemo, node: str, rev: str = "HEAD",
           follow: bool = False) -> list[tuple[str, object]]:  # fmt: skip
    by_sha = {sha: tag for tag, sha in demo.shas.items()}
    result = node_log.log(context, node, rev, follow=follow)
    return [(by_sha[e.commit.sha], e.change) for e in result.entries]


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# -- log --------------------------------------------------------------------------------------


def test_log_of_a_node_changed_in_exactly_two_commits_lists_exactly_those(
    indexed_demo: IndexedDemo,
) -> None:
    entries = cli_json(indexed_demo, "log", "fit_random_forest")
    assert tags_of(indexed_demo, entries) == ["demo/doc", "demo/v1"]
    assert [e["change"] for e in entries] == [["doc"], "added"]
    assert set(entries[0]) >= {"sha", "date", "author", "subject", "change"}
    assert entries[0]["sha"] == indexed_demo.shas["demo/doc"]
    assert entries[0]["author"] == "Mei Chen"
    assert entries[0]["subject"] == "Say what the fitted forest is for"
    assert entries[0]["date"].startswith("2024-01-")


def test_log_table_names_commits_changes_and_details(indexed_demo: IndexedDemo) -> None:
    code, out, err = cli(indexed_demo, "log", "sex")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("log of sex from HEAD")
    assert indexed_demo.shas["demo/sex-pii"][:10] in lines[3] and "Tag sex as PII" in lines[3]
    assert lines[4].strip() == "PII: (none) -> true"
    assert "importance: prototype -> production" in out


def test_log_of_an_extract_columns_column(context, indexed_demo: IndexedDemo) -> None:
    assert log_of(context, indexed_demo, "sex") == [
        ("demo/production", ("tags",)),
        ("demo/sex-pii", ("tags",)),
        ("demo/v1", "added"),
    ]
    entries = node_log.log(context, "sex").entries
    assert entries[0].details == ("importance: prototype -> production",)
    assert entries[1].details == ("PII: (none) -> true",)


def test_log_of_external_inputs(context, indexed_demo: IndexedDemo) -> None:
    assert log_of(context, indexed_demo, "max_depth") == [
        ("demo/type", ("type",)),
        ("demo/v1", "added"),
    ]
    assert node_log.log(context, "max_depth").entries[0].details == ("type int -> int | None",)
    # random_state goes from external input to function
    log = node_log.log(context, "random_state").entries
    assert [(e.change, e.details[-1]) for e in log[:1]] == [
        (("code", "tags", "doc", "role"), "role input -> function")
    ]
    assert log[1].change == "added" and log[1].commit.sha == indexed_demo.shas["demo/v1"]


def test_log_of_code_and_dependency_changes(context, indexed_demo: IndexedDemo) -> None:
    assert log_of(context, indexed_demo, "encoders") == [
        ("demo/encoders", ("code", "dependencies")),
        ("demo/v1", "added"),
    ]
    details = node_log.log(context, "encoders").entries[0].details
    assert details == ("+dep cabin_encoder", "+dep embarked_encoder")


def test_log_looks_across_the_failed_build(context, indexed_demo: IndexedDemo) -> None:
    # demo/broken fails to build and demo/fixed builds the demo/config DAG again: neither is
    # a removal or an addition of anything.
    assert log_of(context, indexed_demo, "age_filled") == [
        ("demo/config", ("code", "doc")),
        ("demo/v1", "added"),
    ]
    for node in ("titanic_data", "training_set", "encoders", "location"):
        tags = [tag for tag, _ in log_of(context, indexed_demo, node)]
        assert "demo/broken" not in tags and "demo/fixed" not in tags


def test_log_follows_the_history_of_the_revision(context, indexed_demo: IndexedDemo) -> None:
    assert log_of(context, indexed_demo, "encoders", "experiment") == [
        ("demo/side", ("code", "dependencies")),
        ("demo/encoders", ("code", "dependencies")),
        ("demo/v1", "added"),
    ]
    assert log_of(context, indexed_demo, "title", "experiment") == [("demo/side-title", "added")]
    assert log_of(context, indexed_demo, "is_child") == [
        ("demo/remove", "removed"),
        ("demo/v1", "added"),
    ]


def test_log_follow_across_the_rename(indexed_demo: IndexedDemo) -> None:
    followed = cli_json(indexed_demo, "log", "family_count", "--follow")
    assert tags_of(indexed_demo, followed) == ["demo/rename", "demo/code-only", "demo/v1"]
    assert [e["change"] for e in followed] == [["renamed"], ["code"], "added"]
    assert [e["node"] for e in followed] == ["family_count", "family_size", "family_size"]
    assert followed[0]["renamed_from"] == "family_size"

    unfollowed = cli_json(indexed_demo, "log", "family_count")
    assert tags_of(indexed_demo, unfollowed) == ["demo/rename"]
    assert unfollowed[0]["change"] == "added"
    assert unfollowed[0]["renamed_from"] == "family_size"


def test_log_of_the_old_name_ends_in_the_rename(context, indexed_demo: IndexedDemo) -> None:
    assert log_of(context, indexed_demo, "family_size") == [
        ("demo/rename", "removed"),
        ("demo/code-only", ("code",)),
        ("demo/v1", "added"),
    ]
    assert node_log.log(context, "family_size").entries[0].renamed_to == "family_count"


@pytest.fixture(scope="module")
def merged(indexed_demo: IndexedDemo, tmp_path_factory: pytest.TempPathFactory) -> IndexedDemo:
    """The indexed demo plus two merges of `experiment`: one into `main` that keeps main's
    files (`-s ours`), one real merge into a branch `merged` made at demo/fixed."""
    root = tmp_path_factory.mktemp("merges")
    repo, db = root / "titanic", root / "lineage.sqlite"
    shutil.copytree(indexed_demo.repo, repo, symlinks=True)
    shutil.copy(indexed_demo.db, db)
    git(repo, "merge", "-q", "-s", "ours", "experiment", "-m", "Merge experiment, keep main")
    git(repo, "checkout", "-q", "-b", "merged", "demo/fixed")
    git(repo, "merge", "-q", "--no-ff", "experiment", "-m", "Merge experiment")
    git(repo, "checkout", "-q", "main")
    result = run_cli("index", "--all", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return IndexedDemo(repo, db, indexed_demo.shas)


def test_log_through_merges_walks_the_side_the_node_came_from(merged: IndexedDemo) -> None:
    with handle.opened(str(merged.repo), str(merged.db)) as opened:
        # main's merge kept main's encoders: the side branch's change is not main's history
        assert log_of(opened, merged, "encoders", "main") == [
            ("demo/encoders", ("code", "dependencies")),
            ("demo/v1", "added"),
        ]
        assert node_log.log(opened, "title", "main").entries == ()
        # the real merge took encoders and title from the side branch
        assert log_of(opened, merged, "encoders", "merged") == [
            ("demo/side", ("code", "dependencies")),
            ("demo/encoders", ("code", "dependencies")),
            ("demo/v1", "added"),
        ]
        assert log_of(opened, merged, "title", "merged") == [("demo/side-title", "added")]


# -- show -------------------------------------------------------------------------------------


def test_show_filters_by_tags(indexed_demo: IndexedDemo) -> None:
    shown = cli_json(indexed_demo, "show", "main", "--tag", "PII=true")
    assert shown["sha"] == indexed_demo.shas["demo/role"]
    assert [n["name"] for n in shown["nodes"]] == ["age", "sex"]
    assert shown["nodes"][0]["dependencies"] == ["titanic_data"]
    assert shown["nodes"][0]["type"] == "pandas.Series"
    assert shown["nodes"][0]["tags"]["source"] == "prod.titanic"


def test_show_ands_tag_filters_and_key_alone_means_has_the_tag(context) -> None:
    def names(rev: str, *filters: str, role: str | None = None) -> set[str]:
        parsed = selectors.parse_tag_filters(filters)
        return {n.name for n in at_commit.show(context, rev, tags=parsed, role=role).nodes}

    assert names("demo/v1", "PII=true") == {"age"}
    assert names("main", "PII=true", "importance=production") == {"age", "sex"}
    assert names("demo/encoders", "PII=true", "importance=production") == set()
    assert names("main", "artifact") == {"encoders", "training_set", "fit_random_forest"}
    assert names("main", "artifact", "owner=data-science") == {
        "encoders",
        "training_set",
        "fit_random_forest",
    }
    inputs = {"age_imputation", "index_col", "location", "max_depth", "target_col",
              "validation_size_fraction"}  # fmt: skip
    assert names("main", role="input") == inputs
    assert names("demo/remove", role="input") == inputs | {"random_state"}


def test_show_table(indexed_demo: IndexedDemo) -> None:
    code, out, err = cli(indexed_demo, "show", "demo/v1", "--tag", "PII", "--role", "function")
    assert code == 0, err
    lines = out.splitlines()
    assert "1 function node with PII" in lines[0]
    assert lines[1].split() == ["NAME", "ROLE", "TYPE", "DEPENDENCIES", "TAGS"]
    assert lines[2].split()[:4] == ["age", "function", "pandas.Series", "titanic_data"]


# -- upstream / downstream / path -------------------------------------------------------------


def test_upstream_at_v1_and_at_main_differ_by_the_story(indexed_demo: IndexedDemo) -> None:
    at_v1 = cli_json(indexed_demo, "upstream", "fit_random_forest", "--at", "demo/v1")
    at_main = cli_json(indexed_demo, "upstream", "fit_random_forest")
    v1_names = {n["name"] for n in at_v1["nodes"]}
    main_names = {n["name"] for n in at_main["nodes"]}
    assert v1_names == UPSTREAM_FIT_V1
    assert main_names == UPSTREAM_FIT_MAIN
    assert main_names - v1_names == ADDED_BY_ENCODERS | {"family_count"}
    assert v1_names - main_names == {"family_size", "is_child"}
    distances = {n["name"]: n["distance"] for n in at_main["nodes"]}
    assert {n for n, d in distances.items() if d == 1} == {
        "X_train",
        "y_train",
        "prefit_random_forest",
    }


def test_upstream_after_encoders_adds_exactly_the_encodings(context) -> None:
    def upstream_names(rev: str) -> set[str]:
        return {n.name for n, _ in at_commit.upstream(context, "fit_random_forest", rev).nodes}

    assert upstream_names("demo/encoders") - upstream_names("demo/sex-pii") == ADDED_BY_ENCODERS
    assert upstream_names("demo/sex-pii") - upstream_names("demo/encoders") == set()


def test_upstream_with_a_tag_filter(indexed_demo: IndexedDemo) -> None:
    result = cli_json(indexed_demo, "upstream", "fit_random_forest", "--tag", "source")
    assert {n["name"] for n in result["nodes"]} == COLUMNS_FEEDING_THE_MODEL | {"titanic_data"}
    result = cli_json(
        indexed_demo, "upstream", "fit_random_forest", "--tag", "source", "--at", "demo/v1"
    )
    assert {n["name"] for n in result["nodes"]} == COLUMNS_FEEDING_THE_MODEL - {
        "cabin",
        "embarked",
    } | {"titanic_data"}


def test_which_artifact_nodes_consume_pii(indexed_demo: IndexedDemo) -> None:
    result = cli_json(indexed_demo, "downstream", "sex", "--tag", "artifact")
    assert [(n["name"], n["distance"]) for n in result["nodes"]] == [
        ("encoders", 2),
        ("training_set", 2),
        ("fit_random_forest", 5),
    ]
    code, out, _ = cli(indexed_demo, "downstream", "sex", "--tag", "artifact")
    assert code == 0 and "3 nodes with artifact" in out.splitlines()[0]


def test_downstream_of_sex(context) -> None:
    assert {n.name for n, _ in at_commit.downstream(context, "sex").nodes} == DOWNSTREAM_SEX
    assert at_commit.downstream(context, "validation_accuracy").nodes == ()


def test_path_age_to_fit_random_forest(indexed_demo: IndexedDemo) -> None:
    result = cli_json(indexed_demo, "path", "age", "fit_random_forest")
    split = ["age", "age_filled", "training_set", "train_test_split"]
    assert result["paths"] == [
        [*split, "X_train", "fit_random_forest"],
        [*split, "y_train", "fit_random_forest"],
    ]
    assert result["path_count"] == 2
    assert [n["name"] for n in result["nodes"]] == [
        "age", "age_filled", "training_set", "train_test_split", "X_train", "y_train",
        "fit_random_forest",
    ]  # fmt: skip
    assert ["age_filled", "training_set"] in result["edges"]
    code, out, _ = cli(indexed_demo, "path", "age", "fit_random_forest")
    assert code == 0
    assert "  age -> age_filled -> training_set -> train_test_split -> X_train -> " in out


def test_path_at_v1_goes_through_is_child_too(context) -> None:
    result = at_commit.path(context, "age", "fit_random_forest", "demo/v1")
    assert result.path_count == 4
    assert {n.name for n in result.nodes} == {
        "age", "age_filled", "is_child", "training_set", "train_test_split", "X_train",
        "y_train", "fit_random_forest",
    }  # fmt: skip
    tagged = at_commit.path(
        context, "age", "fit_random_forest", "main", tags=selectors.parse_tag_filters(["artifact"])
    )
    assert [n.name for n in tagged.nodes] == ["training_set", "fit_random_forest"]


def test_no_path_exits_1_and_points_the_other_way(indexed_demo: IndexedDemo) -> None:
    code, out, _ = cli(indexed_demo, "path", "fit_random_forest", "age")
    assert code == 1
    assert "no path from fit_random_forest to age" in out
    assert "try `path age fit_random_forest`" in out
    code, out, _ = cli(indexed_demo, "path", "ticket_type", "fit_random_forest")
    assert code == 1 and "try" not in out


# -- blame ------------------------------------------------------------------------------------


def test_blame_pii(indexed_demo: IndexedDemo) -> None:
    lines = cli_json(indexed_demo, "blame", "PII=true")
    assert [(b["node"], b["sha"]) for b in lines] == [
        ("age", indexed_demo.shas["demo/v1"]),
        ("sex", indexed_demo.shas["demo/sex-pii"]),
    ]
    assert lines[1]["subject"] == "Tag sex as PII"
    assert lines[1]["author"] == "Priya Raman"
    code, out, _ = cli(indexed_demo, "blame", "PII")
    assert code == 0
    sex_line = next(line for line in out.splitlines() if line.startswith("sex "))
    assert indexed_demo.shas["demo/sex-pii"][:10] in sex_line and "Tag sex as PII" in sex_line


def test_blame_key_alone_finds_the_current_value(context, indexed_demo: IndexedDemo) -> None:
    result = tag_blame.blame(context, selectors.TagFilter.parse("importance"), "main")
    by_node = {line.node: (line.value, line.commit.sha) for line in result.lines}
    production = indexed_demo.shas["demo/production"]
    table = {"titanic_data", "pclass", "name", "sex", "age", "sibsp", "parch", "ticket",
             "fare", "cabin", "embarked", "survived"}  # fmt: skip
    assert by_node == {
        **{node: ("production", production) for node in table},
        "fit_random_forest": ("production", indexed_demo.shas["demo/v1"]),
    }
    # with the value given, the prototype tag goes back to the first pipeline
    before = tag_blame.blame(
        context, selectors.TagFilter.parse("importance=prototype"), "demo/type"
    )
    assert before.lines == ()
    old = tag_blame.blame(
        context, selectors.TagFilter.parse("importance=prototype"), "demo/encoders"
    )
    assert {line.commit.sha for line in old.lines} == {indexed_demo.shas["demo/v1"]}


def test_blame_walks_over_the_failed_build(context, indexed_demo: IndexedDemo) -> None:
    result = tag_blame.blame(context, selectors.TagFilter.parse("PII=true"), "demo/fixed")
    assert {line.node: line.commit.sha for line in result.lines} == {
        "age": indexed_demo.shas["demo/v1"],
        "sex": indexed_demo.shas["demo/sex-pii"],
    }


# -- without the repository -------------------------------------------------------------------


@pytest.fixture(scope="module")
def database_only(indexed_demo: IndexedDemo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the indexed repository and its database, with the repository then deleted."""
    root = tmp_path_factory.mktemp("database-only")
    shutil.copytree(indexed_demo.repo, root / "titanic", symlinks=True)
    shutil.copy(indexed_demo.db, root / "lineage.sqlite")
    shutil.rmtree(root / "titanic")
    return root


def test_queries_answer_from_the_database_alone(
    database_only: Path, indexed_demo: IndexedDemo
) -> None:
    main_sha = indexed_demo.shas["demo/role"]
    v1_sha = indexed_demo.shas["demo/v1"]

    def run(*args: str) -> str:
        # no --repo, and the working directory is no repository: the database alone answers
        result = run_cli(*args, "--db", "lineage.sqlite", cwd=database_only)
        assert result.returncode == 0, result.stderr
        return result.stdout

    log = json.loads(run("log", "family_count", main_sha, "--follow", "--format", "json"))
    assert [e["change"] for e in log] == [["renamed"], ["code"], "added"]
    shown = json.loads(run("show", main_sha, "--tag", "PII=true", "--format", "json"))
    assert [n["name"] for n in shown["nodes"]] == ["age", "sex"]
    upstream = json.loads(run("upstream", "fit_random_forest", "--at", v1_sha, "--format", "json"))
    assert {n["name"] for n in upstream["nodes"]} == UPSTREAM_FIT_V1
    assert "sex" in run("blame", "PII=true", main_sha)
    assert run("path", "age", "fit_random_forest", "--at", main_sha).startswith("2 paths")
    # refs as last indexed work too
    assert json.loads(run("downstream", "sex", "--at", "main", "--format", "json"))["sha"] == (
        main_sha
    )


def test_database_alone_with_the_repository_named(
    database_only: Path, indexed_demo: IndexedDemo
) -> None:
    sha = indexed_demo.shas["demo/sex-pii"]
    args = ("blame", "PII", sha, "--repo", "titanic", "--db", "lineage.sqlite", "-f", "json")
    result = run_cli(*args, cwd=database_only)
    assert result.returncode == 0, result.stderr
    assert [(b["node"], b["sha"]) for b in json.loads(result.stdout)] == [
        ("age", indexed_demo.shas["demo/v1"]),
        ("sex", sha),
    ]


def test_queries_never_import_hamilton_pandas_or_sklearn(indexed_demo: IndexedDemo) -> None:
    common = ["--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db)]
    commands = [
        ["log", "family_count", "--follow"],
        ["show", "main", "--tag", "PII"],
        ["upstream", "fit_random_forest"],
        ["downstream", "sex"],
        ["path", "age", "fit_random_forest"],
        ["blame", "PII=true"],
        ["viz", "main", "--base", "demo/v1", "-o", str(indexed_demo.repo.parent / "q.mmd")],
        ["diff", "demo/v1", "main", "--format", "markdown"],
    ]
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from lineage_history.cli import app\n"
        f"for args in {[c + common for c in commands]!r}:\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        "print(sorted(m for m in ('hamilton', 'pandas', 'sklearn') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["upstream", "sexx"], "unknown node 'sexx' at HEAD ("),
        (["downstream", "fit_random_forrest", "--at", "demo/v1"], "did you mean fit_random_forest"),
        (["path", "age", "training_sett"], "did you mean training_set"),
        (["log", "family_sise"], "did you mean family_size"),
        (["log", "title"], "unknown node 'title' in the history of HEAD"),
        (["upstream", "zzzzzz"], "unknown node 'zzzzzz' at HEAD"),
        (["show", "nope"], "unknown revision"),
        (["log", "sex", "nope"], "unknown revision"),
        (["upstream", "sex", "--at", "nope"], "unknown revision"),
        (["show", "main", "--tag", "=x"], "bad tag filter '=x'"),
        (["blame", "=true"], "bad tag filter"),
        (["show", "main", "--dag", "nope"], "unknown DAG 'nope'"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    indexed_demo: IndexedDemo, args: list[str], message: str
) -> None:
    code, out, err = cli(indexed_demo, *args)
    assert code == 2, (out, err)
    line = one_error_line(err)
    assert message in line
    if "did you mean" in message:
        assert line.endswith("?")


def test_unknown_node_suggestions_are_one_line(indexed_demo: IndexedDemo) -> None:
    code, _, err = cli(indexed_demo, "upstream", "sexx")
    assert code == 2
    assert one_error_line(err).endswith("did you mean sex?")


def test_a_failed_build_is_an_error_for_show(indexed_demo: IndexedDemo) -> None:
    code, _, err = cli(indexed_demo, "show", "demo/broken")
    assert code != 0
    assert "failed to build" in one_error_line(err)
