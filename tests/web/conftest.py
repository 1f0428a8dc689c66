"""The web tests' shared fixtures: the indexed demo served once per module, and one Chromium
per test process (each test gets its own browser context)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures import IndexedDemo
from tests.web.fixtures import Server, serving, stop_chromium


@pytest.fixture(scope="session", autouse=True)
def one_chromium() -> Iterator[None]:
    yield
    stop_chromium()


@pytest.fixture(scope="module")
def server(indexed_demo: IndexedDemo) -> Iterator[Server]:
    """`serve` on the indexed demo (`test_hostile.py` serves a repository of its own)."""
    with serving("--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db)) as running:
        yield running
