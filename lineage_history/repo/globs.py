"""Files of a tree that match a pattern with `*`, `?` and `**` (a DAG definition's
`include`)."""

from __future__ import annotations

import posixpath
import re

from lineage_history.repo.tree import FileEntry, Tree


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = pattern[i]
            out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob(tree: Tree, pattern: str) -> tuple[FileEntry, ...]:
    """Files matching a pattern with `*`, `?` and `**`; a plain directory means all below it."""
    parts = posixpath.normpath(pattern).split("/")
    static = []
    for part in parts:
        if any(c in part for c in "*?["):
            break
        static.append(part)
    candidates = tree.files("/".join(static))
    if len(static) == len(parts):
        return candidates
    regex = _glob_regex(pattern)
    return tuple(entry for entry in candidates if regex.match(entry[0]))
