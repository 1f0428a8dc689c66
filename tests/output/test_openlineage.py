"""`export --openlineage` on the demo history: one event per (DAG, commit) that changed its
lineage, with the commit's SHA, date, driver, owners and column lineage; the same run IDs on a
second export; NDJSON to a file and posts to a real local HTTP endpoint.

The OpenLineage spec's JSON schema files are not shipped by the client or any package this
project can install, so each event is checked against the spec's required structure here:
the RunEvent's required fields and their formats (RFC 3339 time, URIs, a UUID run ID, the
event type), and every facet's `_producer` and `_schemaURL`."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from lineage_history.demo.story import SIDE_STORY, STORY
from tests.fixtures import IndexedDemo, git, run_cli

EVENT_TYPES = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}
# The commits whose DAG differs from its parent's, as the story says what each step does.
CHANGING = {
    step.tag
    for step in (*STORY, *SIDE_STORY)
    if step.base is not None and not step.expect["fails"] and not step.expect["reuses_previous"]
}


def _uri(value: Any) -> bool:
    parsed = urlparse(value) if isinstance(value, str) else None
    return parsed is not None and bool(parsed.scheme) and bool(parsed.netloc or parsed.path)


def _facets_valid(facets: dict[str, Any], where: str) -> None:
    for name, facet in facets.items():
        assert _uri(facet["_producer"]), (where, name)
        assert _uri(facet["_schemaURL"]) and "#/$defs/" in facet["_schemaURL"], (where, name)


def check_run_event(event: dict[str, Any]) -> None:
    """The spec's required structure of a RunEvent (OpenLineage 2-0-2)."""
    assert {"eventTime", "producer", "schemaURL", "run", "job"} <= set(event)
    assert event["eventType"] in EVENT_TYPES
    assert datetime.fromisoformat(event["eventTime"]).tzinfo is not None
    assert _uri(event["producer"]) and event["schemaURL"].endswith(
        "OpenLineage.json#/$defs/RunEvent"
    )
    uuid.UUID(event["run"]["runId"])
    assert event["job"]["namespace"] and event["job"]["name"]
    _facets_valid(event["job"]["facets"], "job")
    _facets_valid(event["run"]["facets"], "run")
    for dataset in [*event["inputs"], *event["outputs"]]:
        assert dataset["namespace"] and dataset["name"]
        _facets_valid(dataset["facets"], dataset["name"])


def export(demo: IndexedDemo, *args: str) -> list[dict[str, Any]]:
    result = run_cli(
        "export", "--openlineage", *args, "--repo", str(demo.repo), "--db", str(demo.db)
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_lineage_change_of_the_history_is_one_valid_event(indexed_demo: IndexedDemo) -> None:
    events = export(indexed_demo, "--all")
    for event in events:
        check_run_event(event)
    by_sha = {sha: tag for tag, sha in indexed_demo.shas.items()}
    versions = [e["job"]["facets"]["sourceCodeLocation"]["version"] for e in events]
    assert sorted(by_sha[sha] for sha in versions) == sorted(CHANGING)
    assert {e["job"]["name"] for e in events} == {"titanic"}
    assert {e["job"]["namespace"] for e in events} == {indexed_demo.repo.name}
    for event in events:
        sha = event["job"]["facets"]["sourceCodeLocation"]["version"]
        commit_date = git(indexed_demo.repo, "show", "-s", "--format=%at", sha)
        when = datetime.fromtimestamp(int(commit_date), timezone.utc)
        assert datetime.fromisoformat(event["eventTime"]) == when


def test_an_event_carries_the_commit_its_owners_and_column_lineage(
    indexed_demo: IndexedDemo,
) -> None:
    (event,) = export(indexed_demo, "demo/rename", "--namespace", "titanic-team")
    job = event["job"]
    location = job["facets"]["sourceCodeLocation"]
    assert location["version"] == indexed_demo.shas["demo/rename"]
    assert (location["type"], location["path"], location["tag"]) == (
        "git",
        "pyproject.toml",
        "demo/rename",
    )
    assert location["repoUrl"] == indexed_demo.repo.resolve().as_uri()
    assert (job["namespace"], job["name"]) == ("titanic-team", "titanic")
    owners = {owner["name"] for owner in job["facets"]["ownership"]["owners"]}
    assert owners == {"data-engineering", "data-science"}
    assert "Rename family_size to family_count" in job["facets"]["documentation"]["description"]
    outputs = {d["name"]: d for d in event["outputs"]}
    inputs = {d["name"] for d in event["inputs"]}
    assert "titanic.location" in inputs and "titanic.family_count" in outputs
    table = outputs["titanic.titanic_data"]["facets"]
    columns = {field["name"]: field["type"] for field in table["schema"]["fields"]}
    assert columns["age"] == "pandas.Series" and "titanic.age" not in outputs  # a column
    lineage = outputs["titanic.age_filled"]["facets"]["columnLineage"]["fields"]
    assert [(f["name"], f["field"]) for f in lineage["age_filled"]["inputFields"]] == [
        ("titanic.titanic_data", "age")
    ]


def test_a_second_export_of_a_range_sends_the_same_run_ids(indexed_demo: IndexedDemo) -> None:
    first = export(indexed_demo, "demo/v1", "demo/type")
    second = export(indexed_demo, "demo/v1", "demo/type")
    assert [e["run"]["runId"] for e in first] == [e["run"]["runId"] for e in second]
    tags = {
        t
        for t, sha in indexed_demo.shas.items()
        for e in first
        if e["job"]["facets"]["sourceCodeLocation"]["version"] == sha
    }
    assert tags == {"demo/sex-pii", "demo/encoders", "demo/production", "demo/code-only",
                    "demo/config", "demo/helper", "demo/doc", "demo/type"}  # fmt: skip
    assert len({e["run"]["runId"] for e in first}) == len(first)


def test_ndjson_to_a_file(indexed_demo: IndexedDemo, tmp_path: Path) -> None:
    target = tmp_path / "events.ndjson"
    target.write_text("stale\n")
    result = run_cli(
        "export", "--openlineage", "--all", "-o", str(target),
        "--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = target.read_text().splitlines()
    assert len(lines) == len(CHANGING) and f"sent {len(lines)} OpenLineage events" in result.stderr
    assert [json.loads(line) for line in lines] == export(indexed_demo, "--all")


class _Marquez(BaseHTTPRequestHandler):
    """An OpenLineage endpoint that keeps what it receives (Marquez's `/api/v1/lineage`)."""

    received: list[tuple[str, str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_posts_to_an_openlineage_endpoint(indexed_demo: IndexedDemo) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Marquez)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = run_cli(
            "export", "--openlineage", "demo/v1", "demo/encoders", "--url", url,
            "--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db),
        )  # fmt: skip
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert [(path, kind) for path, kind, _ in _Marquez.received] == [
        ("/api/v1/lineage", "application/json")
    ] * 2
    for _, _, event in _Marquez.received:
        check_run_event(event)
    sent = [e["job"]["facets"]["sourceCodeLocation"]["version"] for _, _, e in _Marquez.received]
    shas = indexed_demo.shas
    assert sent == [shas["demo/sex-pii"], shas["demo/encoders"]]  # A..B: after A, up to B


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all"], "export needs a format: --openlineage"),
        (["--openlineage", "--all", "-o", "x", "--url", "http://x"], "not both"),
        (["--openlineage", "demo/v1", "--all"], "not both"),
        (["--openlineage", "--url", "http://127.0.0.1:9"], "cannot send OpenLineage events"),
    ],
)
def test_export_mistakes_are_one_line(
    indexed_demo: IndexedDemo, args: list[str], message: str
) -> None:
    result = run_cli(
        "export", *args, "--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db)
    )
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
