"""The web tests share one Chromium per test process; each test gets its own browser context."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.fixtures import stop_chromium


@pytest.fixture(scope="session", autouse=True)
def one_chromium() -> Iterator[None]:
    yield
    stop_chromium()
