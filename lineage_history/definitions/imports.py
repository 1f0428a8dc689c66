"""The import model of a build: import roots, the search path and the static import closure
of a DAG's modules at one commit, resolved the way Python would resolve them there."""

from __future__ import annotations

import ast
import importlib.util
import keyword
import os
import posixpath
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from lineage_history.definitions.notebooks import read_file_id
from lineage_history.repo.tree import Reads, Tree, normalize

# Never taken from the repository: the builder itself runs on the installed copies (a
# repository such as apache/hamilton holds its own `hamilton/`, which must not shadow them).
PROTECTED = frozenset({"hamilton", "lineage_history"})
_NOT_LOCAL = PROTECTED | frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class ImportRef:
    """One import statement: `from ..pkg import a, b` is ImportRef("pkg", 2, ("a", "b"))."""

    module: str
    level: int = 0
    names: tuple[str, ...] = ()


_REFS_BY_BLOB: dict[str, tuple[ImportRef, ...]] = {}


def import_refs(source: bytes) -> tuple[ImportRef, ...]:
    """Every import statement of a module, at any depth (inside functions and `try` too)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()  # the build reports the syntax error; the closure just stops here
    refs: list[ImportRef] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            refs.extend(ImportRef(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            refs.append(ImportRef(node.module or "", node.level, names))
    return tuple(refs)


def import_refs_of_blob(tree: Tree, blob_id: str) -> tuple[ImportRef, ...]:
    """`import_refs` of a blob (or notebook cell), parsed once per id in this process."""
    refs = _REFS_BY_BLOB.get(blob_id)
    if refs is None:
        refs = import_refs(read_file_id(tree.read, blob_id))
        _REFS_BY_BLOB[blob_id] = refs
    return refs


def _join(directory: str, name: str) -> str:
    return posixpath.join(directory, name) if directory else name


def _package_name(name: str) -> bool:
    """Whether a folder name can be part of a dotted module name (`my-app` cannot)."""
    return name.isidentifier() and not keyword.iskeyword(name)


def import_root(tree: Tree, path: str) -> tuple[str, str]:
    """(import root, dotted name) of a module file: walk up while `__init__.py` exists and
    the folder's name is one that Python can import (never past `multi-agent-collaboration`)."""
    path = normalize(path)
    directory, filename = posixpath.split(path)
    parts = [] if filename == "__init__.py" else [filename.removesuffix(".py")]
    while directory and tree.is_file(_join(directory, "__init__.py")):
        parent, package = posixpath.split(directory)
        if not _package_name(package):
            break
        directory = parent
        parts.insert(0, package)
    return directory, ".".join(parts)


def root_of_name(path: str, dotted: str) -> str:
    """The `sys.path` entry from which `import <dotted>` finds `path` (`a/b/c.py` as `b.c`:
    `a`; a package `a/b/__init__.py` as `b`: `a`)."""
    directory = posixpath.dirname(normalize(path))
    if posixpath.basename(path) == "__init__.py":
        directory = posixpath.dirname(directory)
    for _ in range(dotted.count(".")):
        directory = posixpath.dirname(directory)
    return directory


def module_names(
    tree: Tree, paths: Sequence[str], names: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """(path, dotted name) of each module: the name its driver imports it by when known,
    else the one `import_root` derives."""
    return tuple(
        (path, names[i] if i < len(names) and names[i] else import_root(tree, path)[1])
        for i, path in enumerate(paths)
    )


def search_path(tree: Tree, modules: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """A build's `sys.path` head: the modules' import roots, the repository root, `src/`."""
    entries: list[str] = []
    for path, dotted in modules:
        root = root_of_name(path, dotted)
        if root not in entries:
            entries.append(root)
    for extra in ("", "src"):
        if extra not in entries and (extra == "" or tree.is_dir(extra)):
            entries.append(extra)
    return tuple(entries)


def script_search_path(tree: Tree, script_path: str) -> tuple[str, ...]:
    """What `python path/script.py` sees first: the script's directory, the repository
    root and `src/` (as a build of its modules will)."""
    directory = posixpath.dirname(normalize(script_path))
    entries = [directory]
    for extra in ("", "src"):
        if extra not in entries and (extra == "" or tree.is_dir(extra)):
            entries.append(extra)
    return tuple(entries)


def _in_directory(tree: Tree, base: str, dotted: str) -> list[str] | None:
    """The files that importing `dotted` from directory `base` executes (package
    `__init__.py` files, then the module), or None when it is not there. A namespace
    package resolves to the `__init__` files on its way, possibly none."""
    files: list[str] = []
    directory = base
    parts = dotted.split(".")
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        candidate = _join(directory, part)
        init = _join(candidate, "__init__.py")
        if tree.is_file(init):
            files.append(init)
            directory = candidate
        elif last and tree.is_file(candidate + ".py"):
            files.append(candidate + ".py")
        elif tree.is_dir(candidate):
            directory = candidate  # a namespace package
        else:
            return None
    return files


def resolve_module(tree: Tree, search: Sequence[str], dotted: str) -> str | None:
    """The file of the absolute module `dotted` (its `.py` or package `__init__.py`), or None
    when it is not the repository's (third-party, standard library, or absent)."""
    found = _absolute(tree, search, dotted)
    return found[-1] if found else None


def _absolute(tree: Tree, search: Sequence[str], dotted: str) -> list[str] | None:
    if not dotted:
        return None
    top = dotted.split(".")[0]
    if top in PROTECTED:
        return _protected_extension(tree, search, dotted)
    if top in _NOT_LOCAL:
        return None
    for base in search:
        files = _in_directory(tree, base, dotted)
        if files is not None:
            return files
    return None


def _protected_extension(tree: Tree, search: Sequence[str], dotted: str) -> list[str] | None:
    """A module under `hamilton` that the installed Hamilton lacks comes from the repository
    (apache/hamilton's contrib dataflows install into `hamilton.contrib`): its files below
    the part the installed package provides."""
    parts = tuple(dotted.split("."))
    provided = next(n for n in range(len(parts), 0, -1) if installed_provides(parts[:n]))
    if provided == len(parts):
        return None
    for base in search:
        files = _in_directory(tree, base, dotted)
        if files is not None:
            installed = {
                _join(base, "/".join(parts[:n])) + "/__init__.py" for n in range(1, provided + 1)
            }
            return [f for f in files if f not in installed]
    return None


@cache
def installed_provides(parts: tuple[str, ...]) -> bool:
    """Whether the installed package provides module `parts` (a file check, no import)."""
    spec = importlib.util.find_spec(parts[0])
    if spec is None:
        return False
    locations = list(spec.submodule_search_locations or ())
    if len(parts) == 1 or not locations:
        return len(parts) == 1
    return any(
        os.path.isdir(os.path.join(location, *parts[1:]))
        or os.path.isfile(os.path.join(location, *parts[1:]) + ".py")
        for location in locations
    )


def _relative_base(importer_path: str, level: int) -> str | None:
    directory = posixpath.dirname(normalize(importer_path))
    for _ in range(level - 1):
        if not directory:
            return None  # beyond the top-level package
        directory = posixpath.dirname(directory)
    return directory


def resolve_relative(tree: Tree, importer_path: str, level: int, dotted: str) -> str | None:
    """The file that `from <level dots><dotted> import ...` in `importer_path` names."""
    base = _relative_base(importer_path, level)
    if base is None:
        return None
    if not dotted:
        init = _join(base, "__init__.py")
        return init if tree.is_file(init) else None
    files = _in_directory(tree, base, dotted)
    return files[-1] if files else None


def _targets(tree: Tree, search: Sequence[str], importer: str, ref: ImportRef) -> list[str]:
    """Every repository file one import statement can execute."""
    submodules = [n for n in ref.names if n != "*"]
    if ref.level:
        base = _relative_base(importer, ref.level)
        if base is None:
            return []
        found = [_join(base, "__init__.py")] if tree.is_file(_join(base, "__init__.py")) else []
        if ref.module:
            found += _in_directory(tree, base, ref.module) or []
        prefix = f"{ref.module}." if ref.module else ""
        for name in submodules:
            found += _in_directory(tree, base, prefix + name) or []
        return found
    found = _absolute(tree, search, ref.module) or []
    for name in submodules:
        found += _absolute(tree, search, f"{ref.module}.{name}") or []
    return found


@dataclass(frozen=True)
class Closure:
    """What a build of some modules sees: the files, and the top-level names the repository
    provides to it (inside the build those always come from the commit)."""

    files: dict[str, str]  # path -> blob id
    local_names: tuple[str, ...]


# Per (path, search path): (blob id, package inits, import targets, top-level names), and
# the tree reads that made it: valid in any tree where those reads still hold, so DAGs and
# consecutive commits share it (only the files whose resolution changed are walked again).
ClosureMemo = dict[tuple[str, tuple[str, ...]], tuple[tuple[Any, ...], Reads]]


def closure(
    tree: Tree,
    modules: Sequence[tuple[str, str]],
    search: Sequence[str],
    written: Mapping[str, str] | None = None,
    memo: ClosureMemo | None = None,
) -> Closure:
    """The DAG modules (path, dotted name) and every repository module they import,
    transitively, with the `__init__.py` of each package on the way. `written`: files that
    the driver writes before it builds (a notebook's `%%writefile` cells), path -> file id.
    `memo`: what walking each file found in this tree, shared by the DAGs of a commit (the
    reads it took are noted again in the current recording, see `Tree.recording`)."""
    written = written or {}
    memo = {} if memo is None else memo
    files: dict[str, str] = {}
    names = {dotted.split(".")[0] for _, dotted in modules}
    pending = [path for path, _ in modules]
    search = tuple(search)
    while pending:
        path = normalize(pending.pop())
        if path in files:
            continue
        if path in written:
            blob_id, inits, targets, found = _step(tree, search, path, written[path])
        else:
            blob_id, inits, targets, found = _memo_step(tree, search, path, memo)
        if blob_id is None:
            continue
        files[path] = blob_id
        names.update(found)
        pending.extend(inits)
        pending.extend(targets)
    return Closure(files, tuple(sorted(n for n in names if n and n not in _NOT_LOCAL)))


def _memo_step(
    tree: Tree, search: tuple[str, ...], path: str, memo: ClosureMemo
) -> tuple[Any, ...]:
    found = memo.get((path, search))
    if found is None or not tree.still_holds(found[1]):
        with tree.recording() as reads:
            step = _step(tree, search, path, tree.blob(path))
        found = memo[(path, search)] = (step, reads)
    tree.replay(found[1])
    return found[0]


def _step(tree: Tree, search: tuple[str, ...], path: str, blob_id: str | None) -> tuple[Any, ...]:
    """What one file of a closure adds: (its blob id, the package inits above it, the files
    its imports execute, the top-level names of its absolute imports)."""
    if blob_id is None:
        return (None, (), (), ())
    targets: list[str] = []
    names: list[str] = []
    if path.endswith(".py"):
        for ref in import_refs_of_blob(tree, blob_id):
            found = _targets(tree, search, path, ref)
            if found and not ref.level:
                names.append(ref.module.split(".")[0])
            targets.extend(found)
    return (blob_id, tuple(_package_inits(tree, path)), tuple(targets), tuple(names))


def _package_inits(tree: Tree, path: str) -> list[str]:
    """The `__init__.py` files of the packages enclosing a module, up to its import root."""
    inits = []
    directory = posixpath.dirname(path)
    while directory:
        init = _join(directory, "__init__.py")
        if not tree.is_file(init):
            break
        inits.append(init)
        directory = posixpath.dirname(directory)
    return inits
