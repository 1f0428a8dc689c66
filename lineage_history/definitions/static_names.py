"""Pure: what names mean in one script (imports, aliases, literal values), read with `ast`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lineage_history.definitions.static_paths import ConfigFile, ConfigFiles

MAX_DEPTH = 8  # how far names are followed through assignments


@dataclass(frozen=True)
class ModuleRef:
    """A module named in a driver call: dotted name and relative-import level.

    `dotted == ""` with `level == 0` is the script itself (`sys.modules[__name__]`).
    """

    dotted: str
    level: int = 0

    def to_json(self) -> list[Any]:
        return [self.dotted, self.level]


SELF = ModuleRef("", 0)


# (literal values, whether they are all of it, the files loaded into it)
Config = tuple[dict[str, Any], bool, tuple[ConfigFile, ...]]
IMPORT_MODULE = ModuleRef("importlib.import_module")


def _named_module(name: str) -> ModuleRef | None:
    """The module `importlib.import_module(name)` imports (".x" is relative)."""
    stripped = name.lstrip(".")
    return ModuleRef(stripped, len(name) - len(stripped)) if stripped else None


# -- bindings ---------------------------------------------------------------------------------


@dataclass
class Scope:
    """Names bound in one module or function body: name -> [(line, value)], in source order."""

    bindings: dict[str, list[tuple[int, ModuleRef | ast.expr]]]
    parent: Scope | None = None
    statement_calls: list[tuple[int, ast.Call]] = field(default_factory=list)  # `b.m(...)`

    def lookup(self, name: str, line: int) -> ModuleRef | ast.expr | None:
        scope: Scope | None = self
        while scope is not None:
            found = scope.bindings.get(name)
            if found:
                before = [value for bound_at, value in found if bound_at < line]
                return before[-1] if before else found[-1][1]
            scope = scope.parent
        return None


def _own_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a scope, nested blocks included, nested functions and classes excluded."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from _own_statements(getattr(statement, name, []) or [])
        for handler in getattr(statement, "handlers", []) or []:
            yield from _own_statements(handler.body)
        for case in getattr(statement, "cases", []) or []:
            yield from _own_statements(case.body)


def _bind_import(statement: ast.Import | ast.ImportFrom, bind: Any) -> None:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.name == "__main__":  # the running script itself
                bind(alias.asname or alias.name, SELF)
            elif alias.asname:
                bind(alias.asname, ModuleRef(alias.name))
            else:
                top = alias.name.split(".")[0]
                bind(top, ModuleRef(top))
        return
    base = statement.module or ""
    for alias in statement.names:
        if alias.name == "*":
            continue
        dotted = f"{base}.{alias.name}" if base else alias.name
        bind(alias.asname or alias.name, ModuleRef(dotted, statement.level))


def scope_of(body: list[ast.stmt], parent: Scope | None) -> Scope:
    scope = Scope({}, parent)

    def bind(name: str, value: ModuleRef | ast.expr) -> None:
        scope.bindings.setdefault(name, []).append((line, value))

    for statement in _own_statements(body):
        line = statement.lineno
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            _bind_import(statement, bind)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    bind(target.id, statement.value)
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            if isinstance(statement.target, ast.Name):
                bind(statement.target.id, statement.value)
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            scope.statement_calls.append((line, statement.value))
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:  # `with open(path) as handle:`
                if isinstance(item.optional_vars, ast.Name):
                    bind(item.optional_vars.id, item.context_expr)
    return scope


# -- resolution of expressions ----------------------------------------------------------------


class Resolver:
    """Resolves names of one scope to modules, qualified names, module lists and configs."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def qualname(self, expr: ast.expr, depth: int = 0) -> ModuleRef | None:
        """`d.Builder` -> hamilton.driver.Builder, through imports and simple aliases."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value, depth + 1)
            if base is None or base == SELF:
                return None
            dotted = f"{base.dotted}.{expr.attr}" if base.dotted else expr.attr
            return ModuleRef(dotted, base.level)
        if isinstance(expr, ast.Name):
            bound = self.scope.lookup(expr.id, expr.lineno)
            if isinstance(bound, ModuleRef):
                return bound
            if isinstance(bound, ast.expr):
                return self.module_of(bound, depth + 1)
            return None
        return None

    def module_of(self, expr: ast.expr, depth: int = 0) -> ModuleRef | None:
        """The module an expression stands for, when it is one we can name."""
        if isinstance(expr, (ast.Name, ast.Attribute)):
            return self.qualname(expr, depth)
        if isinstance(expr, ast.Call) and expr.args and not expr.keywords:
            function = self.qualname(expr.func, depth + 1)
            first = expr.args[0]
            if function == IMPORT_MODULE and isinstance(first, ast.Constant):
                return _named_module(first.value) if isinstance(first.value, str) else None
        if isinstance(expr, ast.Subscript) and _is_self_lookup(expr):
            return SELF
        return None

    def modules_of(self, args: list[ast.expr], depth: int = 0) -> list[ModuleRef | None]:
        """Module references of call arguments; `None` marks one that cannot be named."""
        found: list[ModuleRef | None] = []
        for arg in args:
            if depth > MAX_DEPTH:
                found.append(None)
            elif isinstance(arg, ast.Starred):
                found.extend(self._sequence(arg.value, depth + 1))
            elif isinstance(arg, (ast.List, ast.Tuple)):
                found.extend(self.modules_of(arg.elts, depth + 1))
            else:
                found.append(self.module_of(arg, depth))
        return found

    def _sequence(self, expr: ast.expr, depth: int) -> list[ModuleRef | None]:
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return self.modules_of(expr.elts, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self._sequence(expr.left, depth + 1) + self._sequence(expr.right, depth + 1)
        if isinstance(expr, (ast.ListComp, ast.GeneratorExp)):
            return self._imported_by_name(expr, depth + 1)
        if isinstance(expr, ast.Name) and depth <= MAX_DEPTH:
            bound = self.scope.lookup(expr.id, expr.lineno)
            if isinstance(bound, ast.expr):
                return self._sequence(bound, depth + 1)
        return [None]

    def _imported_by_name(
        self, expr: ast.ListComp | ast.GeneratorExp, depth: int
    ) -> list[ModuleRef | None]:
        """`[importlib.import_module(m) for m in module_names]` over a literal list of names."""
        (loop, *more), call = expr.generators, expr.elt
        target = loop.target
        if more or loop.ifs or not isinstance(target, ast.Name) or not isinstance(call, ast.Call):
            return [None]
        argument = call.args[0] if len(call.args) == 1 and not call.keywords else None
        if not (isinstance(argument, ast.Name) and argument.id == target.id):
            return [None]
        if self.qualname(call.func, depth) != IMPORT_MODULE:
            return [None]
        names = self._strings(loop.iter, depth)
        return [_named_module(name) for name in names] if names is not None else [None]

    def _strings(self, expr: ast.expr, depth: int) -> list[str] | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Name):
            bound = self.scope.lookup(expr.id, expr.lineno)
            return self._strings(bound, depth + 1) if isinstance(bound, ast.expr) else None
        value = _literal(expr)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        return None

    def config_of(self, expr: ast.expr, depth: int = 0) -> Config:
        """The literal part of a config (a dict display, `dict(...)`, a file loaded with
        `json`, `yaml` or `tomllib`, or a name bound to one of those) and whether that is all
        of it: `{"mode": "online", "client": client}` gives `({"mode": "online"}, False)`, so
        the `@config.when` switches it names still apply."""
        if depth > MAX_DEPTH:
            return {}, False, ()
        if isinstance(expr, ast.Name):
            bound = self.scope.lookup(expr.id, expr.lineno)
            if not isinstance(bound, ast.expr):
                return {}, False, ()
            return self.config_of(bound, depth + 1)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
            if expr.func.id != "dict" or self.scope.lookup("dict", expr.lineno) is not None:
                return {}, False, ()
            merged: dict[str, Any] = {}
            complete, files = len(expr.args) <= 1, ()
            if len(expr.args) == 1:
                merged, complete, files = self.config_of(expr.args[0], depth + 1)
            pairs = [(k.arg, k.value) for k in expr.keywords]
            return (*_literal_entries(merged, pairs, complete), files)
        if isinstance(expr, ast.Dict):
            pairs = [
                (k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None, v)
                for k, v in zip(expr.keys, expr.values, strict=True)
            ]
            return (*_literal_entries({}, pairs, True), ())
        if isinstance(expr, ast.Call):
            loaded = ConfigFiles(self).loaded(expr, depth + 1)
            if loaded is not None:
                return {}, True, (loaded,)
        return {}, False, ()


def _literal_entries(
    into: dict[str, Any], pairs: list[tuple[str | None, ast.expr]], complete: bool
) -> tuple[dict[str, Any], bool]:
    """`into` plus the pairs whose key is a string and whose value is a literal."""
    merged = dict(into)
    for key, value_expr in pairs:
        value = _literal(value_expr)
        if key is None or value is _NOT_LITERAL:
            complete = False
        else:
            merged[key] = value
    return merged, complete


_NOT_LITERAL = object()


def _literal(expr: ast.expr) -> Any:
    """A JSON-able literal value (tuples become lists), or `_NOT_LITERAL`."""
    try:
        value = ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_jsonable(v) for v in value]
        return _NOT_LITERAL if any(i is _NOT_LITERAL for i in items) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        entries = {k: _jsonable(v) for k, v in value.items()}
        return _NOT_LITERAL if any(v is _NOT_LITERAL for v in entries.values()) else entries
    return _NOT_LITERAL


def _is_self_lookup(expr: ast.Subscript) -> bool:
    """`sys.modules[__name__]`: the script passes itself."""
    target = expr.value
    return (
        isinstance(target, ast.Attribute)
        and target.attr == "modules"
        and isinstance(target.value, ast.Name)
        and target.value.id == "sys"
        and isinstance(expr.slice, ast.Name)
        and expr.slice.id == "__name__"
    )
