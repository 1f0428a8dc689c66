"""Per-commit build plans from git objects alone: which files a DAG needs and its build key."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePosixPath

from lineage_history.config import DagDefinition
from lineage_history.extract._fingerprint import imported_top_level_names
from lineage_history.git import FileEntry, GitRepo
from lineage_history.model import canonical_json, sha256_hex

# Bump when extraction changes what it records, so every commit is rebuilt once.
EXTRACTOR_VERSION = "1"


@cache
def environment_fingerprint() -> dict[str, str]:
    try:
        hamilton = version("apache-hamilton")
    except PackageNotFoundError:  # pragma: no cover - installed under its old name
        hamilton = version("sf-hamilton")
    return {
        "extractor": EXTRACTOR_VERSION,
        "hamilton": hamilton,
        "python": ".".join(map(str, sys.version_info[:3])),
    }


@dataclass(frozen=True)
class BuildPlan:
    """What one DAG at one commit needs: its files (by blob id) and the resulting key."""

    definition: DagDefinition
    files: tuple[FileEntry, ...]
    key: str


def needed_files(repo: GitRepo, sha: str, definition: DagDefinition) -> tuple[FileEntry, ...]:
    """The `*.py` files under each module's directory, plus the `include` paths."""
    entries: dict[str, str] = {}
    for directory in definition.module_dirs:
        for path, blob in repo.files(sha, "" if directory == "." else directory):
            if path.endswith(".py"):
                entries[path] = blob
    for pattern in definition.include:
        entries.update(repo.glob(sha, pattern))
    return tuple(sorted(entries.items()))


def plan(repo: GitRepo, sha: str, definition: DagDefinition) -> BuildPlan | None:
    """The build plan of a DAG at a commit, or None when none of its modules exists yet."""
    files = needed_files(repo, sha, definition)
    present = {path for path, _ in files}
    if not present.intersection(definition.modules):
        return None
    key = sha256_hex(
        canonical_json(
            {"env": environment_fingerprint(), "definition": definition.to_dict(), "files": files}
        )
    )
    return BuildPlan(definition, files, key)


@cache
def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@cache
def _imports_of_blob(blob_id: str, source: bytes) -> frozenset[str]:
    return frozenset(imported_top_level_names(source.decode("utf-8", "replace")))


def preload_names(
    definition: DagDefinition, files: dict[str, tuple[str, bytes]]
) -> tuple[str, ...]:
    """Third-party packages to import once in the build server: the definition's `preload`,
    else what the DAG's files import that is neither local nor in the standard library."""
    if definition.preload:
        return definition.preload
    local = set()
    for path in files:
        parts = PurePosixPath(path).parts
        local.update(parts[:-1])
        local.add(PurePosixPath(path).stem)
    names: set[str] = set()
    for path, (blob, content) in files.items():
        if path.endswith(".py"):
            names |= _imports_of_blob(blob, content)
    candidates = names - local - set(sys.stdlib_module_names)
    return tuple(sorted(name for name in candidates if _importable(name)))
