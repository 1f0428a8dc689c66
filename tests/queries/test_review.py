"""Pull-request review on a real repository whose history moves a PII column into a model and
out again: `check` (lineage rules at a revision and over a change) and `log --reach`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from lineage_history.store.database import HEAD_REVISION
from tests.fixtures import ROOT, commit_files, git, run_cli

DAGS_AND_RULES = """
[dags.main]
modules = ["pipe/features.py", "pipe/model.py"]

[[rules]]
name = "no-pii-in-models"
forbid_path = { from = "pii=true", to = "artifact=model" }

[[rules]]
name = "owned-features"
require_tags = ["owner"]
where = "module=features"
"""

FEATURES = """
from hamilton.function_modifiers import tag


@tag(pii="true", owner="data")
def email(raw: dict) -> str:
    return raw["email"]


@tag(owner="data")
def age(raw: dict) -> int:
    return raw["age"]


@tag(owner="data")
def features(age: int) -> list:
    return [age]
"""

MODEL = """
from hamilton.function_modifiers import tag


@tag(artifact="model", owner="ml")
def model(features: list) -> dict:
    \"\"\"The model.\"\"\"
    return {"weights": features}
"""

UNOWNED_BUCKET = """

def age_bucket(age: int) -> str:
    return "old" if age > 40 else "young"
"""


def commit(repo: Path, message: str, files: dict[str, str]) -> str:
    return commit_files(repo, files, message)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """main: base -> unowned helper -> PII reaches the model -> doc -> broken -> fixed -> PII
    dropped; branch `feature` (from `helper`): a tag lost, the helper touched, a node added."""
    repo = tmp_path_factory.mktemp("review") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    features = FEATURES
    shas = {"base": commit(repo, "base", {"lineage-history.toml": DAGS_AND_RULES,
                                          "pipe/features.py": features,
                                          "pipe/model.py": MODEL})}  # fmt: skip
    features += UNOWNED_BUCKET
    shas["helper"] = commit(repo, "unowned helper", {"pipe/features.py": features})
    with_pii = features.replace("def features(age: int)", "def features(age: int, email: str)")
    shas["pii"] = commit(repo, "PII reaches the model", {"pipe/features.py": with_pii})
    documented = MODEL.replace("The model.", "The fitted model.")
    shas["doc"] = commit(repo, "model doc", {"pipe/model.py": documented})
    shas["broken"] = commit(repo, "broken", {"pipe/model.py": documented + "\ndef (:\n"})
    shas["fixed"] = commit(repo, "fixed", {"pipe/model.py": documented})
    shas["dropped"] = commit(repo, "drop PII from the features", {"pipe/features.py": features})
    git(repo, "checkout", "-q", "-b", "feature", shas["helper"])
    touched = features.replace('"old" if age > 40', '"old" if age >= 40').replace(
        '@tag(owner="data")\ndef age', "def age"
    )
    touched += "\n\ndef score(age_bucket: str) -> int:\n    return len(age_bucket)\n"
    unowned_model = documented + "\n\ndef model_size(model: dict) -> int:\n    return 1\n"
    shas["feature"] = commit(
        repo, "feature work", {"pipe/features.py": touched, "pipe/model.py": unowned_model}
    )
    git(repo, "checkout", "-q", "main")
    db = repo.parent / "lineage.sqlite"
    result = run_cli("index", "--all", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return repo, db, shas


def cli(history: tuple[Path, Path, dict[str, str]], *args: str) -> tuple[int, str, str]:
    repo, db, _ = history
    result = run_cli(*args, "--repo", str(repo), "--db", str(db))
    return result.returncode, result.stdout, result.stderr


def check_json(history: tuple[Path, Path, dict[str, str]], *args: str) -> tuple[int, Any]:
    code, out, err = cli(history, "check", *args, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)["violations"]


PII_PATH = {
    "rule": "no-pii-in-models",
    "from": "email",
    "to": "model",
    "path": ["email", "features", "model"],
    "node": None,
    "missing": None,
}


def untagged(node: str, new: bool) -> dict[str, Any]:
    return {"rule": "owned-features", "from": None, "to": None, "path": None, "node": node,
            "missing": ["owner"], "new": new}  # fmt: skip


def test_rules_beside_dags_leave_the_dag_definition_intact(history) -> None:
    code, out, err = cli(history, "show", "main", "--format", "json")
    assert code == 0, err
    nodes = {n["name"]: n for n in json.loads(out)["nodes"]}
    assert {"email", "age", "features", "model", "age_bucket"} <= set(nodes)
    assert nodes["age"]["tags"]["module"] == "features"


def test_check_one_revision_lists_every_violation(history) -> None:
    shas = history[2]
    assert check_json(history, shas["base"]) == (0, [])
    assert check_json(history, shas["helper"]) == (1, [untagged("age_bucket", False)])
    assert check_json(history, shas["pii"]) == (
        1,
        [{**PII_PATH, "new": False}, untagged("age_bucket", False)],
    )


def test_check_a_change_reports_only_what_it_introduces(history) -> None:
    shas = history[2]
    # age_bucket was already untagged and did not change: only the PII path is new
    assert check_json(history, shas["helper"], shas["pii"]) == (1, [{**PII_PATH, "new": True}])
    assert check_json(history, f"{shas['helper']}..{shas['pii']}")[1] == [{**PII_PATH, "new": True}]


def test_check_a_change_that_introduces_nothing_exits_0(history) -> None:
    shas = history[2]
    # the model's doc changed, but the PII path and age_bucket were there already
    code, out, err = cli(history, "check", shas["pii"], shas["doc"])
    assert code == 0, err
    assert "0 new violations" in out or "0 violations" in out
    assert check_json(history, shas["fixed"], shas["dropped"]) == (0, [])


def test_check_a_branch_from_its_merge_base(history) -> None:
    # a lost tag and a new untagged node (age_bucket, touched, was untagged already: not
    # new); model_size is in the model module, outside the rule's `where`
    code, found = check_json(history, "main...feature")
    assert code == 1
    assert found == [untagged("age", True), untagged("score", True)]


def test_check_markdown_names_the_rule_and_the_path(history) -> None:
    shas = history[2]
    code, out, _ = cli(history, "check", shas["helper"], shas["pii"], "--format", "markdown")
    assert code == 1
    assert "<code>no-pii-in-models</code>" in out
    assert "<code>email</code> → <code>features</code> → <code>model</code>" in out
    assert "1 new violation" in out


def test_check_markdown_escapes_user_text(history, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rules]]\nname = "<b>pii</b> | @team"\n'
        'forbid_path = { from = "pii", to = "artifact=model" }\n'
    )
    shas = history[2]
    code, out, _ = cli(history, "check", shas["pii"], "--rules", str(rules), "-f", "markdown")
    assert code == 1
    assert "<code>&lt;b&gt;pii&lt;/b&gt; &#124; &#64;team</code>" in out
    assert "<b>" not in out and "@team" not in out


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[[rules]]\nname = 'x'\nforbid_path = { from = 'pii' }\n", "'from' and 'to'"),
        ("[[rules]]\nname = 'x'\nrequire_tags = []\n", "require_tags must be"),
        ("[[rules]]\nforbid_path = { from = 'a', to = 'b' }\n", "'name' is required"),
        ("[[rules]]\nname = 'x'\n", "exactly one of"),
        ("[[rules]]\nname = 'x'\nrequire_tags = ['o']\nwho = 1\n", "unknown key(s) who"),
        ("[[rules]\nname = 'x'\n", "not valid TOML"),
        ("[dags.main]\nmodules = ['a.py']\n", "defines no [[rules]]"),
    ],
)
def test_a_broken_rule_file_exits_2_with_one_line(
    history, tmp_path: Path, content: str, fragment: str
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(content)
    code, out, err = cli(history, "check", "--rules", str(rules))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert fragment in err


@pytest.mark.slow
def test_rules_from_pyproject_and_a_file_with_rules_alone(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    rules_only = DAGS_AND_RULES.split("[[rules]]", 1)[1]
    pyproject = "[tool.lineage-history.dags.main]\nmodules = ['pipe/features.py']\n"
    commit(repo, "pipeline", {
        "pyproject.toml": pyproject,
        "lineage-history.toml": "[[rules]]" + rules_only,
        "pipe/features.py": FEATURES + UNOWNED_BUCKET,
    })  # fmt: skip
    db = tmp_path / "lineage.sqlite"
    assert run_cli("index", "--repo", str(repo), "--db", str(db)).returncode == 0
    common = ["--repo", str(repo), "--db", str(db), "--format", "json"]
    result = run_cli("check", "HEAD", *common)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["violations"] == [untagged("age_bucket", False)]
    # the rules are read from the working tree, whatever the revision
    (repo / "lineage-history.toml").unlink()
    (repo / "pyproject.toml").write_text(
        pyproject + "[[tool.lineage-history.rules]]\nname = 'all'\nrequire_tags = ['tier']\n"
    )
    result = run_cli("check", "HEAD", *common)
    assert result.returncode == 1
    assert {v["node"] for v in json.loads(result.stdout)["violations"]} == {
        "age", "age_bucket", "email", "features"
    }  # fmt: skip
    (repo / "pyproject.toml").write_text(pyproject)
    result = run_cli("check", "--repo", str(repo), "--db", str(db))
    assert result.returncode == 0 and "no rules defined: add `[[rules]]`" in result.stdout
    assert "README" not in result.stdout


# -- log --reach ------------------------------------------------------------------------------


def reach_json(history, *args: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    code, out, err = cli(history, "log", "--reach", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_log_reach_finds_when_pii_reached_the_model_and_when_it_stopped(history) -> None:
    shas = history[2]
    entries = reach_json(history, "email", "model")
    assert [(e["sha"], e["change"], e["path"]) for e in entries] == [
        (shas["dropped"], "stopped", ["email", "features", "model"]),
        (shas["pii"], "started", ["email", "features", "model"]),
    ]  # the failed build between them is neither
    assert entries[0]["subject"] == "drop PII from the features"
    # from an older revision, only what happened up to there (that one failed: said first)
    assert [
        (e["sha"], e["change"]) for e in reach_json(history, "email", "model", shas["broken"])
    ] == [
        (shas["broken"], "unknown"),
        (shas["pii"], "started"),
    ]
    # the feature branch never connected them
    assert reach_json(history, "email", "model", "feature") == []
    # a node that was always connected: it started where both appeared
    assert [(e["sha"], e["change"]) for e in reach_json(history, "age", "model")] == [
        (shas["base"], "started")
    ]


def test_log_reach_table_and_bad_input(history) -> None:
    code, out, _ = cli(history, "log", "--reach", "email", "model")
    assert code == 0
    lines = out.splitlines()
    assert "stopped" in lines[1] and "drop PII from the features" in lines[1]
    assert lines[2].strip() == "- email -> features -> model"
    assert "started" in lines[3] and lines[4].strip() == "+ email -> features -> model"
    code, _, err = cli(history, "log", "--reach", "email", "modle")
    assert code == 2 and "unknown node 'modle'" in err and "did you mean model" in err
    code, _, err = cli(history, "log")
    assert code == 2 and len(err.strip().splitlines()) == 1


# -- the CI review script (everything up to the post) -----------------------------------------

CI_DIR = ROOT / "scripts" / "ci"


def ci_script(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CI_DIR / "lineage_review.py"), *args],
        input=stdin, capture_output=True, text=True, cwd=cwd, timeout=600,
    )  # fmt: skip


def test_ci_cache_key_follows_the_base_and_the_schema() -> None:
    schema = f"{version('lineage-history')}-{HEAD_REVISION}"
    keyed = ci_script("cache-key", "--base", "a" * 40)
    assert keyed.returncode == 0
    assert keyed.stdout.strip() == f"lineage-history-{schema}-{'a' * 40}"
    prefix = ci_script("cache-key").stdout.strip()
    assert prefix == f"lineage-history-{schema}-" and keyed.stdout.startswith(prefix)
    assert ci_script("cache-key", "--base", "b" * 40).stdout != keyed.stdout


@pytest.mark.slow
def test_ci_review_indexes_builds_the_body_and_fails_on_new_violations(
    history, tmp_path: Path
) -> None:
    repo, _, shas = history
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "lineage-history-0.0.1-0001.sqlite").write_text("an older schema's database")
    body = tmp_path / "body.md"
    done = ci_script("review", "--base", "main", "--head", "feature", "--repo", str(repo),
                     "--cache-dir", str(cache), "--output", str(body))  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "new lineage rule violations" in done.stderr
    text = body.read_text()
    assert text.startswith("<!-- lineage-history-review -->\n## Lineage review: `main...feature`")
    # the diff from the merge base (the helper commit) to the branch, then the check
    assert f"merge-base(main, feature) ({shas['helper'][:10]})" in text
    assert "| modified | `age` | breaking; tags; owner: data -&gt; (none)" in text
    assert "| added | `score` |" in text
    # dropping the owner tag, contractual by default, breaks; the owners are named
    assert "**Bump: major** (1 breaking)" in text
    assert "- breaking: `age`: contractual tag owner changed or dropped" in text
    assert "**Owners to ask:** ml" in text
    assert "**2 new violations** of 2 rules" in text
    assert "<code>score</code> lacks <code>owner</code>" in text
    assert text.index("lineage diff") < text.index("lineage check")
    # the database was built in the cache directory, named by the schema; the stale one went
    assert [p.name for p in cache.glob("*.sqlite")] == [
        ci_script("db-path", "--cache-dir", str(cache)).stdout.strip().rsplit("/", 1)[1]
    ]
    # a change that introduces nothing passes, from the same (now warm) database
    done = ci_script("review", "--base", shas["pii"], "--head", shas["doc"], "--repo", str(repo),
                     "--cache-dir", str(cache), "--no-index")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "**0 new violations** of 2 rules" in done.stdout
    assert "| modified | `model` | non-breaking; doc" in done.stdout


def test_ci_review_reports_a_failed_review_in_the_body(history, tmp_path: Path) -> None:
    repo, db, shas = history
    broken_rules = tmp_path / "rules.toml"
    broken_rules.write_text("[[rules]]\nname = 'x'\n")
    done = ci_script("review", "--base", shas["helper"], "--head", shas["pii"], "--repo",
                     str(repo), "--db", str(db), "--no-index",
                     "--rules", str(broken_rules))  # fmt: skip
    assert done.returncode == 2
    assert "**The lineage check failed** (`lineage-history check" in done.stdout
    assert "give exactly one of forbid_path or require_tags" in done.stdout
    assert str(db) not in done.stdout  # no database URL (or password) in a public comment
    done = ci_script("review", "--base", shas["doc"], "--head", shas["broken"], "--repo",
                     str(repo), "--db", str(db), "--no-index")  # fmt: skip
    assert done.returncode == 2
    assert "**The lineage diff failed**" in done.stdout and "failed to build" in done.stdout


def test_ci_find_comment_in_github_pages_and_gitlab_notes() -> None:
    ours = "<!-- lineage-history-review -->\n## Lineage review"
    github_pages = json.dumps([{"id": 11, "body": "LGTM"}, {"id": 12, "body": None}]) + json.dumps(
        [{"id": 13, "body": ours}, {"id": 14, "body": ours}]
    )
    assert ci_script("find-comment", stdin=github_pages).stdout.strip() == "13"
    gitlab_notes = json.dumps([{"id": 7, "body": "x", "system": True}, {"id": 9, "body": ours}])
    assert ci_script("find-comment", stdin=gitlab_notes).stdout.strip() == "9"
    none = ci_script("find-comment", stdin="[]")
    assert none.returncode == 0 and none.stdout == ""


def test_ci_workflows_call_what_exists() -> None:
    workflows = [CI_DIR / "github-lineage-review.yml", CI_DIR / "gitlab-lineage-review.yml"]
    subcommands = {"cache-key", "db-path", "review", "find-comment"}
    for workflow in workflows:
        text = workflow.read_text()
        used = set(re.findall(r"/lineage_review\.py\" ([a-z-]+)", text))
        assert used and used <= subcommands, (workflow.name, used)
        assert 'post_comment.sh" ' in text or "post_comment.sh " in text
    assert subprocess.run(["bash", "-n", str(CI_DIR / "post_comment.sh")]).returncode == 0
    unknown = subprocess.run(
        ["bash", str(CI_DIR / "post_comment.sh"), "bitbucket", "body.md"], capture_output=True
    )
    assert unknown.returncode == 2
