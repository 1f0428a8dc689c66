"""Snapshots written as rows, many at a time: each node version and each snapshot is stored
once by its digest, in a few set-based statements per batch (refreshing a long history
stores hundreds of thousands of snapshots, so statements per snapshot would dominate)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, select

from lineage_history.dag.model import Node, Snapshot, canonical_json
from lineage_history.store.inserts import insert_ignoring_duplicates
from lineage_history.store.schema import node_tags, node_versions, snapshot_nodes, snapshots

# Values per `IN (...)`: well under every backend's limit on bound parameters.
_CHUNK = 500


def ids_by(
    connection: Connection, column: Column[Any], id_column: Column[Any], values: Iterable[Any]
) -> dict[Any, int]:
    """`value -> id` of the rows whose `column` holds one of `values`."""
    wanted = list(values)
    found: dict[Any, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(connection.execute(select(column, id_column).where(column.in_(chunk))).all())
    return found


def _tag_rows(node_version_id: int, node: Node) -> list[dict[str, Any]]:
    rows = []
    for key, value in node.tags.items():
        for item in value if isinstance(value, tuple) else (value,):
            rows.append({"node_version_id": node_version_id, "key": key, "value": item})
    return rows


def _node_row(digest: str, node: Node) -> dict[str, Any]:
    data = node.to_dict()
    return {
        "digest": digest,
        "name": node.name,
        "type": node.type,
        "role": node.role,
        "dependencies": canonical_json(data["dependencies"]),
        "tags": canonical_json(data["tags"]),
        "doc": node.doc,
        "code": node.code,
        "module": node.module,
        "function": node.function,
    }


def _save_node_versions(connection: Connection, nodes: dict[str, Node]) -> dict[str, int]:
    """The ids of these node versions (by digest), stored with their tags where new."""
    known = ids_by(connection, node_versions.c.digest, node_versions.c.id, nodes)
    missing = [_node_row(digest, node) for digest, node in nodes.items() if digest not in known]
    if missing:
        insert_ignoring_duplicates(connection, node_versions, missing)
        new_ids = ids_by(
            connection, node_versions.c.digest, node_versions.c.id, [r["digest"] for r in missing]
        )
        tags = [row for digest, nid in new_ids.items() for row in _tag_rows(nid, nodes[digest])]
        insert_ignoring_duplicates(connection, node_tags, tags)
        known.update(new_ids)
    return known


def save_snapshots(connection: Connection, stored: Sequence[Snapshot]) -> list[int]:
    """The snapshot id of each of `stored`, in order; those not stored yet are written."""
    digests = [snapshot.digest for snapshot in stored]
    by_digest = dict(zip(digests, stored, strict=True))
    found = ids_by(connection, snapshots.c.digest, snapshots.c.id, by_digest)
    new = {digest: snapshot for digest, snapshot in by_digest.items() if digest not in found}
    if new:
        node_digests = {
            digest: [node.digest for node in snapshot.nodes.values()]
            for digest, snapshot in new.items()
        }
        nodes = {
            node_digest: node
            for digest, snapshot in new.items()
            for node_digest, node in zip(node_digests[digest], snapshot.nodes.values(), strict=True)
        }
        node_ids = _save_node_versions(connection, nodes)
        rows = [
            {"digest": d, "config": canonical_json(dict(s.config)), "node_count": len(s.nodes)}
            for d, s in new.items()
        ]
        insert_ignoring_duplicates(connection, snapshots, rows)
        created = ids_by(connection, snapshots.c.digest, snapshots.c.id, new)
        members = [
            {"snapshot_id": created[digest], "node_version_id": node_ids[node_digest]}
            for digest in new
            for node_digest in dict.fromkeys(node_digests[digest])
        ]
        insert_ignoring_duplicates(connection, snapshot_nodes, members)
        found.update(created)
    return [found[digest] for digest in digests]
