"""Why a build failed for the indexer's Python rather than for the commit's code: a
`SyntaxError` where the commit declares Python versions that exclude the running one
(`requires-python`, Poetry's `python`, `python_requires`), or where the offending line uses
syntax a newer grammar accepts (PEP 695 `type X = ...`, `def f[T](...)`, PEP 701 f-strings).
The recorded failure then says so and how to index with a matching interpreter."""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

# Constructs that Python 3.12 accepts and 3.11 rejects, on the line a SyntaxError names.
_NEWER_SYNTAX = (
    (re.compile(r"^\s*type\s+[A-Za-z_]\w*\s*(\[[^\]]*\])?\s*="), "a `type` statement (PEP 695)"),
    (re.compile(r"^\s*(async\s+)?def\s+\w+\s*\["), "a generic function `def f[T]` (PEP 695)"),
    (re.compile(r"^\s*class\s+\w+\s*\["), "a generic class `class C[T]` (PEP 695)"),
    (
        re.compile(r"(?i)(?<![\w\"'])[rb]?f[rb]?(?P<q>[\"'])(?:(?!(?P=q)).)*\{[^{}]*(?P=q)"),
        "an f-string reusing its quotes inside `{...}` (PEP 701)",
    ),
    (
        re.compile(r"(?i)(?<![\w\"'])[rb]?f[rb]?(?P<q>[\"'])(?:(?!(?P=q)).)*\{[^{}]*\\"),
        "a backslash inside an f-string's `{...}` (PEP 701)",
    ),
)
_MINORS = range(6, 20)
_PATCHES = range(40)  # `==3.13.11` admits 3.13, though not 3.13.0


def newer_syntax(line: str) -> str | None:
    """What on this line only a newer Python (3.12+) accepts, or None."""
    for pattern, construct in _NEWER_SYNTAX:
        if pattern.search(line):
            return construct
    return None


def _matching_python(requires: SpecifierSet) -> str | None:
    """The `3.N` nearest the running Python that `requires` admits (a newer one first)."""
    running = sys.version_info.minor
    admitted = [m for m in _MINORS if any(requires.contains(f"3.{m}.{p}", True) for p in _PATCHES)]
    newer = [m for m in admitted if m > running]
    older = [m for m in admitted if m < running]
    if newer:
        return f"3.{newer[0]}"
    return f"3.{older[-1]}" if older else None


def _advice(version: str | None) -> str:
    if version is None:
        return "index with an interpreter the commit supports"
    python = f"python{version}"
    return (
        f"index with a matching interpreter, e.g. {python} -m pip install lineage-history"
        f" && {python} -m lineage_history index"
    )


def syntax_error_hint(exc: BaseException, projects: Iterable[Mapping[str, Any]]) -> str:
    """`: this commit requires Python ... : index with ...` for a SyntaxError that the
    indexer's interpreter causes, else ""."""
    if not isinstance(exc, SyntaxError):
        return ""
    running = platform.python_version()
    for project in projects:
        declared = project.get("requires_python")
        try:
            requires = SpecifierSet(declared or "")
        except InvalidSpecifier:
            continue
        if declared and not requires.contains(running, True):
            where = project.get("requires_python_in") or "its project file"
            return (
                f": this commit requires Python {declared} ({where}), the indexer runs"
                f" {running}: {_advice(_matching_python(requires))}"
            )
    construct = newer_syntax(exc.text or "")
    if construct is None or sys.version_info >= (3, 12):
        return ""
    return (
        f": {construct} needs Python 3.12 or newer, the indexer runs {running}: {_advice('3.12')}"
    )
