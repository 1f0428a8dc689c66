"""The naive recipe's build step, run in a fresh Python process inside a full checkout:

    python scripts/_bench_naive.py CHECKOUT_DIR DAG_NAME OUT_JSON

Reads the DAG definition from the checkout's `pyproject.toml`, imports the modules (pandas,
scikit-learn and Hamilton come with them), builds the Hamilton driver, lists its variables
and writes `{name: {type, dependencies, tags, source}}` to OUT_JSON. No lineage-history code
is used, so this is what someone without the tool would run for each commit.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def main() -> None:
    checkout, dag, out = Path(sys.argv[1]).resolve(), sys.argv[2], sys.argv[3]
    with open(checkout / "pyproject.toml", "rb") as handle:
        definition = tomllib.load(handle)["tool"]["lineage-history"]["dags"][dag]
    from hamilton import driver
    from hamilton.graph_types import HamiltonGraph

    # What a user's script does on a checkout: the repository root on sys.path, each module
    # imported by its dotted name (the benchmark's modules are the `pipelines` package's).
    sys.path.insert(0, str(checkout))
    modules = [
        importlib.import_module(relative.removesuffix(".py").replace("/", "."))
        for relative in definition["modules"]
    ]
    dr = driver.Builder().with_modules(*modules).with_config(definition.get("config", {})).build()
    variables = {v.name: v for v in dr.list_available_variables()}
    graph = HamiltonGraph.from_graph(dr.graph)
    result = {}
    for node in graph.nodes:
        functions = node.originating_functions or ()
        source = "".join(inspect.getsource(inspect.unwrap(f)) for f in functions)
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
