#!/usr/bin/env python
"""How faithful is a build with stand-ins? For every DAG of a definition file, builds the DAG at
a repository's HEAD twice: exactly, and with every third-party package its modules import
forced to stand-ins (`stub = [...]`), then compares the two graphs: node names, edges, tags,
roles, documentation, code fingerprints and types (equal, or a difference the diff excuses).

Only DAGs whose exact build succeeds without stand-ins are compared. The repository is indexed
into a temporary database through the real command line; nothing in it is modified.

    python scripts/bench_fidelity.py --repo DIR --config dags.toml
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import tomllib

from lineage_history.dag.diff import types_agree

FIELDS = ("dependencies", "tags", "role", "doc", "code")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage_history", *args], capture_output=True, text=True
    )


def third_party_imports(repo: Path, modules: list[str], local: set[str]) -> list[str]:
    """Top-level packages the DAG's modules import that are not local, stdlib or Hamilton."""
    names: set[str] = set()
    for module in modules:
        try:
            tree = ast.parse((repo / module).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    skip = local | set(sys.stdlib_module_names) | {"hamilton", "__future__"}
    return sorted(names - skip)


def paired_config(repo: Path, dags: dict[str, Any]) -> str:
    """Each DAG as written and as `NAME__stubbed` with its third-party imports forced."""
    local = {p.stem for p in repo.rglob("*.py")} | {p.name for p in repo.rglob("*") if p.is_dir()}
    lines = []
    for name, table in dags.items():
        modules = table["modules"]
        stub = third_party_imports(repo, modules, local)
        for suffix, extra in (("", []), ("__stubbed", stub)):
            lines.append(f"[dags.{json.dumps(name + suffix)}]")
            lines.append(f"modules = {json.dumps(modules)}")
            if "config" in table:
                config = ", ".join(
                    f"{json.dumps(k)} = {json.dumps(v)}" for k, v in table["config"].items()
                )
                lines.append(f"config = {{ {config} }}")
            if extra:
                lines.append(f"stub = {json.dumps(extra)}")
            lines.append("")
    return "\n".join(lines)


def nodes_at_head(repo: Path, db: Path, dags: list[str]) -> dict[str, Any]:
    """Per DAG: its nodes (every stored field) and stubbed list at HEAD, None when it failed."""
    code = (
        "import json, sys\n"
        "from lineage_history.queries.at_commit import show\n"
        "from lineage_history.queries.handle import opened\n"
        "from lineage_history.errors import LineageHistoryError\n"
        "found = {}\n"
        "with opened(sys.argv[1], sys.argv[2]) as context:\n"
        "    for dag in sys.argv[3:]:\n"
        "        try:\n"
        "            shown = show(context, 'HEAD', dag)\n"
        "        except LineageHistoryError:\n"
        "            found[dag] = None\n"
        "            continue\n"
        "        nodes = {n.name: n.to_dict() for n in shown.nodes}\n"
        "        found[dag] = [nodes, list(shown.stubbed)]\n"
        "print(json.dumps(found))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(repo), str(db), *dags], capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(result.stderr)
    return json.loads(result.stdout)


def compare(exact: dict[str, Any], stubbed: dict[str, Any], stubbed_list: list[str]) -> dict:
    same_names = set(exact) == set(stubbed)
    common = set(exact) & set(stubbed)
    differing = {
        field: sorted(n for n in common if exact[n][field] != stubbed[n][field]) for field in FIELDS
    }
    types_equal = sum(exact[n]["type"] == stubbed[n]["type"] for n in common)
    types_excused = sum(
        exact[n]["type"] != stubbed[n]["type"]
        and types_agree(exact[n]["type"], stubbed[n]["type"], (), stubbed_list)
        for n in common
    )
    return {
        "nodes": len(exact),
        "same_names": same_names,
        "missing": sorted(set(exact) - set(stubbed)),
        "extra": sorted(set(stubbed) - set(exact)),
        "differing": {k: v for k, v in differing.items() if v},
        "types_equal": types_equal,
        "types_excused": types_excused,
        "types_differing": len(common) - types_equal - types_excused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=Path)
    parser.add_argument("--config", required=True, type=Path, help="a lineage-history.toml")
    parser.add_argument("--jobs", default="2")
    args = parser.parse_args()
    repo = args.repo.resolve()
    dags = tomllib.loads(args.config.read_text())["dags"]
    with tempfile.TemporaryDirectory() as tmp:
        config, db = Path(tmp) / "paired.toml", Path(tmp) / "db.sqlite"
        config.write_text(paired_config(repo, dags))
        indexed = cli(
            "index",
            "--repo",
            str(repo),
            "--db",
            str(db),
            "--config",
            str(config),
            "--jobs",
            args.jobs,
        )
        if indexed.returncode != 0:
            sys.exit(indexed.stderr)
        report(repo, db, dags)


def report(repo: Path, db: Path, dags: dict[str, Any]) -> None:
    totals = {"dags": 0, "faithful": 0, "nodes": 0, "types_equal": 0, "types_excused": 0}
    found = nodes_at_head(repo, db, [n + suffix for n in dags for suffix in ("", "__stubbed")])
    for name in dags:
        exact, stubbed = found[name], found[name + "__stubbed"]
        if exact is None or exact[1]:
            continue  # not built exactly in this environment: nothing to compare with
        totals["dags"] += 1
        if stubbed is None:
            print(f"{name}: the build with stand-ins failed")
            continue
        result = compare(exact[0], stubbed[0], stubbed[1])
        faithful = result["same_names"] and not result["differing"]
        totals["faithful"] += faithful
        for key in ("nodes", "types_equal", "types_excused"):
            totals[key] += result[key]
        if not faithful or result["types_differing"]:
            print(f"{name}: {json.dumps(result)}")
    print(
        f"{totals['dags']} DAGs built exactly and with stand-ins; {totals['faithful']} with the "
        f"same nodes, edges, tags, roles, docs and code fingerprints; of {totals['nodes']} "
        f"nodes, {totals['types_equal']} types equal, {totals['types_excused']} excused"
    )


if __name__ == "__main__":
    main()
