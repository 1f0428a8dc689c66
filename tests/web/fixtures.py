"""Helpers for the web tests: the real `serve` in a child process, plain HTTP requests to it,
and headless Chromium (the system's, through Playwright's driver) with every request that
would leave the machine recorded and refused."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fixtures import IndexedDemo, run_cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
STOP_SECONDS = 10


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str  # ends with "/"

    def get(self, path: str) -> tuple[int, str]:
        """The status and body of a GET (errors too: a 404 is an answer)."""
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=60) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def json(self, path: str) -> tuple[int, Any]:
        status, body = self.get(path)
        return status, json.loads(body)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Send `signum`, then the exit status (the test fails if it does not stop promptly)."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"serve did not stop within {STOP_SECONDS} s of SIGTERM")


def start_server(*args: str, cwd: Path | None = None) -> Server:
    """`serve --port 0 ARGS` in a child process; waits for the URL it prints."""
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    process = subprocess.Popen(
        [sys.executable, "-m", "lineage_history", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("serving http://"):
        process.kill()
        _, stderr = process.communicate()
        pytest.fail(f"serve did not start: {line!r} {stderr}")
    return Server(process, line.split()[1])


@contextlib.contextmanager
def serving(*args: str, cwd: Path | None = None) -> Iterator[Server]:
    server = start_server(*args, cwd=cwd)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            assert server.stop() == 0


@dataclass
class Guard:
    """Every request the browser made, and those refused for leaving the machine."""

    allowed_host: str | None
    requested: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def route(self, route: Any) -> None:
        url = route.request.url
        self.requested.append(url)
        parts = urlsplit(url)
        local = parts.scheme in ("file", "data") or (
            parts.scheme == "http" and parts.netloc == self.allowed_host
        )
        if local:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()


def cli_json(demo: IndexedDemo, *args: str) -> Any:
    """A command's `--format json` answer about the indexed demo, which must succeed."""
    result = run_cli(*args, "--format", "json", "--repo", str(demo.repo), "--db", str(demo.db))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@contextlib.contextmanager
def browser_page(allowed: str | None = None) -> Iterator[tuple[Any, Guard]]:
    """A page in a fresh browser context (its own cache, cookies and storage) of headless
    Chromium; requests to any host but `allowed` (host:port) are refused and recorded,
    dialogs are recorded and dismissed."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    guard = Guard(allowed)
    context = _chromium().new_context(viewport={"width": 1280, "height": 800})
    try:
        context.route("**/*", guard.route)
        page = context.new_page()
        page.on("dialog", guard.dialog)
        page.on("pageerror", lambda error: guard.errors.append(str(error)))
        yield page, guard
    finally:
        context.close()
    assert guard.refused == [], guard.refused
    assert guard.errors == [], guard.errors


_STARTED: dict[str, Any] = {}  # Playwright and its Chromium, started once per test process


def _chromium() -> Any:
    if not _STARTED:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _STARTED["playwright"] = playwright
        _STARTED["browser"] = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
    return _STARTED["browser"]


def stop_chromium() -> None:
    """Close the test process's Chromium, if a test started it."""
    if _STARTED:
        _STARTED.pop("browser").close()
        _STARTED.pop("playwright").stop()


def wait_for_graph(page: Any) -> None:
    page.wait_for_selector("body[data-graph-ready=true]", timeout=60_000)


def drawn(page: Any) -> dict[str, str | None]:
    """`{node name: data-change}` of every node the page drew."""
    return page.eval_on_selector_all(
        "g.node",
        "els => Object.fromEntries(els.map(e => [e.dataset.node, e.dataset.change || null]))",
    )


def wait_until(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.05)
