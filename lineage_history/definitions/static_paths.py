"""Pure: the config files a driver script loads (`json.load(open("config.json"))`,
`yaml.safe_load(Path(__file__).parent / "config.yaml")`...), their paths read with `ast`."""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass
from typing import Any, Protocol


class Resolver(Protocol):
    """What names mean in the script's scope (`static_names.Resolver`)."""

    scope: Any  # has `lookup(name, line)`

    def qualname(self, expr: ast.expr, depth: int = 0) -> Any: ...


_DEPTH = 32  # nesting of path expressions and names followed

# loader function -> the format of the file it reads
LOADERS = {
    "json.load": "json",
    "json.loads": "json",
    "yaml.load": "yaml",
    "yaml.safe_load": "yaml",
    "yaml.full_load": "yaml",
    "yaml.unsafe_load": "yaml",
    "tomllib.load": "toml",
    "tomllib.loads": "toml",
    "tomli.load": "toml",
    "tomli.loads": "toml",
    "toml.load": "toml",
    "toml.loads": "toml",
}
_PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
_SAME_PATH = frozenset({"os.path.abspath", "os.path.realpath", "os.path.normpath"})
_SAME_PATH_METHODS = frozenset({"resolve", "absolute", "expanduser"})
_READ_METHODS = frozenset({"read", "read_text", "read_bytes", "open"})
_OPEN = frozenset({"io.open", "builtins.open", "codecs.open"})
_FILE, _SCRIPT, _CWD = "file", "script", "cwd"


@dataclass(frozen=True)
class ConfigFile:
    """A config file a driver loads: its path as written (joined), what it is relative to
    (`script`: the script's folder, by `__file__`; `cwd`: the current directory) and its
    format (json, yaml or toml)."""

    path: str
    anchor: str
    format: str

    def to_json(self) -> list[str]:
        return [self.path, self.anchor, self.format]


Place = tuple[str, str]  # (anchor, path relative to it)


class ConfigFiles:
    """Reads the file a loader call loads, through the names of one scope."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def loaded(self, call: ast.Call, depth: int) -> ConfigFile | None:
        """`json.load(open(path))` and the like: the file, when its path is static."""
        loader = self.resolver.qualname(call.func)
        if loader is None or loader.level or loader.dotted not in LOADERS or not call.args:
            return None
        place = self._file_of(call.args[0], depth + 1)
        if place is None or place[0] == _FILE:
            return None
        return ConfigFile(place[1], place[0], LOADERS[loader.dotted])

    def _bound(self, expr: ast.Name) -> ast.expr | None:
        bound = self.resolver.scope.lookup(expr.id, expr.lineno)
        return bound if isinstance(bound, ast.expr) else None

    def _file_of(self, expr: ast.expr, depth: int) -> Place | None:
        """The file a loader's argument reads: an open file, its text, or a path."""
        if depth > _DEPTH:
            return None
        if isinstance(expr, ast.Name):
            bound = self._bound(expr)
            if bound is None:
                return None
            return self._file_of(bound, depth + 1)
        if isinstance(expr, ast.Call) and expr.args and self._is_open(expr.func):
            return self.path_of(expr.args[0], depth + 1)
        method = expr.func if isinstance(expr, ast.Call) else None
        if isinstance(method, ast.Attribute) and method.attr in _READ_METHODS:
            return self._file_of(method.value, depth + 1)
        return self.path_of(expr, depth + 1)

    def _is_open(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name) and func.id == "open":
            return self.resolver.scope.lookup("open", func.lineno) is None
        name = self.resolver.qualname(func)
        return name is not None and not name.level and name.dotted in _OPEN

    def path_of(self, expr: ast.expr, depth: int) -> Place | None:
        """A path expression made of literals, `__file__`, `os.path` and `pathlib`."""
        if depth > _DEPTH:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return _relative(_CWD, expr.value)
        if isinstance(expr, ast.Name):
            if expr.id == "__file__" and self.resolver.scope.lookup(expr.id, expr.lineno) is None:
                return (_FILE, "")
            bound = self._bound(expr)
            return None if bound is None else self.path_of(bound, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            return _joined(self.path_of(expr.left, depth + 1), [self.text_of(expr.right, depth)])
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):  # "config" + ".json"
            left, right = self.path_of(expr.left, depth + 1), self.text_of(expr.right, depth)
            if left is None or left[0] == _FILE or right is None or "/" in right:
                return None
            return (left[0], left[1] + right)
        if isinstance(expr, ast.Attribute) and expr.attr == "parent":
            return _parent(self.path_of(expr.value, depth + 1))
        if isinstance(expr, ast.Call):
            return self._path_call(expr, depth)
        return None

    def text_of(self, expr: ast.expr, depth: int) -> str | None:
        """A string made of literals: `"config"`, `name + ".json"`, a name bound to one."""
        if depth > _DEPTH:
            return None
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.Name):
            bound = self._bound(expr)
            return None if bound is None else self.text_of(bound, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = self.text_of(expr.left, depth + 1), self.text_of(expr.right, depth + 1)
            return None if left is None or right is None else left + right
        return None

    def _path_call(self, call: ast.Call, depth: int) -> Place | None:
        function = call.func
        if isinstance(function, ast.Attribute):
            method = function.attr
            if method in _SAME_PATH_METHODS and not call.args:
                return self.path_of(function.value, depth + 1)
            if method == "joinpath":
                texts = [self.text_of(part, depth) for part in call.args]
                return _joined(self.path_of(function.value, depth + 1), texts)
        name = self.resolver.qualname(function)
        if name is None or name.level or call.keywords:
            return None
        if name.dotted in ("pathlib.Path.cwd", "os.getcwd") and not call.args:
            return (_CWD, "")
        if not call.args:
            return None
        first = self.path_of(call.args[0], depth + 1)
        if name.dotted in _PATH_TYPES or name.dotted == "os.path.join":
            return _joined(first, [self.text_of(part, depth) for part in call.args[1:]])
        if name.dotted == "os.path.dirname" and len(call.args) == 1:
            return _parent(first)
        if name.dotted in _SAME_PATH and len(call.args) == 1:
            return first
        return None


def _relative(anchor: str, path: str) -> Place | None:
    if path.startswith("/"):
        return None  # an absolute path is not the repository's
    return (anchor, path)


def _joined(base: Place | None, parts: list[str | None]) -> Place | None:
    if base is None or (base[0] == _FILE and parts):
        return None
    anchor, path = base
    for part in parts:
        if part is None or part.startswith("/"):
            return None
        path = posixpath.join(path, part) if path else part
    return (anchor, path)


def _parent(place: Place | None) -> Place | None:
    if place is None:
        return None
    anchor, path = place
    if anchor == _FILE:
        return (_SCRIPT, "")
    return (anchor, posixpath.normpath(posixpath.join(path or ".", "..")))
