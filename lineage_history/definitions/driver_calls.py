"""Pure: the calls in one driver script's source that build a Hamilton driver, found with `ast`."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from lineage_history.definitions.static_names import (
    MAX_DEPTH,
    SELF,
    ConfigFile,
    ModuleRef,
    Resolver,
    Scope,
    cli_defaults,
    function_scope,
    scope_of,
)

__all__ = [
    "PARSER_VERSION",
    "SELF",
    "ConfigFile",
    "DriverCall",
    "ModuleRef",
    "driver_calls",
    "mentions_driver",
]

# Bump when what `driver_calls` finds changes, so cached parse results are parsed again.
PARSER_VERSION = "3"  # 2: config files; 3: helper functions, command-line defaults

BUILDERS = frozenset({"hamilton.driver.Builder", "hamilton.async_driver.Builder"})
DRIVERS = frozenset(
    {
        "hamilton.driver.Driver",
        "hamilton.async_driver.AsyncDriver",
        "hamilton.experimental.h_async.AsyncDriver",
    }
)


@dataclass(frozen=True)
class DriverCall:
    """One statically found driver construction in a script."""

    line: int
    modules: tuple[ModuleRef, ...]
    config: dict[str, Any] = field(default_factory=dict)
    config_literal: bool = True
    options: tuple[str, ...] = ()  # Builder methods / Driver keywords used, sorted
    config_files: tuple[ConfigFile, ...] = ()  # files loaded into the config, in order
    cell: int = 0  # in a notebook: the cell of `line` (1-based); 0 in a script

    @property
    def place(self) -> str:
        """Where the call is in its file: `12`, or `cell 4, line 3` in a notebook."""
        return f"cell {self.cell}, line {self.line}" if self.cell else str(self.line)

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "modules": [m.to_json() for m in self.modules],
            "config": self.config,
            "config_literal": self.config_literal,
            "options": list(self.options),
            "config_files": [f.to_json() for f in self.config_files],
            "cell": self.cell,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriverCall:
        return cls(
            line=data["line"],
            modules=tuple(ModuleRef(d, lv) for d, lv in data["modules"]),
            config=data["config"],
            config_literal=data["config_literal"],
            options=tuple(data["options"]),
            config_files=tuple(ConfigFile(*f) for f in data.get("config_files", ())),
            cell=data.get("cell", 0),
        )


def mentions_driver(source: bytes) -> bool:
    """A cheap test before parsing: only files that name Hamilton and a driver can build one."""
    return b"hamilton" in source and (b"Builder" in source or b"Driver" in source)


# -- finding the calls ------------------------------------------------------------------------


@dataclass
class _Found:
    modules: list[ModuleRef | None] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    config_literal: bool = True
    options: set[str] = field(default_factory=set)
    config_files: list[ConfigFile] = field(default_factory=list)

    def add_config(self, resolver: Resolver, expr: ast.expr) -> None:
        literal, complete, files = resolver.config_of(expr)
        self.config.update(literal)
        self.config_literal = self.config_literal and complete
        self.config_files.extend(f for f in files if f not in self.config_files)


class _CallFinder(ast.NodeVisitor):
    """Visits every scope of a script and collects its driver calls."""

    def __init__(self, tree: ast.Module) -> None:
        self.resolver = Resolver(scope_of(tree.body, None))
        self.calls: list[DriverCall] = []

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        outer = self.resolver
        scope = function_scope(node, outer.scope, cli_defaults(node, outer))
        self.resolver = Resolver(scope)
        self.generic_visit(node)
        self.resolver = outer

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    def visit_Call(self, node: ast.Call) -> None:
        found = self._driver(node) or self._builder(node)
        if found is not None:
            refs: list[ModuleRef] = []
            for ref in found.modules:
                if ref is not None and ref not in refs:
                    refs.append(ref)
            if refs:
                call = DriverCall(
                    node.lineno,
                    tuple(refs),
                    dict(sorted(found.config.items())),
                    found.config_literal,
                    tuple(sorted(found.options)),
                    tuple(found.config_files),
                )
                self.calls.append(call)
        self.generic_visit(node)

    def _driver(self, node: ast.Call) -> _Found | None:
        """`driver.Driver(config, *modules, adapter=..., allow_module_overrides=...)`."""
        name = self.resolver.qualname(node.func)
        if name is None or name.level or name.dotted not in DRIVERS:
            return None
        found = _Found()
        args = list(node.args)
        config = args.pop(0) if args and not isinstance(args[0], ast.Starred) else None
        for keyword in node.keywords:
            if keyword.arg == "config":
                config = keyword.value
            elif keyword.arg is not None:
                found.options.add(keyword.arg)
        if config is not None:
            found.add_config(self.resolver, config)
        found.modules = self.resolver.modules_of(args)
        return found

    def _builder(self, node: ast.Call) -> _Found | None:
        """`Builder()....build()`, the chain possibly split over statements on one name."""
        if not (isinstance(node.func, ast.Attribute) and node.func.attr == "build"):
            return None
        steps = self._chain(node.func.value)
        if steps is None:
            return None
        found = _Found()
        for method, call in steps:
            if method == "with_modules":
                found.modules.extend(self.resolver.modules_of(list(call.args)))
            elif method == "with_config":
                for arg in call.args:
                    found.add_config(self.resolver, arg)
            else:
                found.options.add(method)
        return found

    def _chain(self, receiver: ast.expr) -> list[tuple[str, ast.Call]] | None:
        """The method calls from `Builder()` up to `receiver`, in call order, or None."""
        steps: list[tuple[str, ast.Call]] = []
        node, depth = receiver, 0
        while depth <= MAX_DEPTH:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if self._is_builder_class(node.func):
                    return steps[::-1]
                steps.append((node.func.attr, node))
                node = node.func.value
            elif isinstance(node, ast.Call):
                return steps[::-1] if self._is_builder_class(node.func) else None
            elif isinstance(node, ast.Name):
                bound = self.resolver.scope.lookup(node.id, node.lineno)
                if not isinstance(bound, ast.expr):
                    return None
                steps.extend(self._statement_calls(node.id, node.lineno)[::-1])
                node, depth = bound, depth + 1
            else:
                return None
        return None

    def _is_builder_class(self, func: ast.expr) -> bool:
        name = self.resolver.qualname(func)
        return name is not None and not name.level and name.dotted in BUILDERS

    def _statement_calls(self, name: str, before: int) -> list[tuple[str, ast.Call]]:
        """`builder.with_modules(a)` as statements of their own (Builder methods mutate it)."""
        scope = self.resolver.scope
        bound_lines = [line for line, _ in scope.bindings.get(name, []) if line < before]
        after = bound_lines[-1] if bound_lines else 0
        steps: list[tuple[str, ast.Call]] = []
        for line, call in _expression_calls(scope, name):
            if after < line < before:
                steps.extend(_flat_chain(call))
        return steps


def _flat_chain(call: ast.Call) -> list[tuple[str, ast.Call]]:
    steps = []
    node: ast.expr = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        steps.append((node.func.attr, node))
        node = node.func.value
    return steps[::-1]


def _expression_calls(scope: Scope, name: str) -> list[tuple[int, ast.Call]]:
    return [(line, call) for line, call in scope.statement_calls if _root_name(call) == name]


def _root_name(call: ast.Call) -> str | None:
    node: ast.expr = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node.id if isinstance(node, ast.Name) else None


def driver_calls(source: str) -> list[DriverCall]:
    """The Hamilton driver constructions in a script, in source order; [] when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    finder = _CallFinder(tree)
    try:
        finder.visit(tree)
    except RecursionError:
        return []
    return sorted(finder.calls, key=lambda call: call.line)
