"""The output contract, command by command: the `--format json` shape of every command that
has one (docs/json.md), checked on the demo history. `contract.py` builds them all;
a key renamed or dropped there fails here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import IndexedDemo, run_cli

COMMIT = {"sha", "date", "author", "author_email", "subject"}
NODE = {"name", "type", "role", "tags", "dependencies"}


@pytest.fixture(scope="module")
def ask(indexed_demo: IndexedDemo) -> Any:
    def run(*args: str, status: int = 0) -> Any:
        where = ("--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db))
        result = run_cli(*args, "--format", "json", *where)
        assert result.returncode == status, result.stderr
        return json.loads(result.stdout)

    return run


def test_log(ask: Any) -> None:
    entries = ask("log", "family_count", "--follow")
    assert entries and all(
        set(e) == COMMIT | {"node", "change", "details", "renamed_from", "renamed_to", "stubbed"}
        for e in entries
    )
    assert {e["change"] if isinstance(e["change"], str) else "changes" for e in entries} >= {
        "added"
    }
    renamed = next(e for e in entries if e["renamed_from"])
    assert renamed["renamed_from"] == "family_size" and "renamed" in renamed["change"]


def test_log_reach(ask: Any) -> None:
    entries = ask("log", "--reach", "sex", "fit_random_forest")
    assert entries and all(set(e) == COMMIT | {"change", "path"} for e in entries)
    assert {e["change"] for e in entries} <= {"started", "stopped"}
    assert entries[-1]["path"][0] == "sex" and entries[-1]["path"][-1] == "fit_random_forest"


def test_show(ask: Any) -> None:
    shown = ask("show", "main", "--tag", "PII=true")
    assert set(shown) == {"dag", "rev", "sha", "stubbed", "nodes"}
    assert shown["rev"] == "main" and shown["stubbed"] == [] and len(shown["sha"]) == 40
    assert {n["name"] for n in shown["nodes"]} >= {"age", "sex"}
    assert all(set(n) == NODE for n in shown["nodes"])


@pytest.mark.parametrize("direction", ["upstream", "downstream"])
def test_upstream_and_downstream(ask: Any, direction: str) -> None:
    node = "fit_random_forest" if direction == "upstream" else "sex"
    related = ask(direction, node)
    assert set(related) == {"dag", "rev", "sha", "node", "direction", "nodes"}
    assert related["direction"] == direction and related["node"] == node
    assert all(set(n) == NODE | {"distance"} for n in related["nodes"])
    assert related["nodes"][0]["distance"] == 1


def test_path(ask: Any) -> None:
    found = ask("path", "age", "fit_random_forest", "--at", "demo/v1")
    assert set(found) == {"dag", "rev", "sha", "from", "to", "nodes", "edges", "paths"} | {
        "path_count"
    }
    assert found["rev"] == "demo/v1" and found["path_count"] >= len(found["paths"]) > 0
    assert all(p[0] == "age" and p[-1] == "fit_random_forest" for p in found["paths"])
    assert all(len(e) == 2 for e in found["edges"])


def test_blame(ask: Any) -> None:
    lines = ask("blame", "PII=true")
    assert lines and all(set(line) == COMMIT | {"node", "value"} for line in lines)
    assert {line["node"] for line in lines} >= {"age", "sex"}


def test_status(ask: Any) -> None:
    data = ask("status")
    assert set(data) == {
        "commits",
        "snapshots",
        "failed",
        "last_run",
        "dag_commits",
        "behind",
        "failures",
    }
    assert set(data["dag_commits"]) == {"ok", "stubbed", "failed"}
    assert data["failed"] == len({f["sha"] for f in data["failures"]}) == 1
    assert all(set(f) == {"sha", "dag", "error"} for f in data["failures"])
    assert set(data["last_run"]) >= {"started_at", "finished_at", "status", "seen", "built"}


def test_status_of_every_repository(ask: Any) -> None:
    (data,) = ask("status", "--all-repos")["repositories"]
    assert {"name", "identity", "path", "behind", "commits", "dag_commits"} <= set(data)


def test_dags(ask: Any) -> None:
    (listing,) = ask("dags", "main")
    assert {"name", "modules", "config", "source", "status", "stubbed"} <= set(listing)
    assert listing["name"] == "titanic" and listing["status"] == "ok"


def test_check(ask: Any, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rules]]\nname = "no pii in the model"\n'
        'forbid_path = { from = "PII=true", to = "artifact" }\n'
        '[[rules]]\nname = "owned"\nrequire_tags = ["owner"]\n'
    )
    report = ask("check", "main", "--rules", str(rules), status=1)
    assert set(report) == {"violations"} and report["violations"]
    keys = {"rule", "from", "to", "path", "node", "missing", "new"}
    assert all(set(v) == keys for v in report["violations"])
    assert {v["rule"] for v in report["violations"]} == {"no pii in the model", "owned"}
