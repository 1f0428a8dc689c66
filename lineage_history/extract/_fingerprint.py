"""Code fingerprints: a function's AST without docs, formatting or metadata decorators, plus
the module-level private helpers and constants it uses. Pure; no Hamilton import."""

from __future__ import annotations

import ast
import hashlib
import re
from functools import lru_cache

# Decorators that only attach metadata; they are compared as tags, not as code.
METADATA_DECORATORS = frozenset({"tag", "tag_outputs", "schema"})
_FunctionDef = ast.FunctionDef | ast.AsyncFunctionDef


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:] or [ast.Pass()]
    return body


class _ModuleIndex:
    """Module-level definitions of one source file, by name."""

    def __init__(self, source: str) -> None:
        self.tree = ast.parse(source)
        self.functions: dict[str, list[_FunctionDef]] = {}
        self.assignments: dict[str, ast.stmt] = {}
        for stmt in self.tree.body:
            if isinstance(stmt, _FunctionDef):
                self.functions.setdefault(stmt.name, []).append(stmt)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    for node in ast.walk(target):
                        if isinstance(node, ast.Name):
                            self.assignments[node.id] = stmt


@lru_cache(maxsize=256)
def _index(source: str) -> _ModuleIndex:
    return _ModuleIndex(source)


def _normalized(func: _FunctionDef, *, anonymous: bool) -> str:
    clone = ast.parse(ast.unparse(func)).body[0]
    assert isinstance(clone, _FunctionDef)
    clone.decorator_list = [
        d for d in clone.decorator_list if _decorator_name(d) not in METADATA_DECORATORS
    ]
    clone.body = _strip_docstring(clone.body)
    for inner in ast.walk(clone):
        if isinstance(inner, _FunctionDef | ast.ClassDef) and inner is not clone:
            inner.body = _strip_docstring(inner.body)
    if anonymous:
        clone.name = "_"
    return ast.dump(clone, annotate_fields=False)


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _helper_parts(index: _ModuleIndex, roots: set[str], own_name: str) -> list[str]:
    """Dumps of private helper functions and constants reachable from `roots`, by name."""
    parts: dict[str, str] = {}
    pending = sorted(roots)
    while pending:
        name = pending.pop()
        if name in parts or name == own_name:
            continue
        if name.startswith("_") and name in index.functions:
            func = index.functions[name][-1]
            parts[name] = _normalized(func, anonymous=False)
            pending.extend(_names_used(func) - parts.keys())
        elif name in index.assignments:
            stmt = index.assignments[name]
            parts[name] = ast.dump(stmt, annotate_fields=False)
            pending.extend(_names_used(stmt) - parts.keys())
    return [f"{name}={dump}" for name, dump in sorted(parts.items())]


def function_fingerprint(source: str, function_name: str, first_line: int | None = None) -> str:
    """Fingerprint of the module-level function `function_name` defined in `source`.

    The function's own name is left out so that a rename with an unchanged body is
    recognisable; its helpers keep theirs.
    """
    index = _index(source)
    candidates = index.functions.get(function_name)
    if not candidates:
        raise LookupError(f"no module-level function {function_name!r}")
    func = candidates[-1]
    if first_line is not None:
        func = min(candidates, key=lambda f: abs(_first_line(f) - first_line))
    parts = [_normalized(func, anonymous=True), *_helper_parts(index, _names_used(func), func.name)]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def source_fingerprint(source: str) -> str:
    """Fingerprint of a free-standing function's source (when it is not at module level)."""
    import textwrap

    tree = ast.parse(textwrap.dedent(source))
    funcs = [n for n in tree.body if isinstance(n, _FunctionDef)]
    body = _normalized(funcs[0], anonymous=True) if funcs else ast.dump(tree)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _first_line(func: _FunctionDef) -> int:
    return min([func.lineno, *(d.lineno for d in func.decorator_list)])


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
