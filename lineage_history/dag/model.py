"""The snapshot model: one commit's DAG as frozen, plain, serializable data (no I/O)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

ROLE_FUNCTION = "function"
ROLE_INPUT = "input"
# The type of a node whose real type a stand-in build cannot know (a column of a stand-in
# dataframe no Hamilton plugin describes); never a change in a diff.
UNKNOWN_TYPE = "unknown"

TagValue = str | tuple[str, ...]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the basis of every content address."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _tag_value(value: Any) -> TagValue:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


class Tags(Mapping[str, TagValue]):
    """A node's tags: an immutable mapping with sorted keys, hashable so that nodes are, and
    equal to any mapping (a dict too) with the same items."""

    __slots__ = ("_items",)

    def __init__(self, tags: Mapping[str, Any] | None = None) -> None:
        self._items = {str(key): _tag_value(value) for key, value in sorted((tags or {}).items())}

    def __getitem__(self, key: str) -> TagValue:
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Tags):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))  # keys are sorted: equal tags, equal tuples

    def __repr__(self) -> str:
        return f"Tags({self._items!r})"


def tag_text(value: TagValue) -> str:
    """A tag value as one string: list values joined by commas."""
    return value if isinstance(value, str) else ",".join(value)


def tag_matches(tags: Mapping[str, TagValue], key: str, value: str | None) -> bool:
    """`key` alone asks "has the tag"; with a value, list-valued tags match any element."""
    if key not in tags:
        return False
    if value is None:
        return True
    actual = tags[key]
    return value in actual if isinstance(actual, tuple) else actual == value


@dataclass(frozen=True)
class Node:
    """One node of a Hamilton graph, as stored and compared."""

    name: str
    type: str
    role: str = ROLE_FUNCTION
    dependencies: tuple[str, ...] = ()
    tags: Mapping[str, TagValue] = field(default_factory=Tags)
    doc: str = ""
    code: str | None = None  # fingerprint of the implementation; None for external inputs
    module: str | None = None
    function: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "dependencies", tuple(sorted(set(self.dependencies))))
        if not isinstance(self.tags, Tags):
            object.__setattr__(self, "tags", Tags(self.tags))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "role": self.role,
            "dependencies": list(self.dependencies),
            "tags": {k: list(v) if isinstance(v, tuple) else v for k, v in self.tags.items()},
            "doc": self.doc,
            "code": self.code,
            "module": self.module,
            "function": self.function,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Node:
        return cls(
            name=data["name"],
            type=data["type"],
            role=data.get("role", ROLE_FUNCTION),
            dependencies=tuple(data.get("dependencies", ())),
            tags=data.get("tags", {}),
            doc=data.get("doc") or "",
            code=data.get("code"),
            module=data.get("module"),
            function=data.get("function"),
        )

    @property
    def digest(self) -> str:
        """Content address of this node version, shared by every snapshot that holds it."""
        return sha256_hex(canonical_json(self.to_dict()))


@dataclass(frozen=True)
class Snapshot:
    """A whole DAG at one commit: its nodes by name and the Hamilton config it was built with."""

    nodes: Mapping[str, Node] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    # Modules and `module.Name`s that were stand-ins in the build that produced this graph.
    # A fact of the build, not of the graph: not part of the digest, nor of equality.
    stubbed: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def of(
        cls,
        nodes: Iterable[Node],
        config: Mapping[str, Any] | None = None,
        stubbed: Iterable[str] = (),
    ) -> Snapshot:
        by_name = {node.name: node for node in sorted(nodes, key=lambda n: n.name)}
        return cls(
            nodes=by_name,
            config=dict(sorted((config or {}).items())),
            stubbed=tuple(sorted(set(stubbed))),
        )

    @property
    def edges(self) -> frozenset[tuple[str, str]]:
        """(producer, consumer) pairs."""
        return frozenset(
            (dep, node.name) for node in self.nodes.values() for dep in node.dependencies
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [node.to_dict() for node in self.nodes.values()],
            "config": dict(self.config),
            "stubbed": list(self.stubbed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        nodes = (Node.from_dict(n) for n in data.get("nodes", ()))
        return cls.of(nodes, data.get("config"), data.get("stubbed") or ())

    @property
    def digest(self) -> str:
        """Content address: identical DAGs share one stored snapshot."""
        return sha256_hex(
            canonical_json(
                {
                    "nodes": sorted(n.digest for n in self.nodes.values()),
                    "config": dict(self.config),
                }
            )
        )


def outermost(stubbed: Iterable[str]) -> list[str]:
    """The entries of a stubbed list that no other entry contains: `pyspark` for `pyspark`,
    `pyspark.sql` and `pyspark.sql.functions` (what a person would install)."""
    entries = set(stubbed)
    return sorted(
        entry
        for entry in entries
        if not any(entry.startswith(other + ".") for other in entries if other != entry)
    )


EMPTY = Snapshot()
