"""Which part of a node-generating decorator a generated node is made from. Pure AST; no Hamilton.

One function can give many nodes (`@parameterize`, `@extract_fields`, `@pipe_input`, `@subdag`,
...). A generated node's fingerprint is the function with each such decorator narrowed to the
entry that produced that node (`narrow`), so that editing one entry changes only its node. The
rule, per decorator (by the name it is called by):

- `parameterize`, `parameterize_sources`, `parameterize_values`: the entry whose key is the
  node's name. `**NAME` becomes `NAME["node"]` (resolved, or not, by the code that follows
  names); a dict comprehension whose key uses every loop variable keeps its template and loses
  its iterable (the node's name then decides the entry).
- `parameterize_extract_columns`: the `ParameterizedExtract` whose outputs hold the node (or
  that made the intermediate `fn__i` node).
- `extract_columns`: no column list (a column changes with the function, not with its
  siblings); `extract_fields`: the node's own field entry, none for the function's own node.
- `pipe_input`, `pipe`, `pipe_output`, `flow`: the step the node is named after; the function's
  own nodes keep no step.
- `load_from.X(inject_="p")`: the node `fn.load_data.p` only (`fn.select_data.p` keeps the
  loader kind, other nodes nothing);
  `save_to.X(output_name_="name")`: the saver node `name` only.
- `subdag`: the node's own `inputs`/`config` entry; nodes of the inner functions keep only the
  shared arguments (modules, namespace, external inputs) and not the outer body.
  `parameterized_subdag`: the same, as a `subdag` namespaced by the node's parameterization
  whose `inputs`/`config` are the shared ones updated by that parameterization's own.

When the entry cannot be told statically the whole decorator stays (an over-report, never a
missed change)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

_PARAMETERIZE = frozenset({"parameterize", "parameterize_sources"})
_PIPES = frozenset({"pipe_input", "pipe", "pipe_output", "flow"})
_SUBDAG_OPTIONS = ("inputs", "config", "external_inputs")
_ADAPTERS = frozenset({"load_from", "save_to"})


@dataclass(frozen=True)
class Narrowed:
    """A node's view of a function's decorators: the decorators to compare and whether the
    function's body is part of the node."""

    decorators: list[ast.expr]
    keeps_body: bool = True


def _chain_name(decorator: ast.expr) -> str:
    """The decorator's name: `fm.parameterize(...)` -> "parameterize"; the adapter families
    by their family: `load_from.csv(...)` -> "load_from"."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        owner = target.value
        family = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return family if family in _ADAPTERS else target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _literal(node: ast.expr | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


# The node's own name, left out of its entry so that a renamed entry is still recognisable.
ANONYMOUS = ast.Constant("_")


def _entry(value: ast.expr) -> ast.keyword:
    return ast.keyword(arg="_", value=value)


def _anonymous_key(key: ast.expr) -> ast.expr:
    """`("name", "doc")` -> `("_", "doc")`; `"name"` -> `"_"`."""
    if isinstance(key, ast.Tuple) and key.elts:
        return ast.Tuple(elts=[ANONYMOUS, *key.elts[1:]], ctx=ast.Load())
    return ANONYMOUS


def _call(base: ast.Call, args: list[ast.expr], keywords: list[ast.keyword]) -> ast.Call:
    return ast.Call(func=base.func, args=args, keywords=keywords)


def narrow(decorators: list[ast.expr], function: str, node: str) -> Narrowed:
    """The decorators of `function` as the generated node `node` sees them."""
    out: list[ast.expr] = []
    keeps_body = True
    for decorator in decorators:
        kind = _chain_name(decorator)
        narrower = _NARROWERS.get(kind)
        if narrower is None or not isinstance(decorator, ast.Call):
            out.append(decorator)
            continue
        narrowed = narrower(decorator, function, node)
        if narrowed is None:
            out.append(decorator)
            continue
        expression, body = narrowed
        if expression is not None:
            out.append(expression)
        keeps_body = keeps_body and body
    return Narrowed(out, keeps_body)


# The narrowed decorator (None: not part of this node) and whether the body is; None: the
# entry cannot be told (the whole decorator stays).
_Result = tuple[ast.expr | None, bool] | None


def _keyword_entries(call: ast.Call, node: str, skip: tuple[str, ...] = ()) -> _Result:
    """`name=entry` keywords and `**{...}` / `**NAME` expansions: keep the node's entry."""
    shared = [k for k in call.keywords if k.arg in skip]
    for keyword in call.keywords:
        if keyword.arg == node:
            return _call(call, call.args, [*shared, _entry(keyword.value)]), True
    expansions = [k.value for k in call.keywords if k.arg is None]
    for expanded in expansions:
        if isinstance(expanded, ast.Dict):
            entry = _displayed_entry(expanded, node)
            if entry is not None:
                return _call(call, call.args, [*shared, _entry(entry)]), True
    opaque = [e for e in expansions if not isinstance(e, ast.Dict)]
    if len(opaque) == 1:
        entry = _expanded_entry(opaque[0], node)
        if entry is not None:
            return _call(call, call.args, [*shared, _entry(entry)]), True
    return None


def _displayed_entry(display: ast.Dict, node: str) -> ast.expr | None:
    for key, value in zip(display.keys, display.values, strict=True):
        if key is not None and _literal(key) == node:
            return value
    return None


def _expanded_entry(expanded: ast.expr, node: str) -> ast.expr | None:
    if isinstance(expanded, ast.Name):
        return ast.Subscript(value=expanded, slice=ast.Constant(node), ctx=ast.Load())
    if isinstance(expanded, ast.DictComp) and len(expanded.generators) == 1:
        generator = expanded.generators[0]
        loop_names = {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
        key_names = {n.id for n in ast.walk(expanded.key) if isinstance(n, ast.Name)}
        if loop_names and loop_names <= key_names and not generator.is_async:
            template = ast.comprehension(
                target=generator.target, iter=ast.Constant(None), ifs=generator.ifs, is_async=0
            )
            return ast.DictComp(key=expanded.key, value=expanded.value, generators=[template])
    return None


def _parameterize(call: ast.Call, function: str, node: str) -> _Result:
    return _keyword_entries(call, node)


def _parameterize_values(call: ast.Call, function: str, node: str) -> _Result:
    outputs = next((k for k in call.keywords if k.arg == "assigned_output"), None)
    if outputs is None or not isinstance(outputs.value, ast.Dict):
        return None
    for key, value in zip(outputs.value.keys, outputs.value.values, strict=True):
        name = _literal(key.elts[0]) if isinstance(key, ast.Tuple) and key.elts else _literal(key)
        if name == node and key is not None:
            anonymous = _anonymous_key(key)
            entry = ast.keyword(
                arg="assigned_output", value=ast.Dict(keys=[anonymous], values=[value])
            )
            shared = [k for k in call.keywords if k is not outputs]
            return _call(call, call.args, [*shared, entry]), True
    return None


def _parameterize_extract_columns(call: ast.Call, function: str, node: str) -> _Result:
    for position, extract in enumerate(call.args):
        if not isinstance(extract, ast.Call):
            return None
        outputs = extract.args[0] if extract.args else None
        for keyword in extract.keywords:
            if keyword.arg == "outputs":
                outputs = keyword.value
        names = outputs.elts if isinstance(outputs, ast.Tuple | ast.List) else [outputs]
        if node == f"{function}__{position}" or any(_literal(n) == node for n in names):
            return _call(call, [extract], call.keywords), True
    return None


def _extract_columns(call: ast.Call, function: str, node: str) -> _Result:
    return _call(call, [], call.keywords), True


def _extract_fields(call: ast.Call, function: str, node: str) -> _Result:
    fields = call.args[0] if call.args else None
    options = [k for k in call.keywords if k.arg == "fill_with"]
    if node == function:
        return _call(call, [], options), True
    if (
        isinstance(fields, ast.Call)
        and getattr(fields.func, "id", "") == "dict"
        and not fields.args
        and all(k.arg for k in fields.keywords)
    ):
        fields = ast.Dict(
            keys=[ast.Constant(k.arg) for k in fields.keywords],
            values=[k.value for k in fields.keywords],
        )
    if isinstance(fields, ast.Dict):
        for key, value in zip(fields.keys, fields.values, strict=True):
            if key is not None and _literal(key) == node:
                return _call(call, [ast.Dict(keys=[ANONYMOUS], values=[value])], options), True
        return None
    found = _keyword_entries(call, node, skip=("fill_with",))
    return found if not call.args else None


def _step_name(step: ast.expr) -> str | None:
    """`step(fn, ...)` optionally followed by `.named("x")`/`.when(...)`: the step's node name
    without its repeat postfix (`with_fn`, or the name given)."""
    given: str | None = None
    while isinstance(step, ast.Call) and isinstance(step.func, ast.Attribute):
        if step.func.attr == "named":
            named = _literal(step.args[0]) if step.args else None
            given = named if isinstance(named, str) else given
        step = step.func.value
    if not (isinstance(step, ast.Call) and _chain_name(step) == "step" and step.args):
        return None
    target = step.args[0]
    fn = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    if fn is None:
        return None
    return given or ("with" + ("" if fn.startswith("_") else "_") + fn)


def _pipe(call: ast.Call, function: str, node: str) -> _Result:
    names = [_step_name(step) for step in call.args]
    if None in names:
        return None
    counts: dict[str, int] = {}
    step_names = []
    for name in names:
        seen = counts.get(name or "", 0)
        counts[name or ""] = seen + 1
        step_names.append(name if seen == 0 else f"{name}_{seen}")
    own = node.rsplit(".", 1)[-1]
    matches = [step for step, name in zip(call.args, step_names, strict=True) if name == own]
    if len(matches) == 1 and node != function:
        return _call(call, matches, call.keywords), True
    return _call(call, [], call.keywords), True


def _dict_keys(value: ast.expr | None) -> list[object] | None:
    if value is None:
        return []
    if isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) for k in value.keys):
        return [_literal(k) for k in value.keys]
    return None


def _subdag(call: ast.Call, function: str, node: str) -> _Result:
    options = {k.arg: k for k in call.keywords}
    namespace = _literal(options["namespace"].value) if "namespace" in options else function
    final = _literal(options["final_node_name"].value) if "final_node_name" in options else None
    if not isinstance(namespace, str):
        return None
    shared = [k for k in call.keywords if k.arg not in ("inputs", "config")]
    if node == (final or function):
        return _call(call, call.args, shared), True
    if not node.startswith(namespace + "."):
        return None
    inner = node[len(namespace) + 1 :]
    for option in ("inputs", "config"):
        given = options.get(option)
        keys = _dict_keys(given.value if given else None)
        if keys is None:
            return None
        if given is not None and inner in keys:
            entry = given.value.values[keys.index(inner)]  # type: ignore[attr-defined]
            one = ast.keyword(arg=option, value=ast.Dict(keys=[ANONYMOUS], values=[entry]))
            return _call(call, call.args, [*shared, one]), False
    return _call(call, call.args, shared), False


def _parameterized_subdag(call: ast.Call, function: str, node: str) -> _Result:
    """As a `subdag` namespaced by the parameterization, its `inputs` and `config` the shared
    ones updated by its own."""
    key = node.split(".", 1)[0]
    own = next((k.value for k in call.keywords if k.arg == key), None)
    if not isinstance(own, ast.Dict) or _dict_keys(own) is None:
        found = _keyword_entries(call, key, skip=_SUBDAG_OPTIONS)
        return None if found is None else (found[0], "." not in node)
    merged: list[ast.keyword] = [ast.keyword(arg="namespace", value=ast.Constant(key))]
    for option in _SUBDAG_OPTIONS:
        shared = next((k.value for k in call.keywords if k.arg == option), None)
        mine = dict(zip(_dict_keys(own) or [], own.values, strict=True)).get(option)
        displays = [d for d in (shared, mine) if d is not None]
        if option == "external_inputs" or not displays:
            merged += [ast.keyword(arg=option, value=ast.List(elts=displays, ctx=ast.Load()))]
            continue
        if any(_dict_keys(d) is None for d in displays):
            return None
        entries = {
            k: v for d in displays for k, v in zip(_dict_keys(d) or [], d.values, strict=True)
        }  # type: ignore[attr-defined]
        value = ast.Dict(keys=[ast.Constant(k) for k in entries], values=list(entries.values()))
        merged.append(ast.keyword(arg=option, value=value))
    synthetic = ast.Call(func=call.func, args=call.args, keywords=merged)
    return _subdag(synthetic, key, node)


def _keyword_literal(call: ast.Call, name: str) -> object:
    return next((_literal(k.value) for k in call.keywords if k.arg == name), None)


def _load_from(call: ast.Call, function: str, node: str) -> _Result:
    """`@load_from.X(..., inject_="p")` makes `fn.load_data.p` (from the whole decorator) and
    `fn.select_data.p` (from the loader kind alone); other nodes are not made from it."""
    injected = _keyword_literal(call, "inject_")
    for stage in ("load_data", "select_data"):
        prefix = f"{function}.{stage}."
        if node.startswith(prefix):
            if injected is None:
                return None
            if node[len(prefix) :] != injected:
                return None, True
            inject = [k for k in call.keywords if k.arg == "inject_"]
            return (call if stage == "load_data" else _call(call, [], inject)), True
    return None, True


def _save_to(call: ast.Call, function: str, node: str) -> _Result:
    """`@save_to.X(..., output_name_="name")` makes the node `name`."""
    output = _keyword_literal(call, "output_name_")
    if output is None:
        return None
    return (call if node == output else None), True


_NARROWERS = {
    **dict.fromkeys(_PARAMETERIZE, _parameterize),
    "parameterize_values": _parameterize_values,
    "parameterize_extract_columns": _parameterize_extract_columns,
    "extract_columns": _extract_columns,
    "extract_fields": _extract_fields,
    **dict.fromkeys(_PIPES, _pipe),
    "subdag": _subdag,
    "parameterized_subdag": _parameterized_subdag,
    "load_from": _load_from,
    "save_to": _save_to,
}
