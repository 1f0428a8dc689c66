"""The pages in a real browser (headless Chromium): on the indexed demo, through the real
`serve` and from a static `report` opened as files. Every request the browser makes is
routed; one to any host but the local server fails the test (see `tests/web/fixtures.py`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fixtures import IndexedDemo, big_history, git, run_cli
from tests.web.fixtures import Server, browser_page, cli_json, drawn, serving, wait_for_graph

# A real Chromium, page by page: seconds each, so out of the quick loop.
pytestmark = pytest.mark.slow


def _host(server: Server) -> str:
    return urlsplit(server.url).netloc


def _changes(page: object) -> dict[str, int]:
    counts = Counter(change for change in drawn(page).values())
    return {
        kind: counts.get(kind, 0)
        for kind in ("added", "removed", "modified", "renamed", "impacted")
    }


def test_the_timeline_lists_every_commit(server: Server, indexed_demo: IndexedDemo) -> None:
    every = set(git(indexed_demo.repo, "rev-list", "--all").split())
    with browser_page(_host(server)) as (page, _):
        page.goto(server.url + "?dag=titanic")
        listed = page.eval_on_selector_all("li.commit", "els => els.map(e => e.dataset.sha)")
        # Every commit but the first, which holds no DAG yet.
        before_dag = set(git(indexed_demo.repo, "rev-list", "--max-parents=0", "--all").split())
        assert set(listed) == every - before_dag
        assert len(listed) == len(set(listed))
        page.check("input[name=changed]")
        with page.expect_navigation():  # the next page, not the one it leaves
            page.click("form.filters button")
        changed = page.eval_on_selector_all("li.commit", "els => els.map(e => e.dataset.sha)")
        assert 0 < len(changed) < len(listed)
        page.select_option("select[name=branch]", "experiment")
        with page.expect_navigation():
            page.click("form.filters button")
        on_branch = page.eval_on_selector_all("li.commit", "els => els.map(e => e.dataset.sha)")
        assert indexed_demo.shas["demo/side"] in on_branch
        assert git(indexed_demo.repo, "rev-parse", "main") not in on_branch


@pytest.mark.parametrize("rev", ["main", "demo/v1", "demo/rename"])
def test_the_graph_has_exactly_the_nodes_of_show(
    server: Server, indexed_demo: IndexedDemo, rev: str
) -> None:
    shown = cli_json(indexed_demo, "show", rev)
    with browser_page(_host(server)) as (page, _):
        page.goto(f"{server.url}dag/titanic/at/{rev}")
        wait_for_graph(page)
        assert sorted(drawn(page)) == sorted(n["name"] for n in shown["nodes"])


def test_the_graph_filtered_by_tag_has_the_nodes_of_show_tag(
    server: Server, indexed_demo: IndexedDemo
) -> None:
    shown = cli_json(indexed_demo, "show", "main", "--tag", "PII=true")
    with browser_page(_host(server)) as (page, _):
        page.goto(f"{server.url}dag/titanic/at/main")
        page.fill("input[name=tag]", "PII=true")
        with page.expect_navigation():
            page.click("form.filters button")
        wait_for_graph(page)
        assert sorted(drawn(page)) == sorted(n["name"] for n in shown["nodes"])
        assert 0 < len(drawn(page)) < 10


@pytest.mark.parametrize(
    "spec",
    ["demo/v1...main", "demo/v1..demo/rename", "demo/encoders..demo/fixed", "main..demo/side"],
)
def test_the_diff_view_draws_the_changes_diff_counts(
    server: Server, indexed_demo: IndexedDemo, spec: str
) -> None:
    summary = cli_json(indexed_demo, "diff", spec)["summary"]
    with browser_page(_host(server)) as (page, _):
        page.goto(f"{server.url}dag/titanic/diff/{spec}")
        wait_for_graph(page)
        assert _changes(page) == summary
        assert set(drawn(page).values()) <= {
            "added", "removed", "modified", "renamed", "impacted", "unchanged"
        }  # fmt: skip


def test_clicking_a_modified_node_shows_what_changed(server: Server) -> None:
    with browser_page(_host(server)) as (page, _):
        page.goto(f"{server.url}dag/titanic/diff/demo/v1...main")
        wait_for_graph(page)
        modified = [n for n, change in drawn(page).items() if change == "modified"]
        page.click(f'g.node[data-node="{modified[0]}"]')
        details = page.locator("#details")
        assert details.is_visible()
        assert modified[0] in details.inner_text()
        assert "What changed" in details.inner_text() and "before" in details.inner_text()
        assert page.locator("g.node.selected").count() == 1


def test_clicking_a_node_shows_its_details_and_highlights_its_lineage(server: Server) -> None:
    with browser_page(_host(server)) as (page, _):
        page.goto(f"{server.url}dag/titanic/at/main")
        wait_for_graph(page)
        page.click('g.node[data-node="family_count"]')
        text = page.locator("#details").inner_text()
        assert "family_count" in text and "pandas.Series" in text and "depends on" in text
        assert page.locator("g.node.upstream").count() > 0
        assert page.locator("g.node.downstream").count() > 0
        with page.expect_navigation():
            page.click("#details a[href*='/node/']")
        page.wait_for_selector("table.node-log")
        assert page.locator("tr.entry").count() >= 1


def test_search_finds_a_node(server: Server) -> None:
    with browser_page(_host(server)) as (page, _):
        page.goto(f"{server.url}dag/titanic/at/main")
        wait_for_graph(page)
        page.fill("#search", "fit_random")
        page.press("#search", "Enter")
        assert page.locator("g.node.match").count() >= 1
        assert page.locator('g.node.selected[data-node="fit_random_forest"]').count() == 1
        assert "fit_random_forest" in page.locator("#details").inner_text()
        page.click("button[data-rankdir=TB]")  # laid out again, top to bottom
        assert page.locator('g.node[data-node="fit_random_forest"]').count() == 1


def test_the_node_history_links_each_change_to_its_diff(
    server: Server, indexed_demo: IndexedDemo
) -> None:
    logged = cli_json(indexed_demo, "log", "family_count")
    with browser_page(_host(server)) as (page, _):
        page.goto(f"{server.url}dag/titanic/node/family_count")
        assert page.locator("tr.entry").count() == len(logged)
        with page.expect_navigation():
            page.locator("tr.entry a", has_text="diff").first.click()
        wait_for_graph(page)
        assert "family_count" in drawn(page)


def test_the_static_report_works_from_files(indexed_demo: IndexedDemo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    where = ["--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db)]
    result = run_cli("report", "-o", str(out), "main", "--base", "demo/v1", *where)
    assert result.returncode == 0, result.stderr
    summary = cli_json(indexed_demo, "diff", "demo/v1...main")["summary"]
    shown = cli_json(indexed_demo, "show", "main")
    with browser_page(None) as (page, guard):
        page.goto((out / "index.html").as_uri())
        assert page.locator("li.commit").count() > 5
        with page.expect_navigation():
            page.click("ul.highlights a >> nth=0")
        wait_for_graph(page)
        assert _changes(page) == summary
        page.go_back()
        with page.expect_navigation():
            page.click("ul.highlights a >> nth=1")
        wait_for_graph(page)
        assert sorted(drawn(page)) == sorted(n["name"] for n in shown["nodes"])
        page.go_back()
        with page.expect_navigation():
            page.locator("li.commit a.diff").first.click()
        wait_for_graph(page)
        assert drawn(page)
        assert all(urlsplit(url).scheme in ("file", "data") for url in guard.requested)


def test_a_500_node_dag_is_drawn(tmp_path: Path) -> None:
    repo = big_history(tmp_path / "big")
    db = tmp_path / "db.sqlite"
    assert run_cli("index", "--repo", str(repo), "--db", str(db)).returncode == 0
    with (
        serving("--repo", str(repo), "--db", str(db)) as running,
        browser_page(_host(running)) as (page, _),
    ):
        page.goto(f"{running.url}dag/d/diff/main~1..main")
        wait_for_graph(page)
        assert len(drawn(page)) == 501  # 500 functions and their input x
        assert _changes(page)["modified"] == 166
        page.fill("#search", "n499")
        page.press("#search", "Enter")
        assert page.locator('g.node.selected[data-node="n499"]').count() == 1
