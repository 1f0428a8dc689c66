"""The OpenAPI document of `serve`'s JSON: each answer is the command line's `--format json`
for the same question (`docs/web.md`)."""

from __future__ import annotations

from typing import Any

_DAG = {"name": "dag", "in": "path", "required": True, "schema": {"type": "string"}}
_NODE = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_TAG = {
    "name": "tag",
    "in": "query",
    "description": "KEY=VALUE or KEY; repeat to AND (as --tag)",
    "schema": {"type": "array", "items": {"type": "string"}},
    "style": "form",
    "explode": True,
}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": "string"}}


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _get(summary: str, command: str, *parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "description": f"The JSON of `lineage-history {command} --format json`.",
            "parameters": list(parameters),
            "responses": {
                "200": {"description": "the answer", "content": {"application/json": {}}},
                "404": {"description": 'an unknown revision, DAG or node: {"error": ...}'},
            },
        }
    }


def document() -> dict[str, Any]:
    revision = _path("rev", "a revision, as git takes it")
    return {
        "openapi": "3.1.0",
        "info": {"title": "lineage-history", "version": _version()},
        "paths": {
            "/api/status": _get("What is indexed", "status"),
            "/api/dags": _get(
                "The DAGs at a revision (needs the repository on disk)",
                "dags",
                _query("rev", "the revision (default HEAD)"),
            ),
            "/api/dag/{dag}/show/{rev}": _get(
                "The nodes at a revision", "show", _DAG, revision, _TAG
            ),
            "/api/dag/{dag}/diff/{spec}": _get(
                "The lineage diff of BASE...HEAD or BASE..HEAD",
                "diff",
                _DAG,
                _path("spec", "BASE...HEAD (from the merge base) or BASE..HEAD"),
            ),
            "/api/dag/{dag}/log/{name}": _get(
                "The commits that changed a node",
                "log",
                _DAG,
                _NODE,
                _query("rev", "walk from here (default HEAD)"),
                _query("follow", "1: continue through renames"),
            ),
            "/api/dag/{dag}/upstream/{name}": _get(
                "Everything a node depends on", "upstream", _DAG, _NODE, _query("at", "rev"), _TAG
            ),
            "/api/dag/{dag}/downstream/{name}": _get(
                "Everything that depends on a node",
                "downstream",
                _DAG,
                _NODE,
                _query("at", "rev"),
                _TAG,
            ),
        },
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lineage-history")
    except PackageNotFoundError:
        return "unknown"
