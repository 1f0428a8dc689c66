"""The build child's import hook: imports made by the commit's own files that cannot be
satisfied get stand-ins, and what was stood in for is recorded as the build's `stubbed`.

Only imports whose importer is a file of the materialized tree are touched; Hamilton's,
the standard library's and every installed library's own imports (including their probes
for optional packages) keep failing normally. Runs only inside the forked build child.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage_history.build.standins import classes, lenient_hamilton
from lineage_history.build.standins.objects import StandInModule, stand_in_class

# The interpreter's own import functions, taken before the stand-ins' hooks replace them.
_original_import = builtins.__import__
_original_import_module = importlib.import_module


@dataclass
class StandIns:
    """One build's stand-ins: what the commit's imports lacked, and the import hooks that
    supply it. Its `import_hook` and `import_module` replace the process's own."""

    root: str
    forced: tuple[str, ...]
    modules: dict[str, StandInModule] = field(default_factory=dict)
    recorded: set[str] = field(default_factory=set)
    tree_files: dict[str, bool] = field(default_factory=dict)
    guarded: dict[str, frozenset[int]] = field(default_factory=dict)

    def under_root(self, path: str | None) -> bool:
        return bool(path) and os.path.realpath(str(path)).startswith(self.root + os.sep)

    def forced_prefix(self, name: str) -> str | None:
        for prefix in self.forced:
            if name == prefix or name.startswith(prefix + "."):
                return prefix
        return None

    def stubbed(self) -> list[str]:
        """Sorted modules and `module.Name`s that were stand-ins in this build."""
        return sorted(self.recorded)

    def called_from_tree(self, depth: int) -> bool:
        """Whether the code `depth` frames above the caller is a file of the build's tree."""
        return self.under_root(sys._getframe(depth + 1).f_code.co_filename)

    def record(self, name: str) -> None:
        """Add a stand-in made outside the import hook (a data adapter Hamilton lacks)."""
        self.recorded.add(name)

    def import_module(self, name: str, package: str | None = None) -> Any:
        """`importlib.import_module` called by the commit's own code: as an import statement."""
        if name.startswith(".") or not self.called_from_tree(1):
            return _original_import_module(name, package)
        caller = sys._getframe(1)  # imports as `from name import ...` would:
        self.import_hook(name, caller.f_globals, None, ("__name__",), 0, _frame=caller)
        return self.modules.get(name) or sys.modules[name]

    def import_hook(
        self,
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: Any = (),
        level: int = 0,
        *,
        _frame: Any = None,
    ) -> Any:
        """`builtins.__import__`: stand-ins for what the tree's own imports cannot import."""
        if level != 0 or not name or not _from_tree(self, globals):
            return _original_import(name, globals, locals, fromlist, level)
        frame = _frame or sys._getframe(1)  # the importing code
        forced = self.forced_prefix(name)
        if forced is not None and not _is_local(self, name.partition(".")[0]):
            return _result(self, name, forced, fromlist)
        try:
            module = _original_import(name, globals, locals, fromlist, level)
        except Exception as exc:
            if _is_local(self, name.partition(".")[0]) or _probing(self, globals, frame):
                raise
            first = _first_failing(name, exc)
            if first is not None:
                return _result(self, name, first, fromlist)
            _original_import(name, globals, locals, (), level)
            module = sys.modules[name]
        if not fromlist or _probing(self, globals, frame):
            return module
        return _missing_names(self, module, fromlist)


def install_stand_ins(workdir: str, forced: Iterable[str] = ()) -> StandIns:
    """Stand in for what the commit's own imports lack (and always for `forced` packages).

    Once per build child: the hooks replace the process's import functions and Hamilton is
    patched in place; the child is thrown away after its one build."""
    stand_ins = StandIns(os.path.realpath(workdir), tuple(sorted(set(forced))))
    builtins.__import__ = stand_ins.import_hook
    importlib.import_module = stand_ins.import_module
    classes.install()
    lenient_hamilton.install(stand_ins)
    return stand_ins


class _ModuleWithStandIns:
    """What `from module import a, b` reads names from when some of them are stand-ins;
    the real module itself is left unchanged."""

    def __init__(self, module: types.ModuleType, extras: dict[str, Any]) -> None:
        self._module = module
        self._extras = extras

    def __getattr__(self, name: str) -> Any:
        if name in self._extras:
            return self._extras[name]
        return getattr(self._module, name)


def _from_tree(state: StandIns, globals_: Mapping[str, Any] | None) -> bool:
    file = globals_.get("__file__") if globals_ else None
    if not isinstance(file, str):
        return False
    found = state.tree_files.get(file)
    if found is None:
        found = state.tree_files[file] = state.under_root(file)
    return found


_CATCHES_IMPORT_ERROR = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _catches_import_error(handler_type: ast.expr | None) -> bool:
    if handler_type is None:
        return True
    if isinstance(handler_type, ast.Tuple):
        return any(_catches_import_error(item) for item in handler_type.elts)
    name = getattr(handler_type, "id", None) or getattr(handler_type, "attr", None)
    return name in _CATCHES_IMPORT_ERROR


def _imports_by_call(node: ast.AST) -> bool:
    """`importlib.import_module(...)`, `import_module(...)` or `__import__(...)`."""
    if not isinstance(node, ast.Call):
        return False
    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
    return name in ("import_module", "__import__")


def _guarded_import_lines(file: str) -> frozenset[int]:
    """Lines of imports inside a `try` whose handler catches ImportError: the code's own
    probe for an optional package, which must fail as it would without stand-ins."""
    try:
        with open(file, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try | ast.TryStar) and any(
            _catches_import_error(h.type) for h in node.handlers
        ):
            for statement in node.body:
                for inner in ast.walk(statement):
                    if isinstance(inner, ast.Import | ast.ImportFrom) or _imports_by_call(inner):
                        lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return frozenset(lines)


def _probing(state: StandIns, globals_: Mapping[str, Any] | None, frame: Any) -> bool:
    """Whether the import being made is one the importing file guards with a `try`."""
    file = globals_.get("__file__") if globals_ else None
    if not isinstance(file, str) or frame.f_code.co_filename != file:
        return False
    if file not in state.guarded:
        state.guarded[file] = _guarded_import_lines(file)
    return frame.f_lineno in state.guarded[file]


def _is_local(state: StandIns, top: str) -> bool:
    """Whether a top-level name is one of the commit's own modules or packages."""
    if any(top in getattr(finder, "local_names", ()) for finder in sys.meta_path):
        return True  # named by the build's plan as the commit's own
    module = sys.modules.get(top)
    if module is not None:
        return state.under_root(getattr(module, "__file__", None)) or any(
            state.under_root(p) for p in getattr(module, "__path__", None) or ()
        )
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    locations = list(spec.submodule_search_locations or ())
    return state.under_root(spec.origin) or any(state.under_root(p) for p in locations)


def _stand_in_modules(state: StandIns, name: str, first: str) -> StandInModule:
    """Stand-in modules for `first` and every submodule down to `name`; the leaf."""
    parts = name.split(".")
    start = len(first.split("."))
    for depth in range(start, len(parts) + 1):
        dotted = ".".join(parts[:depth])
        if dotted in state.modules:
            continue
        module = StandInModule(dotted, state.modules.get)
        state.modules[dotted] = module
        state.recorded.add(dotted)
        parent_name, _, child = dotted.rpartition(".")
        parent = state.modules.get(parent_name) or sys.modules.get(parent_name)
        if parent is not None and not isinstance(parent, StandInModule):
            setattr(parent, child, module)  # as importing a real submodule would
    return state.modules[name]


def _result(state: StandIns, name: str, first: str, fromlist: Any) -> Any:
    leaf = _stand_in_modules(state, name, first)
    if fromlist:
        return leaf
    top = name.partition(".")[0]
    return state.modules.get(top) or _original_import(top)


def _first_failing(name: str, exc: BaseException) -> str | None:
    """The shortest prefix of `name` that cannot be imported, or None when all can."""
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    if missing and (name == missing or name.startswith(missing + ".")):
        return missing
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        if prefix in sys.modules:
            continue
        try:
            importlib.import_module(prefix)
        except Exception:
            return prefix
    return None


def _missing_names(state: StandIns, module: Any, fromlist: Any) -> Any:
    """The module, or a view of it with stand-ins for the names it does not have."""
    if isinstance(module, StandInModule) or state.under_root(getattr(module, "__file__", None)):
        return module  # a stand-in has every name; the commit's own module is not patched
    extras: dict[str, Any] = {}
    for item in fromlist:
        if item == "*" or _has(module, item):
            continue
        full = f"{module.__name__}.{item}"
        if hasattr(module, "__path__"):
            try:
                importlib.import_module(full)
                if _has(module, item):
                    continue
            except ModuleNotFoundError as exc:
                if exc.name != full:  # the submodule exists but cannot import
                    extras[item] = _stand_in_modules(state, full, full)
                    continue
            except Exception:
                extras[item] = _stand_in_modules(state, full, full)
                continue
        extras[item] = stand_in_class(module.__name__, item)
        state.recorded.add(full)
    return _ModuleWithStandIns(module, extras) if extras else module


def _has(module: Any, name: str) -> bool:
    try:
        return hasattr(module, name)
    except Exception:
        return False
