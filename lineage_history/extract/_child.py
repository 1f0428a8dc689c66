"""Runs inside the forked build child: load one commit's modules, build the Hamilton graph,
and turn it into plain snapshot data. The only code that imports Hamilton."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

from lineage_history.extract._fingerprint import function_fingerprint, source_fingerprint


def type_text(value: Any) -> str:
    """A readable, stable name for a node type: `pandas.Series`, `float | None`, `Any`."""
    if value is typing.Any:
        return "Any"
    if isinstance(value, type) and not typing.get_args(value):
        module = value.__module__
        if module == "builtins":
            return value.__qualname__
        top = module.split(".")[0]
        if getattr(sys.modules.get(top), value.__name__, None) is value:
            return f"{top}.{value.__name__}"
        return f"{module}.{value.__qualname__}"
    return repr(value).replace("typing.", "")


def load_module(path: Path) -> ModuleType:
    """Import a module from a file, registered in sys.modules before it executes."""
    name = path.stem
    existing = sys.modules.get(name)
    if existing is not None and Path(getattr(existing, "__file__", "") or "") == path:
        return existing  # already imported by a sibling module
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


# Fingerprints by (source digest, function, first line). The build server fills it from
# earlier children's results, a forked child inherits it and reports what it added.
FINGERPRINTS: dict[str, str] = {}
NEW_FINGERPRINTS: dict[str, str] = {}


def _cached_fingerprint(source: str, name: str, first_line: int) -> str:
    key = f"{hashlib.sha1(source.encode()).hexdigest()}:{name}:{first_line}"
    found = FINGERPRINTS.get(key)
    if found is None:
        found = function_fingerprint(source, name, first_line)
        FINGERPRINTS[key] = NEW_FINGERPRINTS[key] = found
    return found


def _fingerprint(functions: tuple[Any, ...], sources: dict[str, str]) -> str:
    parts = []
    for fn in functions:
        fn = inspect.unwrap(fn)
        code = getattr(fn, "__code__", None)
        filename = code.co_filename if code else ""
        try:
            if filename not in sources:
                sources[filename] = Path(filename).read_text(encoding="utf-8")
            parts.append(_cached_fingerprint(sources[filename], fn.__name__, code.co_firstlineno))
        except (OSError, LookupError, SyntaxError, UnicodeDecodeError):
            parts.append(source_fingerprint(inspect.getsource(fn)))
    return parts[0] if len(parts) == 1 else "+".join(parts)


def build_snapshot(workdir: str, modules: list[str], config: dict[str, Any]) -> dict[str, Any]:
    """Import `modules` (paths relative to `workdir`) and describe the Hamilton graph."""
    from hamilton import driver
    from hamilton.graph_types import HamiltonGraph

    root = Path(workdir).resolve()
    for directory in sorted({str((root / m).parent) for m in modules}, reverse=True):
        sys.path.insert(0, directory)
    loaded = []
    for relative in modules:
        path = root / relative
        if not path.is_file():
            raise FileNotFoundError(f"module file {relative} does not exist at this commit")
        loaded.append(load_module(path))

    dr = driver.Builder().with_modules(*loaded).with_config(dict(config)).build()
    graph = HamiltonGraph.from_graph(dr.graph)
    sources: dict[str, str] = {}
    nodes = []
    for node in graph.nodes:
        functions = tuple(node.originating_functions or ())
        is_input = node.is_external_input or not functions
        first = inspect.unwrap(functions[0]) if functions and not is_input else None
        nodes.append(
            {
                "name": node.name,
                "type": type_text(node.type),
                "role": "input" if is_input else "function",
                "dependencies": sorted(
                    set(node.required_dependencies) | set(node.optional_dependencies)
                ),
                "tags": dict(node.tags),
                "doc": (node.documentation or "").strip(),
                "code": None if is_input else _fingerprint(functions, sources),
                "module": getattr(first, "__module__", None),
                "function": getattr(first, "__name__", None),
            }
        )
    return {"nodes": nodes, "config": dict(config)}
