"""The package's architecture, held against its imports: each package imports only the
packages below it, no modules import each other in a circle, and the heavy dependencies stay
in the one package that owns them. Every import counts, inside functions and under
`TYPE_CHECKING` too."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.fixtures import ROOT

PACKAGE = ROOT / "lineage_history"

# What each package may import (besides itself and the shared top-level modules). Read
# from the bottom up: this is the architecture table of the README's Development section.
ALLOWED = {
    "dag": set(),
    "repo": set(),
    "store": {"dag", "repo"},
    "definitions": {"dag", "repo", "store"},
    "queries": {"dag", "repo", "store"},
    "build": {"dag", "repo", "store", "definitions", "queries"},
    "index": {"dag", "repo", "store", "definitions", "build"},
    "output": {"dag", "store", "definitions", "queries"},
    "demo": {"dag", "repo", "store", "definitions", "build", "index", "queries", "output"},
    "web": {"dag", "repo", "store", "definitions", "queries", "output"},
    "workers": {"dag", "repo", "store", "definitions", "build", "index"},
    "cli": {
        "dag", "repo", "store", "definitions", "queries", "build", "index", "output", "demo",
        "web", "workers",
    },
}  # fmt: skip
# Top-level modules every package may use; they import no package themselves.
SHARED = {"errors", "defaults", "_text", "_resources"}
# Third-party imports and the one package allowed to make them.
OWNERS = {
    "sqlalchemy": "store",
    "alembic": "store",
    "hamilton": "build",
    "git": "repo",
    "openlineage": "output",
    "typer": "cli",
    "starlette": "web",
    "uvicorn": "web",
    "jinja2": "web",
    "celery": "workers",
    "kombu": "workers",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def _imports(path: Path) -> Iterator[str]:
    """Every module an import statement of `path` names (absolute, `from x import y` as both
    `x` and `x.y`, relative imports resolved)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _modules() -> dict[str, set[str]]:
    """Each module of the package and the package's modules it imports."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {target for target in _imports(path) if target in paths and target != name}
        for name, path in paths.items()
    }


def _owner(module: str) -> str:
    """`dag` for `lineage_history.dag.diff`; the module's own name at the top level."""
    return module.split(".")[1] if module.count(".") else ""


def test_each_package_imports_only_the_packages_below_it() -> None:
    assert set(ALLOWED) >= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    wrong = []
    for module, targets in _modules().items():
        source = _owner(module)
        for target in targets:
            goal = _owner(target)
            if (
                goal == source
                or goal in SHARED
                or (source == "cli" and target == "lineage_history")
            ):
                continue  # the command line may read the package's version
            if source in SHARED:
                wrong.append(f"{module} -> {target} (a shared module imports no package)")
            elif source in ALLOWED and goal not in ALLOWED[source]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_the_top_level_holds_few_modules() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", *sorted(f"{name}.py" for name in SHARED)]


def test_no_modules_import_each_other_in_a_circle() -> None:
    graph = _modules()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert circles == []


def test_heavy_dependencies_stay_in_the_package_that_owns_them() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        for target in _imports(path):
            top = target.split(".")[0]
            if top in OWNERS and _owner(module) != OWNERS[top]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_only_the_git_module_starts_git() -> None:
    """Modules that start processes (the `dot` picture, the build server) never start git:
    every git process goes through `repo.git.run_git`."""
    git_literal = re.compile(r"""["']git["']""")
    starters = {
        str(path.relative_to(PACKAGE)): bool(git_literal.search(path.read_text()))
        for path in PACKAGE.rglob("*.py")
        if re.search(r"^import subprocess", path.read_text(), re.MULTILINE)
    }
    assert starters == {
        "repo/git.py": True,
        "output/viz.py": False,
        "build/pool.py": False,
        "build/forked.py": False,
    }


def test_every_package_says_what_it_owns() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init.relative_to(PACKAGE)} has no docstring"
