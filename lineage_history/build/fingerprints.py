"""Code fingerprints: a function's AST without docs, formatting or metadata decorators, plus,
transitively, the project-local code it uses (functions, classes, module-level assignments,
in its own module or imported from another module of the repository). Pure; no Hamilton."""

from __future__ import annotations

import ast
import hashlib
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

# Decorators that only attach metadata, by name: the fallback when the build cannot tell
# what a decorator is (the build child recognizes Hamilton's `tag` subclasses by type).
METADATA_DECORATORS = frozenset({"tag", "tag_outputs", "schema"})
_FunctionDef = ast.FunctionDef | ast.AsyncFunctionDef
_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

# Is this decorator (in this file) metadata only?
MetadataTest = Callable[[str, ast.expr], bool]
# The file a module-level import names, from the importing file: (path, module, level).
ImportResolver = Callable[[str, str, int], "str | None"]


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


@dataclass(frozen=True)
class _Import:
    module: str
    level: int
    attr: str | None  # None: the name is bound to the module itself


@dataclass
class _ModuleIndex:
    """Module-level definitions of one source file, by the name they bind."""

    tree: ast.Module
    definitions: dict[str, list[_Definition]] = field(default_factory=dict)
    assignments: dict[str, ast.stmt] = field(default_factory=dict)
    imports: dict[str, _Import] = field(default_factory=dict)
    star_imports: list[_Import] = field(default_factory=list)


def _bind_imports(stmt: ast.Import | ast.ImportFrom, into: dict[str, _Import]) -> list[_Import]:
    """Record what an import statement binds; returns its star imports."""
    stars = []
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                into[alias.asname] = _Import(alias.name, 0, None)
            else:
                top = alias.name.split(".")[0]
                into[top] = _Import(top, 0, None)
        return stars
    for alias in stmt.names:
        target = _Import(stmt.module or "", stmt.level, alias.name)
        if alias.name == "*":
            stars.append(target)
        else:
            into[alias.asname or alias.name] = target
    return stars


@lru_cache(maxsize=512)
def _index(source: str) -> _ModuleIndex:
    index = _ModuleIndex(ast.parse(source))
    for stmt in _flatten(index.tree.body):
        if isinstance(stmt, _Definition):
            index.definitions.setdefault(stmt.name, []).append(stmt)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        index.assignments[node.id] = stmt
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            index.star_imports.extend(_bind_imports(stmt, index.imports))
    return index


def _flatten(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, looking into `if`/`try` blocks (guarded imports)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If | ast.Try):
            nested = [*stmt.body, *stmt.orelse]
            if isinstance(stmt, ast.Try):
                nested += [s for handler in stmt.handlers for s in handler.body]
                nested += stmt.finalbody
            out.extend(_flatten(nested))
        else:
            out.append(stmt)
    return out


def _bound_locally(node: ast.AST) -> set[str]:
    """Names a definition binds itself: parameters, assignments, nested definitions."""
    bound: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.arg):
            bound.add(inner.arg)
        elif isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Load):
            bound.add(inner.id)
        elif (isinstance(inner, _Definition) and inner is not node) or (
            isinstance(inner, ast.ExceptHandler) and inner.name
        ):
            bound.add(inner.name)  # type: ignore[union-attr, arg-type]
        elif isinstance(inner, ast.Import | ast.ImportFrom) and not isinstance(node, ast.Module):
            for alias in inner.names:
                bound.add((alias.asname or alias.name).split(".")[0])
    return bound


@dataclass(frozen=True)
class _Uses:
    """The module-level names a piece of code reads, and the attributes it reads on them."""

    names: frozenset[str]
    attributes: frozenset[tuple[str, str]]
    local_imports: tuple[tuple[str, _Import], ...] = ()


def _uses(node: ast.AST) -> _Uses:
    local = _bound_locally(node) if isinstance(node, _Definition) else set()
    local_imports: dict[str, _Import] = {}
    if isinstance(node, _Definition):
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                _bind_imports(inner, local_imports)
    names = {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local
    }
    names |= set(local_imports)
    attributes = {
        (n.value.id, n.attr)
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in names
    }
    return _Uses(frozenset(names), frozenset(attributes), tuple(sorted(local_imports.items())))


@dataclass(frozen=True)
class _Part:
    """One definition or assignment as compared: its dump and what it uses."""

    dump: str
    uses: _Uses


def _part(
    node: ast.stmt, path: str, is_metadata: MetadataTest, *, anonymous: bool = False
) -> _Part:
    """Dump `node` without docstrings and metadata decorators (what those use is compared as
    tags, not as code). The parsed module is shared, so it is edited in place and restored
    rather than copied (a copy costs more than the dump)."""
    saved: list[tuple[_Definition, list[ast.stmt], list[ast.expr], str]] = []
    for inner in ast.walk(node):
        if isinstance(inner, _Definition):
            saved.append((inner, inner.body, inner.decorator_list, inner.name))
            inner.body = _strip_docstring(inner.body)
            inner.decorator_list = [d for d in inner.decorator_list if not is_metadata(path, d)]
    try:
        if anonymous and isinstance(node, _Definition):
            node.name = "_"
        return _Part(ast.dump(node, annotate_fields=False), _uses(node))
    finally:
        for inner, body, decorators, name in saved:
            inner.body, inner.decorator_list, inner.name = body, decorators, name


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
    ) -> None:
        self._read = read
        self._resolve = resolve
        self._is_metadata = is_metadata
        self._memo: dict[str, _Part] = {}
        self._resolved: dict[tuple[str, str, int], str | None] = {}

    def function(
        self, path: str, name: str, first_line: int | None = None, bound_as: tuple[str, ...] = ()
    ) -> str:
        """Fingerprint of the function `name` defined at `first_line` of `path`; its own name
        is left out so that a rename with an unchanged body is recognisable. A function made
        by a factory also covers the factory and the module-level names `bound_as` it."""
        source = self._read(path)
        if source is None:
            raise LookupError(f"{path} is not a file of this build")
        index = _index(source)
        func = self._locate(index, name, first_line)
        own = _part(func, path, self._is_metadata, anonymous=True)
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

    def _resolve_cached(self, importer: str, module: str, level: int) -> str | None:
        key = (importer if level else "", module, level)  # absolute imports: same everywhere
        if key not in self._resolved:
            self._resolved[key] = self._resolve(importer, module, level)
        return self._resolved[key]

    def _locate(self, index: _ModuleIndex, name: str, first_line: int | None) -> _Definition:
        candidates = [d for d in index.definitions.get(name, []) if isinstance(d, _FunctionDef)]
        if not candidates:  # not at module level: find the nested definition by its line
            candidates = [
                n for n in ast.walk(index.tree) if isinstance(n, _FunctionDef) and n.name == name
            ]
        if not candidates:
            raise LookupError(f"no function {name!r}")
        if first_line is None:
            return candidates[-1]
        return min(candidates, key=lambda f: abs(_first_line(f) - first_line))

    def _enclosing(self, index: _ModuleIndex, func: _Definition) -> _Definition | None:
        for definitions in index.definitions.values():
            for candidate in definitions:
                if candidate is not func and any(n is func for n in ast.walk(candidate)):
                    return candidate
        return None

    def _visit(
        self, path: str, name: str, parts: dict[str, str], seen: set[tuple[str, str]]
    ) -> str | None:
        """Add the definition `name` of file `path` and what it uses; returns the file of a
        module when `name` is bound to one (its attributes are followed by the caller)."""
        if (path, name) in seen:
            return None
        seen.add((path, name))
        source = self._read(path)
        if source is None:
            return None
        try:
            index = _index(source)
        except SyntaxError:
            return None
        key = path + ":" + name
        if name in index.definitions:
            node: ast.stmt = index.definitions[name][-1]
        elif name in index.assignments:
            node = index.assignments[name]
        elif name in index.imports:
            return self._visit_import(path, index.imports[name], parts, seen)
        else:
            for star in index.star_imports:
                target = self._resolve_cached(path, star.module, star.level)
                if target is not None:
                    self._visit(target, name, parts, seen)
            return None
        part = self._memo.get(key)
        if part is None:
            part = self._memo[key] = _part(node, path, self._is_metadata)
        parts[key] = part.dump
        self._follow(path, index, part.uses, parts, seen)
        return None

    def _visit_import(
        self, path: str, bound: _Import, parts: dict[str, str], seen: set[tuple[str, str]]
    ) -> str | None:
        if bound.attr is None:
            return self._resolve_cached(path, bound.module, bound.level)
        dotted = f"{bound.module}.{bound.attr}" if bound.module else bound.attr
        submodule = self._resolve_cached(path, dotted, bound.level)
        if submodule is not None:
            return submodule
        target = self._resolve_cached(path, bound.module, bound.level)
        if target is not None:
            return self._visit(target, bound.attr, parts, seen)
        return None

    def _follow(
        self,
        path: str,
        index: _ModuleIndex,
        uses: _Uses,
        parts: dict[str, str],
        seen: set[tuple[str, str]],
    ) -> None:
        local_imports = dict(uses.local_imports)
        for name in sorted(uses.names):
            if name in local_imports:
                module_file = self._visit_import(path, local_imports[name], parts, seen)
            else:
                module_file = self._visit(path, name, parts, seen)
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


_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)[\w.]*[ \t]+import\b|import[ \t]+([^#\n;]+))", re.M
)


def imported_top_level_names(source: str) -> set[str]:
    """Top-level package names a module imports absolutely (for preloading).

    A line scan, not a parse (a parse costs ~10 ms a file on the indexer's main thread):
    preloading is only a hint, so a cheap superset is fine.
    """
    names: set[str] = set()
    for match in _IMPORT_LINE.finditer(source):
        if match.group(1):
            names.add(match.group(1))
            continue
        for part in match.group(2).split(","):
            words = part.split()
            if words and words[0].split(".")[0].isidentifier():
                names.add(words[0].split(".")[0])
    return names
