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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lineage_history.build.fingerprints import (
    Fingerprinter,
    MetadataTest,
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
    tree: Tree, search: Sequence[str], is_metadata: MetadataTest
) -> Fingerprinter:
    """The fingerprinter of a build's files, as the build child and `refresh` both use it."""

    def read(path: str) -> str | None:
        if not path.endswith(".py") or path.startswith(".."):
            return None
        data = tree.read_path(path)
        return None if data is None else data.decode("utf-8", "replace")

    def resolve(importer: str, module: str, level: int) -> str | None:
        if level:
            return resolve_relative(tree, importer, level, module)
        return resolve_module(tree, search, module)

    return Fingerprinter(read, resolve, is_metadata)


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

    def __call__(self, path: str, decorator: ast.expr) -> bool:
        chain = tuple(decorator_chain(decorator))
        if not chain:
            return False  # what the build's test answers for a callee with no name
        found = self._answers.get((path, chain))
        if found is None:
            raise _Unrecorded(path, chain)
        return found


def refresh(
    snapshot: Snapshot,
    recipe: Recipe,
    files: Sequence[FileEntry],
    search: Sequence[str],
    read_blob: Callable[[str], bytes],
) -> Snapshot | None:
    """`snapshot` with the code fingerprints a build of `files` records, or None when the
    recipe cannot be replayed exactly over them."""
    tree = IndexTree(
        [("100644", blob, path) for path, blob in files],
        lambda file_id: read_file_id(read_blob, file_id),
    )
    prints = tree_fingerprinter(tree, search, _Replay(recipe.get("metadata", ())))
    steps: Mapping[str, list[list[Any]]] = recipe.get("nodes", {})
    nodes = []
    try:
        for node in snapshot.nodes.values():
            if node.code is None:
                nodes.append(node)
                continue
            code = _replay(prints, steps.get(node.name))
            if code is None:
                return None
            nodes.append(dataclasses.replace(node, code=code))
    except (_Unrecorded, LookupError, SyntaxError, RecursionError):
        return None
    return Snapshot.of(nodes, snapshot.config, snapshot.stubbed)


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
