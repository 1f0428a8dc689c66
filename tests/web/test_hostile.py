"""Hostile strings in the history (tag values, docs, commit subjects, author names) are shown
as text on every page, served and static, and run nothing: no dialog ever opens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fixtures import PYPROJECT, git, run_cli
from tests.web.fixtures import Server, browser_page, serving, wait_for_graph

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
CLOSER = "</script><script>alert(2)</script>"
AUTHOR = 'Eve" onmouseover="alert(3)'


def _module(owner: str) -> str:
    return (
        "from hamilton.function_modifiers import tag\n\n\n"
        "def a(x: int) -> int:\n"
        f'    """{CLOSER} & {IMAGE}"""\n'
        "    return x\n\n\n"
        f"@tag(owner={owner!r}, note={IMAGE!r})\n"
        "def b(a: int) -> int:\n"
        "    return a * 2\n"
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    repo = tmp_path_factory.mktemp("hostile-web") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / "pipe").mkdir()
    for owner, subject in ((SCRIPT, f"{SCRIPT} first"), (CLOSER, f"{IMAGE} second")):
        (repo / "pipe" / "m.py").write_text(_module(owner))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", subject, "--author", f"{AUTHOR} <eve@example.com>")
    db = repo.parent / "db.sqlite"
    indexed = run_cli("index", "--repo", str(repo), "--db", str(db))
    assert indexed.returncode == 0 and "0 failed" in indexed.stdout, indexed.stdout
    return repo, db


@pytest.fixture(scope="module")
def server(hostile: tuple[Path, Path]) -> Iterator[Server]:
    repo, db = hostile
    with serving("--repo", str(repo), "--db", str(db)) as running:
        yield running


def _no_live_markup(html: str) -> None:
    for raw in (SCRIPT, IMAGE, CLOSER, "<img src=x"):
        assert raw not in html


PAGES = ["?dag=main", "dag/main/at/main", "dag/main/diff/main~1..main", "dag/main/node/b"]


@pytest.mark.parametrize("path", PAGES)
def test_a_served_page_escapes_every_string(server: Server, path: str) -> None:
    status, html = server.get(path)
    assert status == 200
    _no_live_markup(html)


def test_hostile_strings_show_as_text_and_run_nothing(server: Server) -> None:
    host = urlsplit(server.url).netloc
    with browser_page(host) as (page, guard):
        page.goto(server.url + "?dag=main")
        text = page.inner_text("body")
        assert f"{SCRIPT} first" in text and f"{IMAGE} second" in text and AUTHOR in text
        page.goto(server.url + "dag/main/at/main")
        wait_for_graph(page)
        page.click('g.node[data-node="b"]')
        assert f"owner={CLOSER}" in page.inner_text("#details")
        assert f"note={IMAGE}" in page.inner_text("#details")
        page.click('g.node[data-node="a"]')
        assert f"{CLOSER} & {IMAGE}" in page.inner_text("#details")
        page.goto(server.url + "dag/main/diff/main~1..main")
        wait_for_graph(page)
        page.click('g.node[data-change="modified"]')
        details = page.inner_text("#details")
        assert SCRIPT in details and CLOSER in details
        page.goto(server.url + "dag/main/node/b")
        assert f"owner={SCRIPT}" in page.inner_text("body")
        assert page.locator("img").count() == 0
    assert guard.dialogs == []


def test_the_static_report_escapes_every_string(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    repo, db = hostile
    out = tmp_path / "site"
    result = run_cli(
        "report", "-o", str(out), "--base", "main~1", "--repo", str(repo), "--db", str(db)
    )
    assert result.returncode == 0, result.stderr
    for page_file in out.glob("*.html"):
        _no_live_markup(page_file.read_text())
    with browser_page(None) as (page, guard):
        page.goto((out / "index.html").as_uri())
        assert f"{IMAGE} second" in page.inner_text("body")
        page.click("ul.highlights a >> nth=0")
        wait_for_graph(page)
        page.click('g.node[data-change="modified"]')
        assert CLOSER in page.inner_text("#details")
    assert guard.dialogs == []
