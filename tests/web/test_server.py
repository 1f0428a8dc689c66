"""`serve` over plain HTTP, on the indexed demo: the JSON is the command line's, unknown
things are one-sentence 404s, nothing outside the static directory is served, it stops on
SIGTERM with status 0, and it never writes to the database."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT, IndexedDemo
from tests.web.fixtures import Server, cli_json, serving, start_server


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "args"),
    [
        ("api/dag/titanic/show/main", ("show", "main")),
        ("api/dag/titanic/show/demo/v1?tag=PII=true", ("show", "demo/v1", "--tag", "PII=true")),
        ("api/dag/titanic/diff/demo/v1...main", ("diff", "demo/v1...main")),
        ("api/dag/titanic/diff/demo/v1..demo/rename", ("diff", "demo/v1..demo/rename")),
        ("api/dag/titanic/log/family_count?follow=1", ("log", "family_count", "--follow")),
        ("api/dag/titanic/upstream/fit_random_forest", ("upstream", "fit_random_forest")),
        ("api/dag/titanic/downstream/sex?tag=artifact", ("downstream", "sex", "--tag", "artifact")),
        ("api/status", ("status",)),
        ("api/dags?rev=demo/v1", ("dags", "demo/v1")),
    ],
)
def test_the_api_answers_what_the_command_line_answers(
    server: Server, indexed_demo: IndexedDemo, path: str, args: tuple[str, ...]
) -> None:
    status, answer = server.json(path)
    assert status == 200, answer
    assert answer == cli_json(indexed_demo, *args)


def test_an_openapi_document_describes_the_api(server: Server) -> None:
    status, document = server.json("api/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.")
    assert "/api/dag/{dag}/diff/{spec}" in document["paths"]


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("dag/titanic/at/no-such-rev", "unknown revision"),
        ("dag/titanic/at/--output=x", "unknown revision"),
        ("dag/nope/at/main", "unknown DAG 'nope'"),
        ("dag/titanic/node/no_such_node", "unknown node 'no_such_node'"),
        ("dag/titanic/diff/main", "is not a range"),
        ("no/such/page", "there is no page at /no/such/page"),
        ("api/dag/titanic/show/no-such-rev", "unknown revision"),
    ],
)
def test_an_unknown_revision_dag_or_node_is_a_404_that_says_which(
    server: Server, path: str, says: str
) -> None:
    status, body = server.get(path)
    assert status == 404
    assert says.replace("'", "&#39;") in body or says in body
    name = path.rsplit("/", 1)[-1]
    assert name in body


def test_a_hostile_dag_name_in_the_query_is_a_404_that_shows_it_as_text(server: Server) -> None:
    status, body = server.get("?dag=%3Cscript%3Ealert(1)%3C/script%3E")
    assert status == 404
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_failed_build_shows_the_build_error_instead_of_a_graph(server: Server) -> None:
    status, body = server.get("dag/titanic/at/demo/broken")
    assert status == 200
    assert "The build failed" in body and "CategoricalEncoder" in body
    assert 'id="page-data"' not in body


@pytest.mark.parametrize(
    "path",
    [
        "static/../../../../etc/passwd",
        "static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "static/..%2f..%2f..%2fetc%2fpasswd",
        "static/%2fetc%2fpasswd",
        "static/../render.py",
        "static/%2e%2e/render.py",
    ],
)
def test_nothing_outside_the_static_directory_is_served(server: Server, path: str) -> None:
    status, body = server.get(path)
    assert status == 404
    assert "root:" not in body and "import" not in body


def test_static_files_are_the_package_s(server: Server) -> None:
    status, body = server.get("static/vendor/dagre/dagre.min.js")
    assert status == 200 and "dagre" in body


def test_every_page_forbids_scripts_from_anywhere_else(server: Server) -> None:
    import urllib.request

    with urllib.request.urlopen(server.url + "dag/titanic/at/main") as answer:
        policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy


def test_a_request_for_another_host_name_is_refused(server: Server) -> None:
    """DNS rebinding: a page of another site that resolves its name to 127.0.0.1."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.url, headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400


def test_dags_needs_the_repository_and_says_so(indexed_demo: IndexedDemo, tmp_path: Path) -> None:
    with serving("--db", str(indexed_demo.db), cwd=tmp_path) as running:
        status, answer = running.json("api/dags")
        assert status == 404
        assert "repository on disk" in answer["error"]
        status, answer = running.json("api/dag/titanic/show/demo/v1")  # through the database
        assert status == 200 and answer["nodes"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_serve_stops_on_sigterm_or_ctrl_c_with_status_0_and_never_writes(
    indexed_demo: IndexedDemo, signum: int
) -> None:
    before = indexed_demo.db.stat().st_mtime_ns
    running = start_server("--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db))
    for path in ("", "dag/titanic/at/main", "dag/titanic/diff/demo/v1...main", "api/status"):
        assert running.get(path)[0] == 200
    assert running.stop(signum) == 0
    assert indexed_demo.db.stat().st_mtime_ns == before


def test_serve_on_a_missing_database_fails_in_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "x.sqlite")
    done = subprocess.run(
        [sys.executable, "-m", "lineage_history", "serve", "--port", "0", "--db", missing],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no lineage database" in done.stderr


def test_the_ci_review_writes_the_report_and_links_it(
    indexed_demo: IndexedDemo, tmp_path: Path
) -> None:
    script = ROOT / "scripts" / "ci" / "lineage_review.py"
    out, url = tmp_path / "lineage-report", "https://ci.example/run/1#artifacts"
    where = ["--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db), "--no-index"]
    report = ["--report", str(out), "--report-url", url]
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "review",
            "--base",
            "demo/v1",
            "--head",
            "main",
            *where,
            *report,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    assert f"[the interactive lineage report]({url})" in done.stdout
    assert (out / "index.html").exists() and (out / "static" / "app.js").exists()
    for workflow in ("github-lineage-review.yml", "gitlab-lineage-review.yml"):
        text = (script.parent / workflow).read_text()
        assert "--report lineage-report" in text and "lineage-report/" in text
