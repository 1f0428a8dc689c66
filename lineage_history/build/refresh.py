"""Code fingerprints computed again for other files without a build.

When two plans share a structure key (`plans.BuildPlan.structure_key`), importing their
files builds the same graph: only the code fingerprints of its nodes can differ, and those
are static. The build child records, beside the snapshot, how it fingerprinted each node (a
*recipe*: which function of which file, the names bound to it, and what each decorator it
met turned out to be at run time); `refresh` replays the recipe over the other plan's files
with the same `Fingerprinter`, so the result is the one a build of those files records. A
recipe step that cannot be replayed exactly (a decorator not seen in the build, a function
no longer where it was) makes `refresh` return None, and the caller builds instead.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lineage_history.build.fingerprints import (
    Fingerprinter,
    MetadataTest,
    PartMemo,
    decorator_chain,
)
from lineage_history.dag.model import Snapshot
from lineage_history.definitions.imports import resolve_module, resolve_relative
from lineage_history.definitions.notebooks import read_file_id
from lineage_history.repo.tree import FileEntry, IndexTree, Tree

# One step of a node's recipe: ["fp", path, function, [which, of how many], bound, node]
# (a `Fingerprinter.function` call), ["fixed", fingerprint] (code that is not the
# repository's) or ["unknown"] (a fingerprint made some other way: not replayable).
Recipe = dict[str, Any]


def tree_fingerprinter(
    tree: Tree,
    search: Sequence[str],
    is_metadata: MetadataTest,
    shared: PartMemo | None = None,
    resolved: dict[tuple[str, str, int], str | None] | None = None,
    touched: set[str] | None = None,
) -> Fingerprinter:
    """The fingerprinter of a build's files, as the build child and `refresh` both use it.
    `touched`: where to note the files it reads."""

    def read(path: str) -> str | None:
        if not path.endswith(".py") or path.startswith(".."):
            return None
        if touched is not None:
            touched.add(path)
        data = tree.read_path(path)
        return None if data is None else data.decode("utf-8", "replace")

    def resolve(importer: str, module: str, level: int) -> str | None:
        key = (importer if level else "", module, level)
        if resolved is not None and key in resolved:
            return resolved[key]
        if level:
            found = resolve_relative(tree, importer, level, module)
        else:
            found = resolve_module(tree, search, module)
        if resolved is not None:  # valid for every tree of the same paths
            resolved[key] = found
        return found

    return Fingerprinter(read, resolve, is_metadata, shared)


def join_fingerprints(parts: Sequence[str]) -> str:
    """A node's fingerprint from those of its originating functions and steps."""
    return parts[0] if len(parts) == 1 else "+".join(parts)


class RecordingMetadata:
    """A metadata test that notes every answer, by file and decorator name chain (all the
    build child's test looks at), for `refresh` to replay."""

    def __init__(self, test: MetadataTest) -> None:
        self._test = test
        self._answers: dict[tuple[str, tuple[str, ...]], bool] = {}

    def __call__(self, path: str, decorator: ast.expr) -> bool:
        chain = tuple(decorator_chain(decorator))
        if (path, chain) not in self._answers:
            self._answers[(path, chain)] = self._test(path, decorator)
        return self._answers[(path, chain)]

    def note_all(self, tree: Tree) -> None:
        """Answer for every decorator of every Python file, so that a replay over edited
        function bodies finds the decorators that moved between functions."""
        for path, _ in tree.files(""):
            if not path.endswith(".py"):
                continue
            data = tree.read_path(path)
            try:
                parsed = ast.parse(data or b"")
            except (SyntaxError, ValueError):
                continue
            for node in ast.walk(parsed):
                for decorator in getattr(node, "decorator_list", ()):
                    self(path, decorator)

    def answers(self) -> list[list[Any]]:
        return [[path, list(chain), value] for (path, chain), value in self._answers.items()]


class _Unrecorded(Exception):
    """A decorator the build did not see: what it is at run time is unknown."""


class _Replay:
    def __init__(self, answers: Sequence[Sequence[Any]]) -> None:
        self._answers = {(path, tuple(chain)): value for path, chain, value in answers}
        by_path: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
        for (path, chain), value in self._answers.items():
            by_path.setdefault(path, []).append((chain, value))
        self.of_path = {path: frozenset(found) for path, found in by_path.items()}

    def __call__(self, path: str, decorator: ast.expr) -> bool:
        chain = tuple(decorator_chain(decorator))
        if not chain:
            return False  # what the build's test answers for a callee with no name
        found = self._answers.get((path, chain))
        if found is None:
            raise _Unrecorded(path, chain)
        return found


@dataclass(frozen=True)
class Refreshable:
    """A snapshot with what refreshing it takes: the recipe of the build it comes from, the
    files it was made of, and for each node the files its fingerprint read (None after a
    build: the child does not note them)."""

    snapshot: Snapshot
    recipe: Recipe
    files: tuple[FileEntry, ...]
    node_files: Mapping[str, frozenset[str]] | None = None


def refresh(
    source: Refreshable,
    files: tuple[FileEntry, ...],
    search: Sequence[str],
    read_blob: Callable[[str], bytes],
) -> Refreshable | None:
    """`source` with the code fingerprints a build of `files` records, or None when the
    recipe cannot be replayed exactly over them. With the same file layout, a node none of
    whose read files changed keeps its fingerprint (the same reads give the same result)."""
    tree = IndexTree(
        [("100644", blob, path) for path, blob in files],
        lambda file_id: _source(read_blob, file_id),
    )
    replay = _Replay(source.recipe.get("metadata", ()))

    def shared(path: str, key: str, make: Callable[[], Any]) -> Any:
        """A part is the same wherever its file's content and the metadata answers for the
        file are: refreshes of many DAGs over the same helpers dump each once."""
        memo_key = (path, key, tree.blob(path), replay.of_path.get(path))
        found = _PARTS.get(memo_key)
        if found is None:
            found = _PARTS[memo_key] = make()
            if len(_PARTS) > _PARTS_SIZE:
                _PARTS.popitem(last=False)
        return found

    layout = (frozenset(path for path, _ in files), tuple(search))
    if layout not in _RESOLVED and len(_RESOLVED) > _RESOLVED_SIZE:
        _RESOLVED.clear()
    touched: set[str] = set()
    prints = tree_fingerprinter(
        tree, search, replay, shared, _RESOLVED.setdefault(layout, {}), touched
    )
    known = source.node_files or {}
    if layout[0] != frozenset(path for path, _ in source.files):
        known = {}
    changed = set(files) ^ set(source.files)
    changed_paths = {path for path, _ in changed}
    steps: Mapping[str, list[list[Any]]] = source.recipe.get("nodes", {})
    nodes, node_files = [], {}
    try:
        for node in source.snapshot.nodes.values():
            read = known.get(node.name)
            if node.code is None or (read is not None and not read & changed_paths):
                nodes.append(node)
                node_files[node.name] = read or frozenset()
                continue
            touched.clear()
            code = _replay(prints, steps.get(node.name))
            if code is None:
                return None
            nodes.append(dataclasses.replace(node, code=code))
            node_files[node.name] = frozenset(touched)
    except (_Unrecorded, LookupError, SyntaxError, RecursionError):
        return None
    snapshot = Snapshot.of(nodes, source.snapshot.config, source.snapshot.stubbed)
    return Refreshable(snapshot, source.recipe, files, node_files)


# Bounded, so that memory stays flat over a long history.
_PARTS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_PARTS_SIZE = 20_000
_RESOLVED: dict[tuple[frozenset[str], tuple[str, ...]], dict[tuple[str, str, int], str | None]] = {}
_RESOLVED_SIZE = 2_000
_SOURCES: OrderedDict[str, bytes] = OrderedDict()
_SOURCES_SIZE = 2_000


def _source(read_blob: Callable[[str], bytes], file_id: str) -> bytes:
    found = _SOURCES.get(file_id)
    if found is None:
        found = _SOURCES[file_id] = read_file_id(read_blob, file_id)
        if len(_SOURCES) > _SOURCES_SIZE:
            _SOURCES.popitem(last=False)
    return found


def _replay(prints: Fingerprinter, steps: list[list[Any]] | None) -> str | None:
    if not steps:
        return None
    parts = []
    for step in steps:
        if step[0] == "fixed":
            parts.append(step[1])
            continue
        if step[0] != "fp":
            return None
        _, path, name, position, bound, node = step
        first_line = prints.first_line_of(path, name, (position[0], position[1]))
        if first_line is None:
            return None
        parts.append(prints.function(path, name, first_line, tuple(bound), node))
    return join_fingerprints(parts)
