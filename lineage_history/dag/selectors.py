"""Tag selectors, as `show --tag` and lineage rules write them: `KEY=VALUE` or `KEY` alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lineage_history.dag.model import Node, TagValue, tag_matches
from lineage_history.errors import UserError


@dataclass(frozen=True)
class TagFilter:
    """`KEY=VALUE` (list-valued tags match any element) or `KEY` alone (has the tag)."""

    key: str
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> TagFilter:
        key, sep, value = text.partition("=")
        key = key.strip()
        if not key:
            raise UserError(f"bad tag filter {text!r}: expected KEY=VALUE or KEY")
        return cls(key, value if sep else None)

    def matches(self, tags: Mapping[str, TagValue]) -> bool:
        return tag_matches(tags, self.key, self.value)

    def __str__(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


def parse_tag_filters(texts: Iterable[str] | None) -> tuple[TagFilter, ...]:
    return tuple(TagFilter.parse(text) for text in texts or ())


def matches_all(node: Node, filters: Sequence[TagFilter]) -> bool:
    return all(f.matches(node.tags) for f in filters)
