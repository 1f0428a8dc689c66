"""Code fingerprints: a function's AST without docs, formatting or metadata decorators, plus,
transitively, the project-local code it uses (functions, classes, module-level assignments,
in its own module or imported from another module of the repository). Pure; no Hamilton."""

from __future__ import annotations

import ast
import hashlib
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from lineage_history.build.code_uses import (
    Access,
    Import,
    ModuleIndex,
    Uses,
    class_members,
    container_entries,
    index_module,
    sibling_reads,
    uses_of,
)
from lineage_history.build.expanders import narrow

# Decorators that only attach metadata, by name: the fallback when the build cannot tell
# what a decorator is (the build child recognizes Hamilton's `tag` subclasses by type).
METADATA_DECORATORS = frozenset({"tag", "tag_outputs", "schema"})
_FunctionDef = ast.FunctionDef | ast.AsyncFunctionDef
_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

# Is this decorator (in this file) metadata only?
MetadataTest = Callable[[str, ast.expr], bool]
# The file a module-level import names, from the importing file: (path, module, level).
ImportResolver = Callable[[str, str, int], "str | None"]
# Parts memoised beyond one fingerprinter: (path, key, compute the part) -> the part.
PartMemo = Callable[[str, str, Callable[[], "_Part"]], "_Part"]


def decorator_chain(decorator: ast.expr) -> list[str]:
    """`fm.tag(...)` -> ["fm", "tag"]; empty when the callee is not a dotted name."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    chain: list[str] = []
    while isinstance(target, ast.Attribute):
        chain.insert(0, target.attr)
        target = target.value
    if not isinstance(target, ast.Name):
        return []
    return [target.id, *chain]


def metadata_by_name(path: str, decorator: ast.expr) -> bool:
    chain = decorator_chain(decorator)
    return bool(chain) and (chain[-1] in METADATA_DECORATORS or chain[-2:-1] == ["schema"])


def _strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:] or [ast.Pass()]
    return body


@lru_cache(maxsize=512)
def _index(source: str) -> ModuleIndex:
    return index_module(source)


@dataclass(frozen=True)
class _Part:
    """One definition or assignment as compared: its dump and what it uses."""

    dump: str
    uses: Uses


def _part(
    node: ast.stmt,
    path: str,
    is_metadata: MetadataTest,
    *,
    anonymous: bool = False,
    as_node: str | None = None,
) -> _Part:
    """Dump `node` without docstrings and metadata decorators (what those use is compared as
    tags, not as code); `as_node`: a function as the node of that name sees it (decorators
    that generate several nodes narrowed to that node's entry). The parsed module is shared,
    so it is edited in place and restored rather than copied (a copy costs more than the
    dump)."""
    saved: list[tuple[_Definition, list[ast.stmt], list[ast.expr], str]] = []
    for inner in ast.walk(node):
        if isinstance(inner, _Definition):
            saved.append((inner, inner.body, inner.decorator_list, inner.name))
            inner.body = _strip_docstring(inner.body)
            inner.decorator_list = [d for d in inner.decorator_list if not is_metadata(path, d)]
    try:
        if as_node is not None and isinstance(node, _FunctionDef):
            narrowed = narrow(node.decorator_list, node.name, as_node)
            node.decorator_list = narrowed.decorators
            if not narrowed.keeps_body:
                node.body = [ast.Pass()]
        if anonymous and isinstance(node, _Definition):
            node.name = "_"
        return _Part(ast.dump(node, annotate_fields=False), uses_of(node))
    finally:
        for inner, body, decorators, name in saved:
            inner.body, inner.decorator_list, inner.name = body, decorators, name


def _candidates(index: ModuleIndex, name: str) -> list[_Definition]:
    """The module-level functions `name`, else the nested ones of that name."""
    candidates = [d for d in index.definitions.get(name, []) if isinstance(d, _FunctionDef)]
    if not candidates:
        candidates = [
            n for n in ast.walk(index.tree) if isinstance(n, _FunctionDef) and n.name == name
        ]
    return candidates  # type: ignore[return-value]


def _first_line(func: _Definition) -> int:
    return min([func.lineno, *(d.lineno for d in func.decorator_list)])


class Fingerprinter:
    """Fingerprints functions of a build's files. `read` gives a file's source (None when it
    is not the repository's), `resolve` the file an import names, `is_metadata` whether a
    decorator only attaches metadata. Dumps are memoized per (source, name)."""

    def __init__(
        self,
        read: Callable[[str], str | None],
        resolve: ImportResolver,
        is_metadata: MetadataTest = metadata_by_name,
        shared: PartMemo | None = None,
    ) -> None:
        self._read = read
        self._resolve = resolve
        self._is_metadata = is_metadata
        self._shared = shared
        self._memo: dict[str, _Part] = {}
        self._resolved: dict[tuple[str, str, int], str | None] = {}

    def function(
        self,
        path: str,
        name: str,
        first_line: int | None = None,
        bound_as: tuple[str, ...] = (),
        node: str | None = None,
    ) -> str:
        """Fingerprint of the function `name` defined at `first_line` of `path`; its own name
        is left out so that a rename with an unchanged body is recognisable. A function made
        by a factory also covers the factory and the module-level names `bound_as` it. `node`:
        the node this is for, when the function generates several (see `expanders`)."""
        source = self._read(path)
        if source is None:
            raise LookupError(f"{path} is not a file of this build")
        index = _index(source)
        func = self._locate(index, name, first_line)
        own = self._memoised(
            path,
            f"{name}@{first_line}>{node}",
            lambda: _part(func, path, self._is_metadata, anonymous=True, as_node=node),
        )
        parts: dict[str, str] = {}
        module_level = func in index.definitions.get(name, [])
        seen = {(path, name)} if module_level else set()
        self._follow(path, index, own.uses, parts, seen)
        if not module_level:
            enclosing = self._enclosing(index, func)
            if enclosing is not None:
                self._visit(path, enclosing.name, parts, seen)
            for bound in bound_as:
                self._visit(path, bound, parts, seen)
        body = "\n".join([own.dump, *(f"{key}={dump}" for key, dump in sorted(parts.items()))])
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    def _memoised(self, path: str, key: str, make: Callable[[], _Part]) -> _Part:
        return make() if self._shared is None else self._shared(path, key, make)

    def _resolve_cached(self, importer: str, module: str, level: int) -> str | None:
        key = (importer if level else "", module, level)  # absolute imports: same everywhere
        if key not in self._resolved:
            self._resolved[key] = self._resolve(importer, module, level)
        return self._resolved[key]

    def _locate(self, index: ModuleIndex, name: str, first_line: int | None) -> _Definition:
        candidates = _candidates(index, name)
        if not candidates:
            raise LookupError(f"no function {name!r}")
        if first_line is None:
            return candidates[-1]
        return min(candidates, key=lambda f: abs(_first_line(f) - first_line))

    def position(self, path: str, name: str, first_line: int) -> tuple[int, int]:
        """(which, of how many) definitions of `name` in `path` `function` would take for
        `first_line`: what locates the same function again after lines moved."""
        source = self._read(path)
        if source is None:
            raise LookupError(f"{path} is not a file of this build")
        index = _index(source)
        chosen = self._locate(index, name, first_line)
        candidates = _candidates(index, name)
        return next(i for i, c in enumerate(candidates) if c is chosen), len(candidates)

    def first_line_of(self, path: str, name: str, position: tuple[int, int]) -> int | None:
        """The first line of the definition at `position` (see `position`), or None when the
        file no longer has as many definitions of `name`."""
        source = self._read(path)
        if source is None:
            return None
        candidates = _candidates(_index(source), name)
        if len(candidates) != position[1]:
            return None
        return _first_line(candidates[position[0]])

    def _enclosing(self, index: ModuleIndex, func: _Definition) -> _Definition | None:
        for definitions in index.definitions.values():
            for candidate in definitions:
                if candidate is not func and any(n is func for n in ast.walk(candidate)):
                    return candidate
        return None

    def _visit(
        self,
        path: str,
        name: str,
        parts: dict[str, str],
        seen: set[tuple[str, str]],
        accesses: frozenset[Access] | None = None,
    ) -> str | None:
        """Add the definition `name` of file `path` and what it uses (only the attributes or
        entries in `accesses`, when given and they can be told apart); returns the file of a
        module when `name` is bound to one (its attributes are followed by the caller)."""
        mark = (path, name if accesses is None else f"{name}{sorted(map(repr, accesses))}")
        if (path, name) in seen or mark in seen:
            return None
        seen.add(mark)
        source = self._read(path)
        if source is None:
            return None
        try:
            index = _index(source)
        except SyntaxError:
            return None
        if name in index.definitions:
            node: ast.stmt = index.definitions[name][-1]
        elif name in index.assignments:
            node = index.assignments[name]
        elif name in index.imports:
            return self._visit_import(path, index.imports[name], parts, seen, accesses)
        else:
            for star in index.star_imports:
                target = self._resolve_cached(path, star.module, star.level)
                if target is not None:
                    self._visit(target, name, parts, seen, accesses)
            return None
        if accesses and self._visit_narrowly(path, index, name, node, accesses, parts, seen):
            return None
        seen.add((path, name))
        self._add(path, index, name, node, parts, seen)
        return None

    def _add(
        self,
        path: str,
        index: ModuleIndex,
        key: str,
        node: ast.stmt,
        parts: dict[str, str],
        seen: set[tuple[str, str]],
        ignore: frozenset[str] = frozenset(),
    ) -> Uses:
        """Add one statement as part `path:key` and follow what it uses (but `ignore`)."""
        memo_key = path + ":" + key
        part = self._memo.get(memo_key)
        if part is None:
            part = self._memo[memo_key] = self._memoised(
                path, key, lambda: _part(node, path, self._is_metadata)
            )
        parts[memo_key] = part.dump
        self._follow(path, index, part.uses.without(set(ignore)), parts, seen)
        return part.uses

    def _visit_narrowly(
        self,
        path: str,
        index: ModuleIndex,
        name: str,
        node: ast.stmt,
        accesses: frozenset[Access],
        parts: dict[str, str],
        seen: set[tuple[str, str]],
    ) -> bool:
        """Add only the read class attributes or container entries; False when they cannot be
        told apart (the caller then adds the whole definition)."""
        keys = {key for kind, key in accesses}
        if isinstance(node, ast.ClassDef):
            members = class_members(node)
            if members is None or {kind for kind, _ in accesses} != {"attr"}:
                return False
            if not keys <= set(members):
                return False
            return self._add_members(path, index, node, members, keys, parts, seen)
        if {kind for kind, _ in accesses} != {"key"}:
            return False
        entries = container_entries(node, keys)
        if entries is None:
            return False
        for key, value in sorted(entries.items(), key=lambda item: repr(item[0])):
            entry = f"{name}[{key!r}]"
            if (path, entry) not in seen:
                seen.add((path, entry))
                self._add(path, index, entry, ast.Expr(value), parts, seen)
        return True

    def _add_members(
        self,
        path: str,
        index: ModuleIndex,
        cls: ast.ClassDef,
        members: dict[str, ast.stmt],
        wanted: set[object],
        parts: dict[str, str],
        seen: set[tuple[str, str]],
    ) -> bool:
        """Add the class attributes `wanted`, the siblings they read, and the class header
        (bases, keywords, decorators) when it has one."""
        if cls.bases or cls.keywords or cls.decorator_list:
            header = ast.ClassDef(
                name=cls.name,
                bases=cls.bases,
                keywords=cls.keywords,
                body=[ast.Pass()],
                decorator_list=cls.decorator_list,
                type_params=[],
            )
            self._add(path, index, cls.name + "()", header, parts, seen)
        queue = sorted(map(str, wanted))
        while queue:
            member = queue.pop()
            if (path, f"{cls.name}.{member}") in seen:
                continue
            seen.add((path, f"{cls.name}.{member}"))
            stmt = members[member]
            siblings = sibling_reads(cls, stmt, members)
            if siblings is None:  # a method that uses its class or instance as a whole
                self._visit(path, cls.name, parts, seen)
                return True
            ignore = frozenset({*siblings, cls.name})
            self._add(path, index, f"{cls.name}.{member}", stmt, parts, seen, ignore)
            queue.extend(sorted(siblings))
        return True

    def _visit_import(
        self,
        path: str,
        bound: Import,
        parts: dict[str, str],
        seen: set[tuple[str, str]],
        accesses: frozenset[Access] | None = None,
    ) -> str | None:
        if bound.attr is None:
            return self._resolve_cached(path, bound.module, bound.level)
        dotted = f"{bound.module}.{bound.attr}" if bound.module else bound.attr
        submodule = self._resolve_cached(path, dotted, bound.level)
        if submodule is not None:
            return submodule
        target = self._resolve_cached(path, bound.module, bound.level)
        if target is not None:
            return self._visit(target, bound.attr, parts, seen, accesses)
        return None

    def _follow(
        self,
        path: str,
        index: ModuleIndex,
        uses: Uses,
        parts: dict[str, str],
        seen: set[tuple[str, str]],
    ) -> None:
        local_imports = dict(uses.local_imports)
        for name in sorted(uses.names):
            if name in local_imports:
                module_file = self._visit_import(path, local_imports[name], parts, seen)
            else:
                module_file = self._visit(path, name, parts, seen, uses.accesses(name))
            if module_file is not None:
                for base, attr in sorted(uses.attributes):
                    if base == name:
                        self._visit(module_file, attr, parts, seen)


def source_fingerprint(source: str) -> str:
    """Fingerprint of a function's source alone (code that is not the repository's)."""
    tree = ast.parse(textwrap.dedent(source))
    funcs = [n for n in tree.body if isinstance(n, _FunctionDef)]
    body = _part(funcs[0], "", metadata_by_name, anonymous=True).dump if funcs else ast.dump(tree)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
