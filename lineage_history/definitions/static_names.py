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


Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Scope:
    """Names bound in one module or function body: name -> [(line, value)], in source order."""

    bindings: dict[str, list[tuple[int, ModuleRef | ast.expr]]]
    parent: Scope | None = None
    statement_calls: list[tuple[int, ast.Call]] = field(default_factory=list)  # `b.m(...)`
    functions: dict[str, Function] = field(default_factory=dict)  # `def` statements

    def function(self, name: str) -> tuple[Function, Scope] | None:
        """A function defined by name in this scope or an enclosing one, with that scope."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return None  # the name is rebound: not (only) the function
            if name in scope.functions:
                return scope.functions[name], scope
            scope = scope.parent
        return None

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
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope.functions[statement.name] = statement
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
            if self.scope.function(expr.func.id) is not None:
                return self._returned(expr, depth + 1)
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

    def _returned(self, call: ast.Call, depth: int) -> Config:
        """The config a helper of the script returns (`config = load_config()`), its
        parameters bound to the call's string arguments; the return that loads a file wins
        over the others (`if path is None: return {}`)."""
        assert isinstance(call.func, ast.Name)
        found = self.scope.function(call.func.id)
        if found is None or depth > MAX_DEPTH:
            return {}, False, ()
        node, defined_in = found
        paths = ConfigFiles(self)
        given = {
            parameter.arg: paths.text_of(argument, depth)
            for parameter, argument in zip(_positional(node), call.args, strict=False)
        }
        given |= {k.arg: paths.text_of(k.value, depth) for k in call.keywords if k.arg}
        values = {name: ast.Constant(text) for name, text in given.items() if text is not None}
        callee = Resolver(function_scope(node, defined_in, values))
        results = [
            callee.config_of(statement.value, depth + 1)
            for statement in _own_statements(node.body)
            if isinstance(statement, ast.Return) and statement.value is not None
        ]
        loading = [result for result in results if result[2]]
        if loading:
            return loading[-1]
        return results[0] if len(results) == 1 else ({}, False, ())


def _positional(node: Function | ast.Lambda) -> list[ast.arg]:
    return [*node.args.posonlyargs, *node.args.args]


def function_scope(
    node: Function | ast.Lambda, parent: Scope | None, values: dict[str, ast.expr]
) -> Scope:
    """The scope of a function body: its parameters hide outer names, bound to `values` (the
    call's string arguments, or command-line defaults), else to an unknown value."""
    body = node.body if isinstance(node.body, list) else []
    scope = scope_of(body, parent)
    arguments = node.args
    every = [*_positional(node), *arguments.kwonlyargs]
    every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    for argument in every:
        value = values.get(argument.arg, ast.Constant(None))
        scope.bindings.setdefault(argument.arg, []).insert(0, (0, value))
    return scope


_CLI_PARAMETERS = frozenset({"click.option", "click.argument"})


def cli_defaults(node: Function | ast.Lambda, resolver: Resolver) -> dict[str, ast.expr]:
    """`@click.option("--config", default="config")`: the value a parameter has when the
    script runs without that option."""
    found: dict[str, ast.expr] = {}
    for decorator in getattr(node, "decorator_list", []):
        if not isinstance(decorator, ast.Call):
            continue
        name = resolver.qualname(decorator.func)
        if name is None or name.level or name.dotted not in _CLI_PARAMETERS:
            continue
        default = next((k.value for k in decorator.keywords if k.arg == "default"), None)
        flags = [a.value for a in decorator.args if isinstance(a, ast.Constant)]
        flags = [flag for flag in flags if isinstance(flag, str)]
        plain = [flag for flag in flags if not flag.startswith("-")]
        dashed = sorted((f for f in flags if f.startswith("-")), key=lambda f: -len(f) + 0)
        chosen = plain[0] if plain else next(iter(dashed), None)
        if chosen and isinstance(default, ast.Constant):
            found[chosen.lstrip("-").replace("-", "_")] = default
    return found


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
