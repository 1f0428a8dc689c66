"""The DAGs a commit's driver code builds: driver scripts and notebooks found per directory
(cached by tree id; symlinks into the repository not followed, so a DAG is found once, under
its real path), each blob parsed once (in memory and in the database), modules resolved by the
import model and named as the driver imports them, config files read, one `DagDefinition` per
distinct module set and config."""

from __future__ import annotations

import json
import posixpath
import sys
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Protocol

from lineage_history.definitions.config_files import load_config_files
from lineage_history.definitions.driver_calls import (
    PARSER_VERSION,
    SELF,
    DriverCall,
    ModuleRef,
    driver_calls,
    mentions_driver,
)
from lineage_history.definitions.imports import (
    import_root,
    resolve_module,
    resolve_relative,
    script_search_path,
)
from lineage_history.definitions.notebooks import (
    NOTEBOOK_SUFFIX,
    CellModule,
    cell_file_id,
    cell_modules,
    notebook_source,
)
from lineage_history.definitions.toml_files import DagDefinition
from lineage_history.repo.tree import Tree, normalize

Calls = tuple[DriverCall, ...]
# (path relative to the scanned directory, parse key: the blob id, `ipynb:` + blob id for a
# notebook)
Scripts = tuple[tuple[str, str], ...]
_NOTEBOOK_KEY = "ipynb:"
_CONFTEST = ("conftest.py",)
# Names that are files, not directories, without asking the tree (most entries of a repo).
_FILE_SUFFIXES = frozenset({
    "md", "rst", "txt", "csv", "json", "yaml", "yml", "toml", "cfg", "ini", "lock", "sh", "png",
    "jpg", "jpeg", "gif", "svg", "html", "css", "js", "ts", "parquet", "pkl", "sql",
    "xml", "pdf", "in", "typed",
})  # fmt: skip
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})


class ParseCache(Protocol):
    """Where parse results outlive a process (the lineage database)."""

    def discovered_blobs(self, blob_ids: Collection[str], version: str) -> dict[str, str]: ...

    def save_discovered_blobs(self, results: dict[str, str], version: str) -> None: ...


def is_test_path(path: str) -> bool:
    """Test code builds throwaway drivers over fixtures; it is not one of the project's DAGs."""
    *directories, filename = path.split("/")
    if any(_is_test_dir(d) for d in directories):
        return True
    return filename.startswith("test_") or filename.endswith("_test.py") or filename in _CONFTEST


def _is_test_dir(name: str) -> bool:
    return name in ("test", "tests") or name.endswith(("_tests", "_test"))


def _skipped_dir(name: str) -> bool:
    return name.startswith(".") or name in _SKIPPED_DIRS or _is_test_dir(name)


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


def _encode(calls: Calls) -> str:
    return json.dumps([call.to_json() for call in calls], sort_keys=True)


def _decode(text: str) -> Calls:
    return tuple(DriverCall.from_json(item) for item in json.loads(text))


@dataclass
class _Directory:
    path: str
    tree_id: str | None
    subdirectories: list[_Directory] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # `.py`, `.ipynb`: parse keys


# Directories whose driver scripts are remembered (by tree id); a clear costs one full walk.
_SCRIPT_DIRECTORIES = 2_000


class Discoverer:
    """Finds the DAGs of commits; keep one per run so that its caches carry across commits."""

    def __init__(self, cache: ParseCache | None = None) -> None:
        self.cache = cache
        self.parsed = 0  # blobs this process read and parsed (not found in a cache)
        self._calls: dict[str, Calls] = {}  # parse key -> the file's driver calls
        self._scripts: dict[str, Scripts] = {}  # directory tree id -> its driver scripts
        # (script path, parse key) -> what its resolution looked at, and its DAGs
        self._resolved: dict[tuple[str, str], tuple[Dependencies, list[DagDefinition]]] = {}

    # -- which files are driver scripts ---------------------------------------------------

    def scripts(self, tree: Tree) -> list[tuple[str, Calls]]:
        """(path, driver calls) of every driver script of a tree, sorted by path."""
        return [(path, self._calls[blob]) for path, blob in self._script_entries(tree)]

    def _script_entries(self, tree: Tree) -> list[tuple[str, str]]:
        """(path, parse key) of the driver scripts; directories seen before cost nothing."""
        root_id = tree.tree_id("")
        if root_id is not None and root_id in self._scripts:
            return sorted(self._scripts[root_id])
        if len(self._scripts) > _SCRIPT_DIRECTORIES:  # bounded: memory flat over a history
            self._scripts.clear()
        walked: list[_Directory] = []
        self._walk(tree, _Directory("", root_id), walked)
        unknown = {blob for d in walked for _, blob in d.files if blob not in self._calls}
        if unknown:
            self._learn(tree, unknown)
        found: dict[str, Scripts] = {}
        for directory in reversed(walked):  # every directory after its subdirectories
            start = len(directory.path) + 1 if directory.path else 0
            scripts = [(path[start:], blob) for path, blob in directory.files if self._calls[blob]]
            for sub in directory.subdirectories:
                below = found[sub.path] if sub.path in found else self._scripts[str(sub.tree_id)]
                scripts += [(f"{sub.path[start:]}/{path}", blob) for path, blob in below]
            found[directory.path] = tuple(scripts)
            if directory.tree_id is not None:
                self._scripts[directory.tree_id] = found[directory.path]
        return sorted(found[""])

    def _walk(self, tree: Tree, directory: _Directory, walked: list[_Directory]) -> None:
        """List the directories not scanned before (by tree id), parents first."""
        for name in tree.names(directory.path):
            path = _join(directory.path, name)
            if _walked_elsewhere(tree.link_destination(path)):
                continue
            key = _parse_key(tree, path, name)
            if key is not None:
                if not is_test_path(path):
                    directory.files.append((path, key))
                continue
            if name.rsplit(".", 1)[-1].lower() in _FILE_SUFFIXES or _skipped_dir(name):
                continue
            if tree.is_dir(path):
                directory.subdirectories.append(_Directory(path, tree.tree_id(path)))
        walked.append(directory)
        for sub in directory.subdirectories:
            if sub.tree_id is None or sub.tree_id not in self._scripts:
                self._walk(tree, sub, walked)

    def _learn(self, tree: Tree, keys: set[str]) -> None:
        """Driver calls of blobs: from the database where another run parsed them, else parsed."""
        for version, chosen in (
            (PARSER_VERSION, {k for k in keys if not k.startswith(_NOTEBOOK_KEY)}),
            (f"{PARSER_VERSION}-ipynb", {k for k in keys if k.startswith(_NOTEBOOK_KEY)}),
        ):
            blobs = {key.removeprefix(_NOTEBOOK_KEY): key for key in chosen}
            if not blobs:
                continue
            stored = self.cache.discovered_blobs(set(blobs), version) if self.cache else {}
            new: dict[str, str] = {}
            for blob, key in blobs.items():
                if blob in stored:
                    self._calls[key] = _decode(stored[blob])
                    continue
                self._calls[key] = _read_calls(tree, blob, notebook=key != blob)
                self.parsed += 1
                new[blob] = _encode(self._calls[key])
            if new and self.cache is not None:
                self.cache.save_discovered_blobs(new, version)

    # -- from calls to definitions --------------------------------------------------------

    def definitions(self, tree: Tree) -> dict[str, DagDefinition]:
        """The discovered DAGs of a tree by name (`dir/script`, `dir/script#2`, ...)."""
        found: dict[str, DagDefinition] = {}
        for path, blob in self._script_entries(tree):
            memo = self._resolved.get((path, blob))
            if memo is None or not _still_valid(tree, memo[0]):
                memo = _script_definitions(tree, path, self._calls[blob])
                self._resolved[(path, blob)] = memo
            for definition in memo[1]:
                found[definition.name] = definition
        return found


def _parse_key(tree: Tree, path: str, name: str) -> str | None:
    """How a candidate file's driver calls are cached, or None when it is not a candidate."""
    if name.endswith(".py"):
        return tree.blob(path)
    if name.endswith(NOTEBOOK_SUFFIX):
        blob = tree.blob(path)
        return None if blob is None else _NOTEBOOK_KEY + blob
    return None


def _walked_elsewhere(destination: str | None) -> bool:
    """A symlink to a place in the repository that discovery walks anyway (`pkg/examples ->
    ../examples`): following it would find the same DAGs twice."""
    if destination is None or destination == ".." or destination.startswith("../"):
        return False
    parts = destination.split("/") if destination else []
    return not any(_skipped_dir(part) for part in parts)


def _read_calls(tree: Tree, blob: str, *, notebook: bool) -> Calls:
    if not notebook:
        source = tree.read(blob)
        if not mentions_driver(source):
            return ()
        return tuple(driver_calls(source.decode("utf-8", "replace")))
    try:
        data = tree.read(blob)
    except Exception:
        return ()  # a notebook whose blob cannot be read (too large for a partial mirror)
    if not mentions_driver(data):
        return ()
    source, origins = notebook_source(data)
    return tuple(
        replace(call, cell=origins[call.line - 1][0], line=origins[call.line - 1][1])
        for call in driver_calls(source)
    )


Dependencies = tuple[tuple[str, str | None], ...]  # (directory, its tree id when resolved)
_STDLIB = frozenset(sys.stdlib_module_names)


def _still_valid(tree: Tree, dependencies: Dependencies) -> bool:
    """Module resolution looked only into these directories; are they unchanged?"""
    return all(tree_id is not None and tree.tree_id(d) == tree_id for d, tree_id in dependencies)


Written = dict[str, tuple[str, str]]  # module name -> (path, file id) of notebook cells


_CELLS_BY_BLOB: dict[str, dict[str, CellModule]] = {}  # blob ids name their content


def _cell_modules(tree: Tree, blob: str) -> dict[str, CellModule]:
    """`cell_modules` of a notebook blob, read once per blob id in this process."""
    if blob not in _CELLS_BY_BLOB:
        try:
            _CELLS_BY_BLOB[blob] = cell_modules(tree.read(blob))
        except Exception:
            _CELLS_BY_BLOB[blob] = {}  # unreadable: its driver calls were not read either
    return _CELLS_BY_BLOB[blob]


def _written(tree: Tree, script: str) -> Written:
    """The modules a notebook's cells write into its folder (none for a script)."""
    blob = tree.blob(script) if script.endswith(NOTEBOOK_SUFFIX) else None
    if blob is None:
        return {}
    modules = _cell_modules(tree, blob)
    folder = posixpath.dirname(script)
    found = {}
    for name, module in modules.items():
        path = normalize(posixpath.join(folder, module.path))
        if not path.startswith(".."):
            found[name] = (path, cell_file_id(blob, module.cell))
    return found


def _module(
    tree: Tree, script: str, ref: ModuleRef, looked: set[str], written: Written
) -> tuple[str, str] | None:
    """The file a module reference names and the dotted name the driver imports it by (the
    one Hamilton records as the `module` tag), noting the directories the answer depends on."""
    if not ref.level and ref.dotted in written:
        return written[ref.dotted][0], ref.dotted
    if ref == SELF:  # run as `python script.py` it is `__main__`; imported, it is its stem
        if script.endswith(NOTEBOOK_SUFFIX):
            return None  # a notebook's own functions are no module file to build
        if posixpath.basename(script) == "__init__.py":
            return script, import_root(tree, script)[1]  # a package, imported by its name
        return script, posixpath.basename(script).removesuffix(".py")
    if ref.level:
        directory = posixpath.dirname(script)
        for _ in range(ref.level - 1):
            directory = posixpath.dirname(directory)
        looked.add(directory)
        path = resolve_relative(tree, script, ref.level, ref.dotted)
        return None if path is None else (path, import_root(tree, path)[1])
    if ref.dotted.split(".")[0] in _STDLIB:
        return None  # `hamilton` may still be: its contrib dataflows live in the repository
    for base in script_search_path(tree, script):
        looked.add(base)
        path = resolve_module(tree, (base,), ref.dotted)
        if path is not None:
            return path, ref.dotted
    return None


def _script_definitions(
    tree: Tree, script: str, calls: Calls
) -> tuple[Dependencies, list[DagDefinition]]:
    """One definition per distinct (modules, config) the script builds, in call order; the
    first is named by the script, the next ones `#2`, `#3`..."""
    base = posixpath.splitext(script)[0]
    looked: set[str] = set()
    definitions: list[DagDefinition] = []
    written = _written(tree, script) if calls else {}
    cell_files = tuple(sorted(set(written.values())))
    for call in calls:
        modules: dict[str, str] = {}  # path -> dotted name
        for ref in call.modules:
            found = _module(tree, script, ref, looked, written)
            if found is not None and found[0] not in modules:
                modules[found[0]] = found[1]
        if not modules:
            continue  # modules we cannot name, or not the repository's own
        name = base if not definitions else f"{base}#{len(definitions) + 1}"
        candidate = _definition(tree, name, script, call, modules, looked)
        if any(written.get(dotted, ("",))[0] == path for path, dotted in modules.items()):
            candidate = replace(candidate, written_files=cell_files)
        if not any(_same_dag(candidate, seen) for seen in definitions):
            definitions.append(candidate)
    dependencies = tuple((d, tree.tree_id(d)) for d in sorted(looked))
    return dependencies, definitions


def _top_key(path: str) -> str:
    """`window` of the config path `window.end` or `window[2]`."""
    return path.split(".")[0].split("[")[0]


def _definition(
    tree: Tree, name: str, script: str, call: DriverCall, modules: dict[str, str], looked: set[str]
) -> DagDefinition:
    """The DAG of one driver call; its config files read at this commit."""
    loaded = load_config_files(tree, script, call.config_files, looked)
    return DagDefinition(
        name,
        tuple(modules),
        {**loaded.values, **call.config},
        config_types=tuple(sorted(t for t in loaded.types if _top_key(t[0]) not in call.config)),
        allow_module_overrides="allow_module_overrides" in call.options,
        dynamic_execution="enable_dynamic_execution" in call.options,
        import_names=tuple(modules.values()),
        config_files=tuple(loaded.files),
        notes=tuple(loaded.notes),
        source=f"{script}:{call.place}",
        config_literal=call.config_literal and loaded.complete,
    )


def script_definitions(tree: Tree, script: str, calls: Calls) -> list[DagDefinition]:
    """The DAGs one driver script builds (see `_script_definitions`)."""
    return _script_definitions(tree, script, calls)[1]


def _same_dag(one: DagDefinition, other: DagDefinition) -> bool:
    return one.to_dict() | {"name": ""} == other.to_dict() | {"name": ""}
