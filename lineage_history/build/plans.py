"""Per-commit build plans from git objects alone: which files a DAG needs and its build key."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePosixPath

from lineage_history.build.code_uses import imported_top_level_names
from lineage_history.build.import_time import import_time_digests_by_id
from lineage_history.build.pool import BuildRequest
from lineage_history.build.project import (
    UNKNOWN_VERSION,
    ProjectMetadata,
    read_projects,
    reads_metadata,
)
from lineage_history.dag.model import canonical_json, sha256_hex
from lineage_history.definitions.imports import (
    ClosureMemo,
    closure,
    import_refs_of_blob,
    module_names,
    search_path,
)
from lineage_history.definitions.notebooks import read_file_id
from lineage_history.definitions.toml_files import DagDefinition
from lineage_history.repo.globs import glob
from lineage_history.repo.tree import FileEntry, Reads, Tree, loosen

# Bump when extraction changes what it records, so every commit is rebuilt once.
EXTRACTOR_VERSION = "5"  # 2: import roots, closure, fingerprints; 3: stand-ins, type text;
# 4: fingerprints of what a node uses (class attributes, dict entries, its decorator entry);
#    stand-ins as exception classes, own distribution metadata, column types of plugins;
#    modules named as their driver imports them; 5: type text without memory addresses


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
    """What one DAG at one commit needs (the import closure of its modules, by blob id), how
    the build imports them, and the resulting key."""

    definition: DagDefinition
    files: tuple[FileEntry, ...]
    modules: tuple[tuple[str, str], ...]  # (path, dotted name) in definition order
    search: tuple[str, ...]  # directories put first on the build's sys.path
    local_names: tuple[str, ...]  # top-level names that always come from the commit
    key: str
    projects: tuple[ProjectMetadata, ...] = ()  # its distribution, its Python versions
    reads_metadata: bool = False  # whether a file of the closure may read them
    # The key with each Python file's blob replaced by the digest of what importing it can
    # execute (`import_time`): plans of equal structure keys build the same graph, and differ
    # at most in code fingerprints. None when not computed (`--exact-keys`).
    structure_key: str | None = None


def plan(
    tree: Tree,
    definition: DagDefinition,
    passed_env: Mapping[str, str] | None = None,
    structure: bool = False,
) -> BuildPlan | None:
    """The build plan of a DAG at a commit, or None when none of its modules exists yet.

    The key covers the closure's blobs, the definition, the environment variables passed to
    builds, the versions of Hamilton, Python and the extractor, and what the commit's project
    files declare that the build can see: a change anywhere else in the repository leaves it
    as it was.
    """
    found = _files_plan(tree, definition, passed_env, structure)
    return None if found is None else with_projects(tree, found)


def _files_plan(
    tree: Tree,
    definition: DagDefinition,
    passed_env: Mapping[str, str] | None,
    structure: bool = False,
    memo: ClosureMemo | None = None,
) -> BuildPlan | None:
    """The plan from the DAG's own files, before the project files are read."""
    written = {path: file_id for path, file_id in definition.written_files}
    present = [m for m in definition.modules if m in written or tree.blob(m) is not None]
    if not present:
        return None
    modules = module_names(tree, definition.modules, definition.import_names)
    search = search_path(tree, modules)
    seen = closure(tree, modules, search, written, memo)
    files = {**seen.files, **written}
    for pattern in definition.include:
        files.update(glob(tree, pattern))
    entries = tuple(sorted(files.items()))
    shape = BuildPlan(definition, entries, modules, search, seen.local_names, "")
    return _keyed(tree, shape, passed_env, structure)


def _keyed(
    tree: Tree, shape: BuildPlan, passed_env: Mapping[str, str] | None, structure: bool
) -> BuildPlan:
    """A plan's keys from its files, modules and search path."""
    definition, entries = shape.definition, shape.files
    keyed = {
        "env": environment_fingerprint(),
        "passed_env": dict(sorted((passed_env or {}).items())),
        "definition": definition.to_dict(),
        "files": entries,
        "modules": shape.modules,
        "search": shape.search,
        "local": shape.local_names,
    }
    key = sha256_hex(canonical_json(keyed))
    structure_key = None
    if structure:
        keyed["files"] = _structure_entries(tree, entries)
        structure_key = sha256_hex(canonical_json(keyed))
    metadata = any(
        _blob_reads_metadata(tree, blob) for path, blob in entries if path.endswith(".py")
    )
    return replace(shape, key=key, reads_metadata=metadata, structure_key=structure_key)


def _structure_entries(tree: Tree, entries: tuple[FileEntry, ...]) -> tuple[FileEntry, ...]:
    """The files of a plan with each Python file's blob id replaced by its import-time
    digest (each file parsed once: DAGs and commits that share it share the work)."""
    python = {path: blob for path, blob in entries if path.endswith(".py")}
    digests = import_time_digests_by_id(python, lambda file_id: read_file_id(tree.read, file_id))
    return tuple((path, digests.get(path, blob)) for path, blob in entries)


def with_projects(
    tree: Tree, files_plan: BuildPlan, declared: tuple[ProjectMetadata, ...] | None = None
) -> BuildPlan:
    """The plan with the commit's project declarations, and their part in its key: the
    Python versions always (they explain a failure), the distribution's name and version
    only when the closure may read them (a version bump rebuilds nothing else).
    `declared`: the projects, when the caller has read them."""
    projects = read_projects(tree, files_plan.search) if declared is None else declared
    if not projects:
        return files_plan
    if not files_plan.reads_metadata:
        projects = tuple(replace(p, name=None, version=UNKNOWN_VERSION) for p in projects)
    declared = [p.to_dict() for p in projects]
    key = sha256_hex(canonical_json({"files": files_plan.key, "projects": declared}))
    structure_key = files_plan.structure_key
    if structure_key is not None:
        keyed = {"files": structure_key, "projects": declared}
        structure_key = sha256_hex(canonical_json(keyed))
    return replace(files_plan, projects=projects, key=key, structure_key=structure_key)


_METADATA_READERS: dict[str, bool] = {}


def _blob_reads_metadata(tree: Tree, file_id: str) -> bool:
    found = _METADATA_READERS.get(file_id)
    if found is None:
        source = read_file_id(tree.read, file_id)
        found = _METADATA_READERS[file_id] = reads_metadata(source)
    return found


class Planner:
    """`plan` with a memory: a DAG's plan is reused at the next commit when every directory
    entry its planning read is unchanged there (the common case: most commits touch none of
    a DAG's files), so planning a long history costs a lookup per commit and DAG. When only
    the content of some of its files changed, and not their imports, the closure is the same:
    only the keys are computed again."""

    def __init__(
        self, passed_env: Mapping[str, str] | None = None, structure: bool = False
    ) -> None:
        self.passed_env = dict(passed_env or {})
        self.structure = structure  # compute structure keys too
        # By definition digest: the reads of its planning (its files' contents loosened to
        # their existence) and the plan.
        self._last: dict[str, tuple[Reads, BuildPlan | None]] = {}
        self._memo: ClosureMemo = {}  # shared by DAGs and commits
        self._projects: tuple[Tree | None, dict[tuple[str, ...], tuple[ProjectMetadata, ...]]]
        self._projects = (None, {})

    def plan(self, tree: Tree, definition: DagDefinition) -> BuildPlan | None:
        digest = definition.digest
        memo = self._last.get(digest)
        result = None if memo is None else self._reuse(tree, memo)
        if result is None:
            with tree.recording() as reads:
                result = _files_plan(tree, definition, self.passed_env, self.structure, self._memo)
            written = {path for path, _ in definition.written_files}
            own = [path for path, _ in (result.files if result else ()) if path not in written]
            self._last[digest] = (loosen(reads, own), result)
            if result is None:
                return None
        return with_projects(tree, result, self._declared(tree, result.search))

    def _reuse(self, tree: Tree, memo: tuple[Reads, BuildPlan | None]) -> BuildPlan | None:
        """The remembered plan, with the keys of this tree's file contents when they changed
        but not their imports; None when the closure must be walked again."""
        reads, found = memo
        if not tree.still_holds(reads) or found is None:
            return None
        written = {path for path, _ in found.definition.written_files}
        entries = []
        for path, blob in found.files:
            now = blob if path in written else tree.blob(path)
            if now is None:
                return None
            python = now != blob and path.endswith(".py")
            if python and import_refs_of_blob(tree, now) != import_refs_of_blob(tree, blob):
                return None
            entries.append((path, now))
        if all(now == blob for (_, now), (_, blob) in zip(entries, found.files, strict=True)):
            return found
        shape = replace(found, files=tuple(entries))
        result = _keyed(tree, shape, self.passed_env, self.structure)
        self._last[found.definition.digest] = (reads, result)
        return result

    def _declared(self, tree: Tree, search: tuple[str, ...]) -> tuple[ProjectMetadata, ...]:
        """`read_projects`, once per tree and search path."""
        if self._projects[0] is not tree:
            self._projects = (tree, {})
        known = self._projects[1]
        if search not in known:
            known[search] = read_projects(tree, search)
        return known[search]


@cache
def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@cache
def _imports_of_blob(blob_id: str, source: bytes) -> frozenset[str]:
    return frozenset(imported_top_level_names(source.decode("utf-8", "replace")))


def preload_names(build_plan: BuildPlan, files: dict[str, tuple[str, bytes]]) -> tuple[str, ...]:
    """Third-party packages to import once in the build server: the definition's `preload`,
    else what the DAG's files import that is neither the commit's nor the standard library's."""
    if build_plan.definition.preload:
        return build_plan.definition.preload
    local = set(build_plan.local_names)
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


def build_request(build_plan: BuildPlan, read_blob: Callable[[str], bytes]) -> BuildRequest:
    """What the build child needs for a plan: the files' contents and how to import them."""
    contents = {path: (blob, read_file_id(read_blob, blob)) for path, blob in build_plan.files}
    definition = build_plan.definition
    return BuildRequest(
        files=tuple((path, content) for path, (_, content) in contents.items()),
        modules=build_plan.modules,
        config=dict(definition.config),
        search=build_plan.search,
        local_names=build_plan.local_names,
        config_types=definition.config_types,
        builder_options=definition.builder_options,
        preload=preload_names(build_plan, contents),
        forced_stand_ins=definition.stub,
        projects=tuple(project.to_dict() for project in build_plan.projects),
    )
