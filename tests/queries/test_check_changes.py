"""`check` over a change judges violations, not reachability: a violation is new when it was
not one at the base, whatever the graph looked like there. With no revision it judges what the
working tree (or, `--staged`, the index) introduces against HEAD, as a pre-commit hook needs."""

from __future__ import annotations

import json

import pytest

from tests.fixtures import Repo, git, run_cli

RULES = """
[dags.main]
modules = ["pipe/features.py", "pipe/model.py"]

[[rules]]
name = "no-pii-in-models"
forbid_path = { from = "pii=true", to = "artifact=model" }

[[rules]]
name = "owned"
require_tags = ["owner"]
where = "module=features"
"""
FEATURES = """
from hamilton.function_modifiers import tag


@tag(owner="data")
def email(raw: dict) -> str:
    return raw["email"]


@tag(owner="data", pii="true")
def phone(raw: dict) -> str:
    return raw["phone"]


@tag(owner="data")
def features(email: str) -> list:
    return [email]


def helper(raw: dict) -> int:
    return len(raw)
"""
MODEL = """
from hamilton.function_modifiers import tag


@tag(artifact="model", owner="ml")
def model(features: list) -> dict:
    return {"weights": features}
"""
TAGGED = FEATURES.replace(
    '@tag(owner="data")\ndef email', '@tag(owner="data", pii="true")\ndef email'
)
PHONE_FEEDS = FEATURES.replace("def features(email: str)", "def features(email: str, phone: str)")
TOUCHED_HELPER = FEATURES.replace("return len(raw)", "return len(raw) + 1")
BOTH_PATHS = PHONE_FEEDS.replace(
    "def helper(raw: dict) -> int:", "def helper(raw: dict, phone: str) -> int:"
)


def check(repo: Repo, *args: str) -> tuple[int, list[dict]]:
    result = run_cli("check", *args, "-f", "json", "--repo", str(repo.path), "--db", str(repo.db))
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["violations"]


def pairs(found: list[dict]) -> list[tuple]:
    return [(v["rule"], v["from"] or v["node"], v["to"], v["new"]) for v in found]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[str, str]]:
    repo = Repo(tmp_path_factory.mktemp("check-changes") / "repo")
    files = {"lineage-history.toml": RULES, "pipe/features.py": FEATURES, "pipe/model.py": MODEL}
    shas = {"base": repo.commit("base", files)}
    shas["tagged"] = repo.commit("email is PII", {"pipe/features.py": TAGGED})
    git(repo.path, "checkout", "-q", "-b", "side", shas["base"])
    shas["phone"] = repo.commit("phone feeds the model", {"pipe/features.py": PHONE_FEEDS})
    shas["helper"] = repo.commit("touch the untagged helper", {"pipe/features.py": TOUCHED_HELPER})
    git(repo.path, "checkout", "-q", "main")
    repo.index("--all")
    return repo, shas


def test_tagging_a_column_that_already_feeds_the_model_is_a_new_violation(history) -> None:
    repo, shas = history
    code, found = check(repo, shas["base"], shas["tagged"])
    assert code == 1
    assert pairs(found) == [("no-pii-in-models", "email", "model", True)]
    assert found[0]["path"] == ["email", "features", "model"]


def test_a_violation_already_there_is_not_new(history) -> None:
    repo, shas = history
    assert check(repo, shas["phone"], shas["helper"]) == (0, [])  # untagged helper touched
    assert pairs(check(repo, shas["phone"])[1]) == [
        ("no-pii-in-models", "phone", "model", False),
        ("owned", "helper", None, False),
    ]


def test_a_change_reported_by_violations_not_by_the_graph(history) -> None:
    repo, shas = history
    code, found = check(repo, f"{shas['base']}..{shas['phone']}")
    assert code == 1 and pairs(found) == [("no-pii-in-models", "phone", "model", True)]


@pytest.fixture
def working(history):  # type: ignore[no-untyped-def]
    """The repository, restored after a test that edits its working tree and index."""
    repo, shas = history
    yield repo, shas
    git(repo.path, "reset", "-q", "--hard", "main")


@pytest.mark.slow
def test_check_alone_judges_what_the_working_tree_introduces(working) -> None:
    repo, shas = working
    assert check(repo) == (0, [])  # the working tree is HEAD's: nothing introduced
    repo.write({"pipe/features.py": BOTH_PATHS})
    code, found = check(repo)
    assert code == 1
    assert pairs(found) == [("no-pii-in-models", "phone", "model", True)]
    text = repo.cli("check", ok=False)
    assert f"HEAD ({shas['tagged'][:10]}) → working tree" in text.stdout
    assert "1 new violation" in text.stdout
    # every violation at HEAD, the one the change did not introduce included
    assert pairs(check(repo, "HEAD")[1]) == [
        ("no-pii-in-models", "email", "model", False),
        ("owned", "helper", None, False),
    ]


def test_check_staged_judges_the_index_only(working) -> None:
    repo, _ = working
    repo.write({"pipe/features.py": BOTH_PATHS})
    git(repo.path, "add", "pipe/features.py")
    repo.write({"pipe/features.py": TAGGED})  # unstaged: undoes the change in the tree
    assert check(repo) == (0, [])
    code, found = check(repo, "--staged")
    assert code == 1 and pairs(found) == [("no-pii-in-models", "phone", "model", True)]


def test_check_staged_takes_no_revision(history) -> None:
    result = history[0].cli("check", "HEAD", "--staged", ok=False)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "check --staged takes no revision: it judges the index against HEAD"
    )
