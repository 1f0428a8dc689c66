"""Pure: the Python code of a Jupyter notebook, read as a driver script is (code cells in
order; IPython magics removed so that each cell parses)."""

from __future__ import annotations

import ast
import json
from typing import Any

NOTEBOOK_SUFFIX = ".ipynb"


def _cell_lines(cell: Any) -> list[str] | None:
    """A code cell's lines without magics, or None for a cell Python cannot run as is."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    if not isinstance(text, str) or text.lstrip().startswith("%%"):
        return None  # a cell magic (`%%cell_to_module`, `%%bash`...) is not Python
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            lines.append(f"{indent}pass" if indent else "")  # keeps a block non-empty
        else:
            lines.append(line)
    return lines


def _parses(lines: list[str]) -> bool:
    try:
        ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def notebook_source(data: bytes) -> tuple[str, list[tuple[int, int]]]:
    """The notebook's code cells joined into one script (cells that do not parse left out,
    so that one broken cell hides only itself), and for each of its lines (1-based, at index
    line - 1) the cell (1-based, markdown cells counted) and line in the cell it comes from;
    ("", []) when it is not a notebook."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return "", []
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return "", []
    kept: list[str] = []
    origins: list[tuple[int, int]] = []
    for number, cell in enumerate(cells, start=1):
        lines = _cell_lines(cell)
        if lines is not None and _parses(lines):
            kept.extend([*lines, ""])
            origins.extend((number, line) for line in range(1, len(lines) + 2))
    return "\n".join(kept), origins
