"""Locates the directories shipped beside the package: the example pipeline and migrations."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Return `pipelines` or `migrations`: inside the wheel, else from the source checkout."""
    for candidate in (_PACKAGE_DIR / "_shipped" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name!r} directory is missing from this installation")


def pipelines_dir() -> Path:
    return shipped_dir("pipelines")


def migrations_dir() -> Path:
    return shipped_dir("migrations")
