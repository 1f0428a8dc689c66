"""Pure: the Python code of a Jupyter notebook, read as a driver script is (code cells in
order; IPython magics removed so that each cell parses), and the modules its cells write
(`%%writefile name.py`, `%%cell_to_module name` of Hamilton's Jupyter magic)."""

from __future__ import annotations

import ast
import json
import posixpath
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NOTEBOOK_SUFFIX = ".ipynb"
# The driver `%%cell_to_module name -c config` builds, as code (`-b builder`: that Builder).
_MAGIC_DRIVER = "import hamilton.driver as lineage_history_driver"


@dataclass(frozen=True)
class CellModule:
    """A module a notebook cell writes: its file (relative to the notebook's folder), the
    cell (1-based) and the module's text."""

    name: str
    path: str
    cell: int
    text: str


def _cells(data: bytes) -> list[Any]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return []
    cells = document.get("cells") if isinstance(document, dict) else None
    return cells if isinstance(cells, list) else []


def _code(cell: Any) -> str | None:
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    return text if isinstance(text, str) else None


def _magic(text: str) -> tuple[str, list[str], str] | None:
    """(magic, arguments, body) of a cell magic cell, or None."""
    first, _, body = text.lstrip().partition("\n")
    if not first.startswith("%%"):
        return None
    try:
        words = shlex.split(first[2:])
    except ValueError:
        return None
    return (words[0], words[1:], body) if words else None


def _option(arguments: list[str], *flags: str) -> str | None:
    for position, word in enumerate(arguments):
        if word in flags and position + 1 < len(arguments):
            return arguments[position + 1]
    return None


def _module_of_magic(magic: str, arguments: list[str], body: str, cell: int) -> CellModule | None:
    if magic == "writefile" and arguments and not arguments[0].startswith("-"):
        path = posixpath.normpath(arguments[-1])
        stem = posixpath.basename(path).removesuffix(".py")
        if path.endswith(".py") and stem.isidentifier() and not path.startswith(("/", "..")):
            return CellModule(stem, path, cell, body)
        return None
    if magic == "cell_to_module":
        positional = [a for a in arguments[:1] if not a.startswith("-")]
        name = _option(arguments, "-m", "--module_name") or next(iter(positional), None)
        if name and name.isidentifier():
            written = _option(arguments, "-w", "--write_to_file")
            return CellModule(name, written or f"{name}.py", cell, body)
    return None


def cell_modules(data: bytes) -> dict[str, CellModule]:
    """The modules a notebook's cells write, by module name (a later cell wins)."""
    found: dict[str, CellModule] = {}
    for number, cell in enumerate(_cells(data), start=1):
        text = _code(cell)
        magic = _magic(text) if text is not None else None
        module = _module_of_magic(*magic, number) if magic else None
        if module is not None:
            found[module.name] = module
    return found


def _magic_driver(arguments: list[str]) -> list[str]:
    """`%%cell_to_module name -c config`: a driver of the cell's module, as Python."""
    module = _module_of_magic("cell_to_module", arguments, "", 0)
    if module is None:
        return []
    builder = _option(arguments, "-b", "--builder")
    config = _option(arguments, "-c", "--config")
    start = builder if builder and builder.isidentifier() else "lineage_history_driver.Builder()"
    chain = f"{start}.with_modules({module.name})"
    if config and config.isidentifier():
        chain += f".with_config({config})"
    return [_MAGIC_DRIVER, f"import {module.name}", f"{chain}.build()"]


def _cell_lines(cell: Any) -> list[str] | None:
    """A code cell's lines without magics, or None for a cell Python cannot run as is."""
    text = _code(cell)
    if text is None:
        return None
    magic = _magic(text)
    if magic is not None:  # a cell magic (`%%bash`...) is not Python
        return _magic_driver(magic[1]) if magic[0] == "cell_to_module" else None
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        names = [n.strip().lstrip("-") for n in stripped.removeprefix("%aimport").split(",")]
        if stripped.startswith("%aimport ") and all(n.isidentifier() for n in names):
            lines.append(f"{indent}import {', '.join(names)}")  # autoreload's `%aimport a, b`
        elif stripped.startswith(("%", "!")):
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
    kept: list[str] = []
    origins: list[tuple[int, int]] = []
    for number, cell in enumerate(_cells(data), start=1):
        lines = _cell_lines(cell)
        if lines is not None and _parses(lines):
            kept.extend([*lines, ""])
            generated = _magic(_code(cell) or "") is not None  # a magic's driver: its line 1
            origins.extend((number, 1 if generated else n) for n in range(1, len(lines) + 2))
    return "\n".join(kept), origins


# A module file a notebook cell writes, as a build reads it: `cell:<notebook blob>:<cell>`.
CELL_FILE = "cell:"


def cell_file_id(notebook_blob: str, cell: int) -> str:
    return f"{CELL_FILE}{notebook_blob}:{cell}"


def read_file_id(read_blob: Callable[[str], bytes], file_id: str) -> bytes:
    """The content of a file by id: a git blob, or the module text of a notebook cell."""
    if not file_id.startswith(CELL_FILE):
        return read_blob(file_id)
    notebook_blob, _, cell = file_id.removeprefix(CELL_FILE).rpartition(":")
    for module in cell_modules(read_blob(notebook_blob)).values():
        if module.cell == int(cell):
            return module.text.encode("utf-8")
    return b""
