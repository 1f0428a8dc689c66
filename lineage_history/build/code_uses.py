"""What a piece of code reads: the module-level names it uses, and for each name read only as
`Name.attr`, `Name["key"]` or `Name.get("key")` (a constant attribute or key), which ones, so
that a code fingerprint can take one class attribute or one dict entry instead of the whole
class or container. Also the module-level bindings of a file (definitions, assignments,
imports), a class's members, and the top-level packages a module imports (a line scan,
for preloading). Pure AST; no Hamilton."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

_FunctionDef = ast.FunctionDef | ast.AsyncFunctionDef
_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_Assignment = ast.Assign | ast.AnnAssign | ast.AugAssign

# ("attr", "X") for `Name.X`, ("key", "a") for `Name["a"]` / `Name.get("a")`.
Access = tuple[str, object]


@dataclass(frozen=True)
class Import:
    module: str
    level: int
    attr: str | None  # None: the name is bound to the module itself


@dataclass
class ModuleIndex:
    """Module-level definitions of one source file, by the name they bind."""

    tree: ast.Module
    definitions: dict[str, list[ast.stmt]] = field(default_factory=dict)
    assignments: dict[str, ast.stmt] = field(default_factory=dict)
    imports: dict[str, Import] = field(default_factory=dict)
    star_imports: list[Import] = field(default_factory=list)


def bind_imports(stmt: ast.Import | ast.ImportFrom, into: dict[str, Import]) -> list[Import]:
    """Record what an import statement binds; returns its star imports."""
    stars = []
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                into[alias.asname] = Import(alias.name, 0, None)
            else:
                top = alias.name.split(".")[0]
                into[top] = Import(top, 0, None)
        return stars
    for alias in stmt.names:
        target = Import(stmt.module or "", stmt.level, alias.name)
        if alias.name == "*":
            stars.append(target)
        else:
            into[alias.asname or alias.name] = target
    return stars


def flatten(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements of a body, looking into `if`/`try` blocks (guarded imports)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If | ast.Try):
            nested = [*stmt.body, *stmt.orelse]
            if isinstance(stmt, ast.Try):
                nested += [s for handler in stmt.handlers for s in handler.body]
                nested += stmt.finalbody
            out.extend(flatten(nested))
        else:
            out.append(stmt)
    return out


def index_module(source: str) -> ModuleIndex:
    index = ModuleIndex(ast.parse(source))
    for stmt in flatten(index.tree.body):
        if isinstance(stmt, _Definition):
            index.definitions.setdefault(stmt.name, []).append(stmt)
        elif isinstance(stmt, _Assignment):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        index.assignments[node.id] = stmt
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            index.star_imports.extend(bind_imports(stmt, index.imports))
    return index


def bound_locally(node: ast.AST) -> set[str]:
    """Names a definition binds itself: parameters, assignments, nested definitions."""
    bound: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.arg):
            bound.add(inner.arg)
        elif isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Load):
            bound.add(inner.id)
        elif (isinstance(inner, _Definition) and inner is not node) or (
            isinstance(inner, ast.ExceptHandler) and inner.name
        ):
            bound.add(inner.name)  # type: ignore[union-attr, arg-type]
        elif isinstance(inner, ast.Import | ast.ImportFrom) and not isinstance(node, ast.Module):
            for alias in inner.names:
                bound.add((alias.asname or alias.name).split(".")[0])
    return bound


@dataclass(frozen=True)
class Uses:
    """The module-level names a piece of code reads, the attributes it reads on them, and the
    names it reads only by constant attribute or key (with those accesses)."""

    names: frozenset[str]
    attributes: frozenset[tuple[str, str]]
    local_imports: tuple[tuple[str, Import], ...] = ()
    narrow: tuple[tuple[str, frozenset[Access]], ...] = ()

    def accesses(self, name: str) -> frozenset[Access] | None:
        """How `name` is read, when every read is a constant attribute or key."""
        return dict(self.narrow).get(name)

    def without(self, names: set[str]) -> Uses:
        return Uses(
            self.names - names,
            frozenset(a for a in self.attributes if a[0] not in names),
            self.local_imports,
            tuple((n, a) for n, a in self.narrow if n not in names),
        )


def uses_of(node: ast.AST) -> Uses:
    local = bound_locally(node) if isinstance(node, _Definition) else set()
    local_imports: dict[str, Import] = {}
    if isinstance(node, _Definition):
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                bind_imports(inner, local_imports)
    names = {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local
    }
    attributes = {
        (n.value.id, n.attr)
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in names
    }
    narrow = narrow_reads(node, names - set(local_imports))
    names |= set(local_imports)
    return Uses(
        frozenset(names),
        frozenset(attributes),
        tuple(sorted(local_imports.items())),
        tuple(sorted(narrow.items(), key=lambda item: item[0])),
    )


def narrow_reads(node: ast.AST, names: set[str]) -> dict[str, frozenset[Access]]:
    """For each of `names` that `node` reads only by constant attribute or key: those reads."""
    parents: dict[int, ast.AST] = {}
    for parent in ast.walk(node):
        for child in ast.iter_child_nodes(parent):
            parents[id(child)] = parent
    reads: dict[str, set[Access]] = {}
    wide: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and inner.id in names:
            access = _access(inner, parents)
            if access is None:
                wide.add(inner.id)
            else:
                reads.setdefault(inner.id, set()).add(access)
    return {name: frozenset(found) for name, found in reads.items() if name not in wide}


def _access(name: ast.Name, parents: dict[int, ast.AST]) -> Access | None:
    parent = parents.get(id(name))
    if not isinstance(name.ctx, ast.Load):
        return None
    if isinstance(parent, ast.Attribute) and isinstance(parent.ctx, ast.Load):
        call = parents.get(id(parent))
        if (
            parent.attr == "get"
            and isinstance(call, ast.Call)
            and call.func is parent
            and 1 <= len(call.args) <= 2
            and not call.keywords
            and isinstance(call.args[0], ast.Constant)
        ):
            return ("key", call.args[0].value)
        return ("attr", parent.attr)
    if (
        isinstance(parent, ast.Subscript)
        and parent.value is name
        and isinstance(parent.ctx, ast.Load)
        and isinstance(parent.slice, ast.Constant)
    ):
        return ("key", parent.slice.value)
    return None


def class_members(cls: ast.ClassDef) -> dict[str, ast.stmt] | None:
    """The statements binding each class attribute; None when members cannot be told apart
    (an Enum's `auto()` values depend on their siblings)."""
    members: dict[str, ast.stmt] = {}
    for stmt in flatten(cls.body):
        if isinstance(stmt, _Definition):
            members[stmt.name] = stmt
        elif isinstance(stmt, _Assignment):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        members[node.id] = stmt
            value = stmt.value
            if value is not None and any(
                isinstance(n, ast.Call)
                and getattr(n.func, "id", getattr(n.func, "attr", "")) == "auto"
                for n in ast.walk(value)
            ):
                return None
    return members


def container_entries(stmt: ast.stmt, keys: set[object]) -> dict[object, ast.expr] | None:
    """The values of `keys` in a module-level `NAME = {literal keys}` dict or `NAME = [...]`
    list/tuple display; None when the statement is not one or a key is missing."""
    value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
    if isinstance(stmt, ast.Assign) and not (
        len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
    ):
        return None
    if isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) for k in value.keys):
        displayed = {k.value: v for k, v in zip(value.keys, value.values, strict=True)}  # type: ignore[union-attr]
    elif isinstance(value, ast.List | ast.Tuple) and not any(
        isinstance(e, ast.Starred) for e in value.elts
    ):
        displayed = dict(enumerate(value.elts))
        displayed.update({i - len(value.elts): e for i, e in enumerate(value.elts)})
    else:
        return None
    if not keys <= set(displayed):
        return None
    return {key: displayed[key] for key in keys}


def sibling_reads(
    cls: ast.ClassDef, stmt: ast.stmt, members: dict[str, ast.stmt]
) -> set[str] | None:
    """The other attributes of `cls` that the member `stmt` reads: bare names in the class
    body; `self.X`/`cls.X`/`Class.X` in a method (None when a method uses its instance or
    class otherwise, or reads an attribute that is not a class member)."""
    if not isinstance(stmt, _FunctionDef):
        loaded = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        return (loaded & set(members)) - _bound_names(stmt)
    holders = {cls.name}
    arguments = [*stmt.args.posonlyargs, *stmt.args.args]
    is_static = any(getattr(d, "id", "") == "staticmethod" for d in stmt.decorator_list)
    if arguments and not is_static:
        holders.add(arguments[0].arg)
    reads = narrow_reads(stmt, holders)
    used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id in holders}
    if used - set(reads):
        return None
    attrs = {str(key) for found in reads.values() for kind, key in found if kind == "attr"}
    if any(kind != "attr" for found in reads.values() for kind, _ in found) or not attrs <= set(
        members
    ):
        return None
    return attrs


def _bound_names(stmt: ast.stmt) -> set[str]:
    return {
        n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }


_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)[\w.]*[ \t]+import\b|import[ \t]+([^#\n;]+))", re.M
)


def imported_top_level_names(source: str) -> set[str]:
    """Top-level package names a module imports absolutely (for preloading).

    A line scan, not a parse (a parse costs ~10 ms a file on the indexer's main thread):
    preloading is only a hint, so a cheap superset is fine.
    """
    names: set[str] = set()
    for match in _IMPORT_LINE.finditer(source):
        if match.group(1):
            names.add(match.group(1))
            continue
        for part in match.group(2).split(","):
            words = part.split()
            if words and words[0].split(".")[0].isidentifier():
                names.add(words[0].split(".")[0])
    return names
