"""What importing a DAG's modules can execute, as one digest: the structure key of a build.

A Hamilton DAG is made at import time: from the modules' top-level code, class bodies,
decorators and their arguments, signatures (annotations and defaults) and docstrings, and
from whatever code those reach. The bodies of other functions run only when the DAG runs, so
a change to them cannot change nodes, edges, types, tags or config: only code fingerprints,
which are static. The digest keeps everything import time can reach and leaves out the rest:

- every function's and method's body, except its docstring, unless its name is read by code
  that runs at import time (directly, or through another reached function's body, in any
  file of the closure): then the whole body stays;
- a class whose name import-time code reads keeps all of its methods (instantiating it runs
  them: `__init__`, metaclasses, operators); one named only as a type in annotations (not
  called there) keeps only its special `__methods__` (a subclass or subscript check can run
  them, a type cannot run the others);
- the value of a top-level or class-level assignment of a literal (`TIMEOUT = 30`) whose
  name no import-time code reads: the name stays (an import of it must still succeed).

Names are matched by name alone, wherever they are defined, so the digest errs on the side of
keeping code: a change it leaves out can only be one no import-time code can reach by name.
"""

from __future__ import annotations

import ast
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class _FileParts:
    """One file, split into what import time runs and the bodies it may not."""

    skeleton: ast.Module
    reads: set[str]  # names and attributes the import-time code reads
    bodies: dict[str, list[list[ast.stmt]]] = field(default_factory=dict)  # by function name
    class_methods: dict[str, list[str]] = field(default_factory=dict)  # class -> its methods
    literals: list[tuple[ast.Assign | ast.AnnAssign, set[str]]] = field(default_factory=list)


def _names(nodes: Iterable[ast.AST]) -> set[str]:
    """The names and attributes the code reads (an assignment's own target is not a read)."""
    found: set[str] = set()
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Store):
                found.add(inner.id)
            elif isinstance(inner, ast.Attribute) and not isinstance(inner.ctx, ast.Store):
                found.add(inner.attr)
    return found


def _is_literal(value: ast.expr | None) -> bool:
    if value is None:
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _targets(statement: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}


def _docstring_only(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if docstring and isinstance(first.value.value, str):  # type: ignore[union-attr]
        return [first]  # type: ignore[list-item]
    return [ast.Pass()]


class _Splitter:
    """Strips function bodies out of a module, noting them, and what import time reads."""

    def __init__(self, parts: _FileParts) -> None:
        self.parts = parts

    def block(self, body: list[ast.stmt], owner: str | None) -> None:
        for statement in body:
            if isinstance(statement, _Function):
                self.function(statement, owner)
            elif isinstance(statement, ast.ClassDef):
                self.parts.class_methods.setdefault(statement.name, [])
                self.block(statement.body, statement.name)
            elif isinstance(statement, ast.Assign | ast.AnnAssign) and _is_literal(statement.value):
                self.parts.literals.append((statement, _targets(statement)))
            elif isinstance(statement, ast.If | ast.Try | ast.With | ast.For | ast.While):
                self.nested(statement, owner)

    def nested(self, statement: ast.stmt, owner: str | None) -> None:
        for name in ("body", "orelse", "finalbody"):
            self.block(getattr(statement, name, []) or [], owner)
        for handler in getattr(statement, "handlers", []) or []:
            self.block(handler.body, owner)

    def function(self, function: _Function, owner: str | None) -> None:
        self.parts.bodies.setdefault(function.name, []).append(function.body)
        if owner is not None:
            self.parts.class_methods[owner].append(function.name)
        function.body = _docstring_only(function.body)


@dataclass(frozen=True)
class _Parsed:
    """One file's parts, computed once per source: the skeleton with every literal value
    blanked, the literal values, and each function body with the names it reads (skeleton
    and bodies as digests of their dumps, so a closure's digest hashes little text)."""

    skeleton: str
    reads: frozenset[str]
    typed: frozenset[str]  # read only as types in annotations
    bodies: Mapping[str, tuple[tuple[str, frozenset[str]], ...]]  # name -> (dump, its reads)
    class_methods: Mapping[str, tuple[str, ...]]
    literals: tuple[tuple[frozenset[str], str], ...]  # (assigned names, value dump)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=256)
def _parsed(source: bytes) -> _Parsed:
    tree = ast.parse(source.decode("utf-8", "replace"))
    parts = _FileParts(tree, set())
    _Splitter(parts).block(tree.body, None)
    reads, typed = _import_time_reads(tree)  # the bodies are out of the tree now
    literals = []
    for statement, names in parts.literals:
        literals.append((frozenset(names), ast.dump(statement.value, annotate_fields=False)))  # type: ignore[arg-type]
        statement.value = ast.Constant(value=...)
    bodies = {
        name: tuple(
            (
                _sha(ast.dump(ast.Module(body=body, type_ignores=[]), annotate_fields=False)),
                frozenset(_names(body)),
            )
            for body in found
        )
        for name, found in parts.bodies.items()
    }
    return _Parsed(
        _sha(ast.dump(tree, annotate_fields=False)),
        reads,
        typed - reads,
        bodies,
        {cls: tuple(methods) for cls, methods in parts.class_methods.items()},
        tuple(literals),
    )


def _annotations(tree: ast.AST) -> list[ast.expr]:
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, _Function) and node.returns is not None:
            found.append(node.returns)
    return found


def _import_time_reads(tree: ast.Module) -> tuple[frozenset[str], frozenset[str]]:
    """(names import time reads, names it reads only as types in annotations). A name
    called inside an annotation is a read like any other."""
    annotations = _annotations(tree)
    skipped = {id(node) for node in annotations}
    reads: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            reads.add(node.id)
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
            reads.add(node.attr)
        pending.extend(ast.iter_child_nodes(node))
    typed: set[str] = set()
    for annotation in annotations:
        calls = [n for n in ast.walk(annotation) if isinstance(n, ast.Call)]
        reads |= _names(calls)
        typed |= _names([annotation])
    return frozenset(reads), frozenset(typed)


def _special(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _reached(files: Mapping[str, _Parsed]) -> set[str]:
    """Every name import time reads, closed over the bodies of the functions (and the methods
    of the classes) it names; of a class named only as a type, its special methods."""
    reached: set[str] = set().union(*(parts.reads for parts in files.values()))
    typed: set[str] = set().union(*(parts.typed for parts in files.values())) - reached
    reached |= {
        method
        for parts in files.values()
        for name in typed
        for method in parts.class_methods.get(name, ())
        if _special(method)
    }
    pending = list(reached)
    defined = set().union(
        *(parts.bodies.keys() | parts.class_methods.keys() for parts in files.values())
    )
    while pending:
        name = pending.pop()
        if name not in defined:
            continue
        for parts in files.values():
            methods = parts.class_methods.get(name, ())
            for function in (name, *methods):
                for _, names in parts.bodies.get(function, ()):
                    for found in names - reached:
                        reached.add(found)
                        pending.append(found)
            for method in methods:
                if method not in reached:
                    reached.add(method)
                    pending.append(method)
    return reached


def _file_digest(parts: _Parsed, reached: set[str]) -> str:
    values = [
        f"{position}={value}"
        for position, (names, value) in enumerate(parts.literals)
        if names & reached
    ]
    kept = [
        dump for name in sorted(parts.bodies) if name in reached for dump, _ in parts.bodies[name]
    ]
    return _sha("\n".join([parts.skeleton, *values, *kept]))


def import_time_digests(sources: Mapping[str, bytes]) -> dict[str, str]:
    """Per Python file of a closure, the digest of what importing the closure can execute;
    a file that does not parse keeps its whole source (the build will report it)."""
    return _digests({path: _parse_or_hash(source) for path, source in sources.items()})


def _parse_or_hash(source: bytes) -> _Parsed | str:
    try:
        return _parsed(source)
    except (SyntaxError, ValueError, RecursionError):
        return hashlib.sha256(source).hexdigest()


def _digests(files: Mapping[str, _Parsed | str]) -> dict[str, str]:
    parsed = {path: parts for path, parts in files.items() if isinstance(parts, _Parsed)}
    reached = _reached(parsed)
    return {
        path: parts if isinstance(parts, str) else _file_digest(parts, reached)
        for path, parts in files.items()
    }


_BY_ID: OrderedDict[str, _Parsed | str] = OrderedDict()
_BY_ID_SIZE = 4096  # files: bounded, so memory stays flat over a long history


def import_time_digests_by_id(
    files: Mapping[str, str], read: Callable[[str], bytes]
) -> dict[str, str]:
    """`import_time_digests` of files given by id (path -> blob or file id), each read and
    parsed once while it stays among the most recently used."""
    found: dict[str, _Parsed | str] = {}
    for path, file_id in files.items():
        parts = _BY_ID.get(file_id)
        if parts is None:
            parts = _BY_ID[file_id] = _parse_or_hash(read(file_id))
            if len(_BY_ID) > _BY_ID_SIZE:
                _BY_ID.popitem(last=False)
        else:
            _BY_ID.move_to_end(file_id)
        found[path] = parts
    return _digests(found)
