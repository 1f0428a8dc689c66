"""The naive recipe's build step, run in a fresh Python process inside a full checkout:

    python scripts/_bench_naive.py CHECKOUT_DIR DAG_NAME OUT_JSON [DEFINITION_JSON]

Reads the DAG definition from the checkout's `pyproject.toml` (or takes DEFINITION_JSON,
`{"modules": [...], "config": {...}}`, what a real repository's driver script builds),
imports the modules (pandas, scikit-learn and Hamilton come with them), builds the Hamilton
driver, lists its variables and writes `{name: {type, dependencies, tags, source}}` to
OUT_JSON. No lineage-history code is used, so this is what someone without the tool would
run for each commit. The source is compared as a syntax tree without `@tag`/`@tag_outputs`
decorators (a tag change shows in the tags), as lineage-history compares code. Hamilton is
the installed one, imported before the checkout is on `sys.path` (a repository such as
apache/hamilton holds its own `hamilton/`).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import json
import sys
import textwrap
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


METADATA = {"tag", "tag_outputs"}  # Hamilton's metadata decorators: compared as tags


def fingerprint(function: object) -> str:
    """The function's syntax tree (no comments, no formatting) without its `@tag` and
    `@tag_outputs` decorators, whose effect is in the tags: a tag-only edit is not a
    change of code (see the README, "What counts as a change")."""
    definition = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    if isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef):
        definition.decorator_list = [
            decorator
            for decorator in definition.decorator_list
            if decorator_name(decorator) not in METADATA
        ]
    return ast.dump(definition)


def decorator_name(decorator: ast.expr) -> str:
    """`tag` for `@tag(...)`, `@fm.tag(...)` and `@tag`."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def dotted(checkout: Path, relative: str) -> tuple[Path, str]:
    """A module file's import root (up from its directory while `__init__.py` exists) and
    its dotted name from there: `pipelines/features.py` is `pipelines.features` from the
    root, `examples/lineage/features.py` is `features` from `examples/lineage`."""
    path = checkout / relative
    root = path.parent
    while (root / "__init__.py").exists() and root != checkout:
        root = root.parent
    name = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
    return root, name.removesuffix(".__init__")


def main() -> None:
    checkout, dag, out = Path(sys.argv[1]).resolve(), sys.argv[2], sys.argv[3]
    if len(sys.argv) > 4:
        definition = json.loads(sys.argv[4])
    else:
        with open(checkout / "pyproject.toml", "rb") as handle:
            definition = tomllib.load(handle)["tool"]["lineage-history"]["dags"][dag]
    from hamilton import driver
    from hamilton.graph_types import HamiltonGraph

    # What a user's script does on a checkout: the module's import root on sys.path (the
    # script's directory, or the repository root for a package), each module imported by its
    # dotted name (the benchmark's modules are the `pipelines` package's).
    names = []
    for relative in definition["modules"]:
        root, name = dotted(checkout, relative)
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        names.append(name)
    modules = [importlib.import_module(name) for name in names]
    dr = driver.Builder().with_modules(*modules).with_config(definition.get("config", {})).build()
    variables = {v.name: v for v in dr.list_available_variables()}
    graph = HamiltonGraph.from_graph(dr.graph)
    result = {}
    for node in graph.nodes:
        functions = node.originating_functions or ()
        source = "".join(fingerprint(inspect.unwrap(f)) for f in functions)
        result[node.name] = {
            "type": repr(node.type),
            "dependencies": sorted({*node.required_dependencies, *node.optional_dependencies}),
            "tags": {k: str(v) for k, v in node.tags.items() if not k.startswith("hamilton.")},
            "source": None
            if node.is_external_input or not functions
            else hashlib.sha256(source.encode()).hexdigest(),
            "variable": node.name in variables,
        }
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
