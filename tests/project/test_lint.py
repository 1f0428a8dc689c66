"""The code stays `ruff` clean (lint and formatting), as CI checks."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.fixtures import ROOT


@pytest.mark.skipif(
    importlib.util.find_spec("ruff") is None, reason="ruff comes with the [test] extra"
)
@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
