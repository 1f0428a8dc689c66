"""The documentation holds together: the MkDocs site builds in strict mode (no broken link or
heading anchor, no missing page, no page left out of the nav), every command of the real
command line has a section in docs/commands.md and a row in the README's command table, and
every link from the README into docs/ reaches a page and heading of the built site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from lineage_history.cli import app
from tests.fixtures import ROOT

DOCS = ROOT / "docs"
README = ROOT / "README.md"


def build_site(site_dir: Path, config: Path = ROOT / "mkdocs.yml") -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of `config` into `site_dir`, as a subprocess."""
    # Material prints a banner about its future on every build; it is not a docs warning.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = ["build", "--strict", "--config-file", str(config), "--site-dir", str(site_dir)]
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *command],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def warnings_of(result: subprocess.CompletedProcess) -> list[str]:
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if line.startswith(("WARNING", "ERROR"))]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    result = build_site(site_dir)
    problems = warnings_of(result)
    assert result.returncode == 0 and not problems, "mkdocs build --strict failed:\n" + "\n".join(
        problems or [result.stdout + result.stderr]
    )
    return site_dir


def cli_commands() -> set[str]:
    """The command names `lineage-history --help` lists, from the real app."""
    group = typer.main.get_command(app)
    return {name for name, command in group.commands.items() if not command.hidden}


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert found, f"README.md has no '## {title}' section"
    return found.group(1)


def test_site_builds_in_strict_mode(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "commands" / "index.html").is_file()


def test_every_command_has_a_section_in_commands_md() -> None:
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (\S+)\s*$", text, re.M))
    missing = sorted(cli_commands() - sections)
    assert not missing, f"docs/commands.md has no '## NAME' section for: {', '.join(missing)}"


def test_readme_command_table_lists_every_command() -> None:
    rows = [line for line in readme_section("Commands").splitlines() if line.startswith("| [")]
    listed = [re.match(r"\| \[`([a-z-]+)", row).group(1) for row in rows]  # type: ignore[union-attr]
    commands = cli_commands()
    assert sorted(set(listed) - commands) == [], "README rows for commands the CLI lacks"
    assert sorted(commands - set(listed)) == [], "commands missing from the README table"
    assert len(listed) == len(set(listed)), "a command listed twice in the README table"
    for row, name in zip(rows, listed, strict=True):
        assert f"(docs/commands.md#{name})" in row, f"the README row of {name} links elsewhere"


def _html_ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def test_readme_links_into_docs_reach_the_site(site: Path) -> None:
    links = re.findall(r"\]\((docs/[^)\s]+)\)", README.read_text(encoding="utf-8"))
    assert links, "the README links to no docs page"
    for link in links:
        path, _, anchor = link.partition("#")
        target = ROOT / path
        assert target.is_file(), f"README links to {link}, which does not exist"
        if target.suffix != ".md":
            continue
        page = target.relative_to(DOCS).with_suffix("")
        built = site / ("index.html" if page.name == "index" else page / "index.html")
        assert built.is_file(), f"README links to {link}, which is not a page of the site"
        if anchor:
            assert anchor in _html_ids(built), f"README links to {link}: no such heading"


def test_readme_links_are_relative() -> None:
    text = README.read_text(encoding="utf-8")
    assert "](/" not in text, "README links must be relative (docs/commands.md#diff)"
