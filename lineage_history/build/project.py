"""The commit's own project declarations, read from git objects while planning: its
distribution's name and version and the Python versions it requires, from `pyproject.toml`
(`[project]`, else `[tool.poetry]`), `setup.cfg` (`[metadata]`, `[options]`) or the literal
arguments of `setup(...)` in `setup.py`.

The build child writes that distribution's metadata where `importlib.metadata` looks first,
so a package reading its own version (`importlib.metadata.version("naturf")`) sees the
commit's, never an installed copy's; a version the files do not state (`dynamic =
["version"]`, setuptools-scm) is `0+unknown`.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lineage_history.repo.tree import Tree

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

UNKNOWN_VERSION = "0+unknown"
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


@dataclass(frozen=True)
class ProjectMetadata:
    """What one directory's project files declare (`name` None when none names it)."""

    directory: str  # from the repository root, "" for the root
    name: str | None
    version: str
    requires_python: str | None  # a PEP 440 specifier set, as declared
    requires_python_in: str | None  # the file that declares it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProjectMetadata:
        return cls(**data)


def project_directories(search: Sequence[str]) -> list[str]:
    """Where a project file of the build's packages may be: each import root and its parent
    (`src/` layouts keep `pyproject.toml` one level up)."""
    directories: list[str] = []
    for entry in search:
        for directory in (entry, posixpath.dirname(entry) if entry else None):
            if directory is not None and directory not in directories:
                directories.append(directory)
    return directories


def read_projects(tree: Tree, search: Sequence[str]) -> tuple[ProjectMetadata, ...]:
    """The projects declared next to the build's import roots, nearest root first."""
    found = (read_project(tree, directory) for directory in project_directories(search))
    return tuple(project for project in found if project is not None)


_PARSED: dict[tuple[str, str], dict[str, str | None]] = {}  # (file name, blob id) -> fields


def _declared(tree: Tree, path: str) -> dict[str, str | None] | None:
    """What one project file declares (parsed once per blob), None when it is absent."""
    blob_id = tree.blob(path)
    if blob_id is None:
        return None
    file = posixpath.basename(path)
    fields = _PARSED.get((file, blob_id))
    if fields is None:
        text = tree.read(blob_id).decode("utf-8", "replace")
        fields = _PARSED[(file, blob_id)] = _PARSERS[file](text)
    return fields


def read_project(tree: Tree, directory: str) -> ProjectMetadata | None:
    """The project one directory's files declare, or None when it has no project file."""
    fields: dict[str, str | None] = {}
    requires_in: str | None = None
    present = False
    for file in PROJECT_FILES:
        path = posixpath.join(directory, file) if directory else file
        declared = _declared(tree, path)
        if declared is None:
            continue
        present = True
        for key, value in declared.items():
            if value is not None and fields.get(key) is None:
                fields[key] = value
                if key == "requires_python":
                    requires_in = path
    if not present:
        return None
    return ProjectMetadata(
        directory=directory,
        name=fields.get("name"),
        version=fields.get("version") or UNKNOWN_VERSION,
        requires_python=fields.get("requires_python"),
        requires_python_in=requires_in,
    )


_READS_METADATA = re.compile(
    rb"importlib[._]metadata|from\s+importlib\s+import\s+[^\n]*\bmetadata\b|pkg_resources"
)


def reads_metadata(source: bytes) -> bool:
    """Whether Python source may read distribution metadata (its own version, say)."""
    return _READS_METADATA.search(source) is not None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _from_pyproject(text: str) -> dict[str, str | None]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return {}
    project, tool = _table(data, "project"), _table(data, "tool")
    poetry = _table(tool, "poetry")
    if _text(project.get("name")):
        dynamic = project.get("dynamic") or ()
        version = None if "version" in dynamic else _text(project.get("version"))
        fields = {"name": _text(project.get("name")), "version": version or UNKNOWN_VERSION}
    else:
        fields = {"name": _text(poetry.get("name")), "version": _text(poetry.get("version"))}
    fields["requires_python"] = _text(project.get("requires-python")) or poetry_python(
        _table(poetry, "dependencies").get("python")
    )
    return fields


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def poetry_python(constraint: Any) -> str | None:
    """A Poetry `python = "^3.12"` constraint as a PEP 440 specifier set, or None."""
    text = _text(constraint)
    if text is None or "||" in text or "|" in text:
        return None
    parts = []
    for raw in text.split(","):
        part = raw.strip().replace(" ", "")
        match = re.fullmatch(r"([\^~])(\d+)(?:\.(\d+))?(?:\.\d+)?", part)
        if match:
            major, minor = int(match.group(2)), int(match.group(3) or 0)
            upper = f"{major + 1}.0" if match.group(1) == "^" else f"{major}.{minor + 1}"
            parts += [f">={major}.{minor}", f"<{upper}"]
        elif part and part != "*":
            operator = re.match(r"[<>=!~]*", part).group(0)  # type: ignore[union-attr]
            if not operator:
                parts.append(f"=={part}")  # a bare version: `3.11.*`
            else:
                parts.append(part if operator in ("==", "!=") else part.removesuffix(".*"))
    return ",".join(parts) or None


def _from_setup_cfg(text: str) -> dict[str, str | None]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    version = _text(parser.get("metadata", "version", fallback=None))
    if version is not None and version.startswith(("attr:", "file:")):
        version = UNKNOWN_VERSION
    return {
        "name": _text(parser.get("metadata", "name", fallback=None)),
        "version": version,
        "requires_python": _text(parser.get("options", "python_requires", fallback=None)),
    }


def _from_setup_py(text: str) -> dict[str, str | None]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    for node in ast.walk(tree):
        function = getattr(node, "func", None)
        name = getattr(function, "id", None) or getattr(function, "attr", None)
        if isinstance(node, ast.Call) and name == "setup":
            literals = {
                keyword.arg: keyword.value.value
                for keyword in node.keywords
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str)
            }
            return {
                "name": _text(literals.get("name")),
                "version": _text(literals.get("version")),
                "requires_python": _text(literals.get("python_requires")),
            }
    return {}


_PARSERS: dict[str, Callable[[str], dict[str, str | None]]] = {
    "pyproject.toml": _from_pyproject,
    "setup.cfg": _from_setup_cfg,
    "setup.py": _from_setup_py,
}


def write_distributions(
    directory: Path, projects: Iterable[ProjectMetadata], top_level: Sequence[str]
) -> None:
    """`<name>-<version>.dist-info` for each named project, in `directory` (which the build
    child puts first on `sys.path`, ahead of every installed copy)."""
    for project in projects:
        if project.name is None:
            continue
        normalized = re.sub(r"[-_.]+", "_", project.name).lower()
        version = re.sub(r"[^\w.+!]", "_", project.version)
        info = directory / f"{normalized}-{version}.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        lines = ["Metadata-Version: 2.1", f"Name: {project.name}", f"Version: {project.version}"]
        if project.requires_python:
            lines.append(f"Requires-Python: {project.requires_python}")
        (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (info / "top_level.txt").write_text("".join(f"{n}\n" for n in top_level), "utf-8")
        (info / "INSTALLER").write_text("lineage-history\n", encoding="utf-8")
