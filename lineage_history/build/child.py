"""Runs inside the forked build child: import one commit's modules the way its own code runs
(import roots, dotted names, the commit's packages first), build the Hamilton graph, and
turn it into plain snapshot data. The only code that imports Hamilton."""

from __future__ import annotations

import ast
import copy
import datetime
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import os
import re
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from lineage_history.build.fingerprints import (
    Fingerprinter,
    decorator_chain,
    metadata_by_name,
    source_fingerprint,
)
from lineage_history.build.project import ProjectMetadata, write_distributions
from lineage_history.build.refresh import RecordingMetadata, join_fingerprints, tree_fingerprinter
from lineage_history.dag.model import ROLE_FUNCTION, ROLE_INPUT, Node
from lineage_history.definitions.imports import PROTECTED
from lineage_history.repo.tree import DirectoryTree


def _class_text(cls: type) -> str:
    """`module.Name` by the shortest module path that exposes the class under its name
    (`pandas.DataFrame`, not `pandas.core.frame.DataFrame`), so the text is the same whether
    the class is real or a stand-in imported as written in the code."""
    if cls.__module__ == "builtins":
        return cls.__qualname__
    parts = cls.__module__.split(".")
    for depth in range(1, len(parts)):
        prefix = ".".join(parts[:depth])
        if getattr(sys.modules.get(prefix), cls.__name__, None) is cls:
            return f"{prefix}.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _classes_in(value: Any, found: set[type], depth: int = 0) -> None:
    if depth > 20:
        return
    if isinstance(value, type) and not typing.get_args(value):
        found.add(value)
        return
    origin = getattr(value, "__origin__", None)
    if isinstance(origin, type):
        found.add(origin)
    for arg in getattr(value, "__args__", None) or ():
        _classes_in(arg, found, depth + 1)


def type_text(value: Any) -> str:
    """A readable, stable name for a node type: `pandas.Series`, `float | None`, `Any`."""
    if value is typing.Any:
        return "Any"
    if isinstance(value, type) and not typing.get_args(value):
        return _class_text(value)
    text = repr(value)
    classes: set[type] = set()
    _classes_in(value, classes)
    for cls in sorted(classes, key=lambda c: -len(f"{c.__module__}.{c.__qualname__}")):
        full = f"{cls.__module__}.{cls.__qualname__}"
        text = re.sub(rf"(?<![\w.]){re.escape(full)}(?!\w)", _class_text(cls), text)
    text = re.sub(r"(?<![\w.])typing\.", "", text)
    # An annotation that is an object, not a type, shows in its repr where it sits in
    # memory; that differs in every build and would report a type change each time.
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


class _CommitFirst(importlib.abc.MetaPathFinder):
    """Resolves the commit's own top-level names from the build tree only, ahead of every
    other finder: a `.pth` entry, a PEP 660 editable finder or a regular install of the
    same project never supplies them."""

    def __init__(self, local_names: Sequence[str], roots: list[str]) -> None:
        self.local_names = frozenset(local_names)
        self.roots = roots

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] not in self.local_names:
            return None
        search = list(path) if path is not None else self.roots
        spec = importlib.machinery.PathFinder.find_spec(fullname, search)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return spec


class _InstalledThenTree(importlib.abc.MetaPathFinder):
    """Last resort for a module under `hamilton` that the installed Hamilton lacks: the
    build tree's copy (apache/hamilton's contrib dataflows install into `hamilton.contrib`)."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = roots

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        parts = fullname.split(".")
        if parts[0] not in PROTECTED or len(parts) == 1:
            return None
        parents = [os.path.join(root, *parts[:-1]) for root in self.roots]
        return importlib.machinery.PathFinder.find_spec(fullname, parents)


def isolate(root: Path, search: Sequence[str], local_names: Sequence[str]) -> list[str]:
    """Put the commit's import roots first and make its own packages win; the roots."""
    roots = [str(root / entry) if entry else str(root) for entry in search]
    for name in list(sys.modules):  # a copy the build server imported earlier
        if name.split(".")[0] in local_names:
            del sys.modules[name]
    sys.path[:0] = roots
    sys.meta_path.insert(0, _CommitFirst(local_names, roots))
    sys.meta_path.append(_InstalledThenTree(roots))
    importlib.invalidate_caches()
    return roots


def own_distributions(root: Path, projects: Sequence[dict[str, Any]], local: Sequence[str]) -> None:
    """Make the commit's own distribution metadata the one `importlib.metadata` (and
    `pkg_resources`) find first: a package that reads its own version gets the commit's."""
    named = [ProjectMetadata.from_dict(p) for p in projects if p.get("name")]
    if not named:
        return
    directory = root.parent / "distributions"
    write_distributions(directory, named, local)
    sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    resources = sys.modules.get("pkg_resources")  # imported by the build server already
    if resources is not None:
        try:
            resources._initialize_master_working_set()  # type: ignore[attr-defined]
        except Exception:
            pass


def import_modules(root: Path, modules: Sequence[tuple[str, str]]) -> list[ModuleType]:
    """Import each DAG module by its dotted name and check that it is the expected file."""
    loaded = []
    for relative, dotted in modules:
        path = root / relative
        if not path.is_file():
            raise FileNotFoundError(f"module file {relative} does not exist at this commit")
        module = importlib.import_module(dotted)
        actual = Path(getattr(module, "__file__", "") or "")
        if actual.resolve() != path.resolve() and dotted.split(".")[0] in PROTECTED:
            module = _load_over_installed(path, dotted)  # e.g. apache/hamilton's own dataflows
        elif actual.resolve() != path.resolve():
            shown = os.path.relpath(actual, root) if str(actual) else "a namespace package"
            raise ImportError(
                f"{relative} cannot be imported as {dotted!r}: that name is {shown} in this "
                "build (two DAG modules with one import name?)"
            )
        loaded.append(module)
    return loaded


def _load_over_installed(path: Path, dotted: str) -> ModuleType:
    """A DAG module of the repository whose name the installed Hamilton also has: the
    commit's file, under that name (the build child is thrown away afterwards)."""
    package_dirs = [str(path.parent)] if path.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(
        dotted, path, submodule_search_locations=package_dirs
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path.name} as {dotted!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[dotted] = module
    spec.loader.exec_module(module)
    return module


def typed_config(config: dict[str, Any], types: Sequence[Sequence[str]]) -> dict[str, Any]:
    """The Hamilton config with TOML dates and times restored from their ISO text; `types`
    names each by its path (`start`, `window.end`, `days[2]`)."""
    parse = {
        "datetime": datetime.datetime.fromisoformat,
        "date": datetime.date.fromisoformat,
        "time": datetime.time.fromisoformat,
    }
    typed = copy.deepcopy(config)
    for path, kind in types:
        tokens = re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)
        steps: list[Any] = [int(index) if index else key for key, index in tokens]
        container: Any = typed
        for step in steps[:-1]:
            container = container[step]
        container[steps[-1]] = parse[kind](container[steps[-1]])
    return typed


class _Metadata:
    """Tells whether a decorator only attaches metadata, by what it is at run time: any
    subclass of Hamilton's `tag` or `tag_outputs`, however it was imported or aliased."""

    def __init__(self, root: Path) -> None:
        from hamilton.function_modifiers.metadata import tag, tag_outputs

        self._kinds = (tag, tag_outputs)
        self._modules = {
            os.path.relpath(getattr(m, "__file__", None) or "", root): m
            for m in list(sys.modules.values())
            if str(getattr(m, "__file__", None) or "").startswith(str(root))
        }

    def __call__(self, path: str, decorator: ast.expr) -> bool:
        chain = decorator_chain(decorator)
        module = self._modules.get(path)
        if not chain or module is None or chain[0] not in vars(module):
            return metadata_by_name(path, decorator)
        target: Any = vars(module)[chain[0]]
        try:
            for attr in chain[1:]:
                target = getattr(target, attr)
        except AttributeError:
            return metadata_by_name(path, decorator)
        if not isinstance(target, type):  # a factory such as `schema.output`
            try:
                target = typing.get_type_hints(target).get("return")
            except Exception:
                return False
        return isinstance(target, type) and issubclass(target, self._kinds)


def code_fingerprint(
    functions: tuple[Any, ...],
    root: Path,
    prints: Fingerprinter,
    node: str | None = None,
    steps: list[list[Any]] | None = None,
) -> str:
    """The node's originating functions, each as the node `node` sees it (the outermost,
    last, by the node's full name; an inner function of a subdag by its name in the subdag),
    plus the steps `@mutate` attached to it that made this node. `steps`: where to note how
    (the recipe `refresh` replays)."""
    parts = []
    for position, fn in enumerate(functions):
        fn = inspect.unwrap(fn)
        levels = len(functions) - 1 - position
        own_name = node.split(".", levels)[-1] if node is not None else None
        parts.append(_function_fingerprint(fn, root, prints, own_name, steps))
    if node is not None and functions:
        for step in _mutating_steps(inspect.unwrap(functions[-1]), node):
            parts.append(_function_fingerprint(step, root, prints, None, steps))
    return join_fingerprints(parts)


def _function_fingerprint(
    fn: Any,
    root: Path,
    prints: Fingerprinter,
    node: str | None,
    steps: list[list[Any]] | None = None,
) -> str:
    steps = [] if steps is None else steps
    code = getattr(fn, "__code__", None)
    filename = code.co_filename if code else ""
    relative = os.path.relpath(filename, root) if filename else ".."
    try:
        module = sys.modules.get(getattr(fn, "__module__", "") or "")
        bound = tuple(
            sorted(
                name
                for name, value in vars(module or object()).items()
                if getattr(value, "__wrapped__", value) is fn
            )
        )
        found = prints.function(relative, fn.__name__, code.co_firstlineno, bound, node)
        where = prints.position(relative, fn.__name__, code.co_firstlineno)
        steps.append(["fp", relative, fn.__name__, list(where), list(bound), node])
        return found
    except (LookupError, SyntaxError, AttributeError):
        found = source_fingerprint(inspect.getsource(fn))
        steps.append(["fixed", found] if relative.startswith("..") else ["unknown"])
        return found


def _mutating_steps(fn: Any, node: str) -> list[Any]:
    """Functions of the `pipe_output` steps of `fn` that made the node `node`. `@mutate` puts
    its function there, and the target's source does not name it (an inline step is named in
    the decorator too: counting it twice changes nothing)."""
    from hamilton.function_modifiers.macros import pipe_output

    steps = []
    for decorator in getattr(fn, "transform", None) or ():
        if not isinstance(decorator, pipe_output):
            continue
        counts: dict[str, int] = {}
        for applicable in decorator.transforms:
            step = getattr(applicable, "fn", None)
            name = getattr(step, "__name__", "")
            postfix = f"_{counts[name]}" if counts.get(name) else ""
            counts[name] = counts.get(name, 0) + 1
            default = "with" + ("" if name.startswith("_") else "_") + name + postfix
            if (applicable.name or default) == node.rsplit(".", 1)[-1] and step is not None:
                steps.append(step)
    return steps


def build_snapshot(request: dict[str, Any]) -> dict[str, Any]:
    """Import the request's modules from its tree and describe the Hamilton graph."""
    from hamilton import driver
    from hamilton.graph_types import HamiltonGraph

    root = Path(request["workdir"]).resolve()
    isolate(root, request["search"], request["local_names"])
    own_distributions(root, request.get("projects") or (), request["local_names"])
    loaded = import_modules(root, [tuple(m) for m in request["modules"]])
    builder = driver.Builder().with_modules(*loaded)
    builder = builder.with_config(typed_config(request["config"], request["config_types"]))
    options = request.get("builder_options") or {}
    if options.get("allow_module_overrides"):
        builder = builder.allow_module_overrides()
    if options.get("dynamic_execution"):
        builder = builder.enable_dynamic_execution(allow_experimental_mode=True)
    graph = HamiltonGraph.from_graph(builder.build().graph)
    files = DirectoryTree(root)
    metadata = RecordingMetadata(_Metadata(root))
    prints = tree_fingerprinter(files, request["search"], metadata)
    nodes = []
    recipe: dict[str, list[list[Any]]] = {}
    for node in graph.nodes:
        functions = tuple(node.originating_functions or ())
        is_input = node.is_external_input or not functions
        first = inspect.unwrap(functions[0]) if functions and not is_input else None
        described = Node(
            name=node.name,
            type=type_text(node.type),
            role=ROLE_INPUT if is_input else ROLE_FUNCTION,
            dependencies=(*node.required_dependencies, *node.optional_dependencies),
            tags=node.tags,
            doc=(node.documentation or "").strip(),
            code=None
            if is_input
            else code_fingerprint(
                functions, root, prints, node.name, recipe.setdefault(node.name, [])
            ),
            module=getattr(first, "__module__", None),
            function=getattr(first, "__name__", None),
        )
        nodes.append(described.to_dict())
    metadata.note_all(files)
    return {
        "nodes": nodes,
        "config": dict(request["config"]),
        "recipe": {"nodes": recipe, "metadata": metadata.answers()},
    }
