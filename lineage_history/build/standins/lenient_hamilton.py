"""Hamilton made lenient for stand-ins only, so a graph with stubbed types still forms, and
forms as the real build would: the same validator and loader nodes, names, edges and tags.

Each patch first asks Hamilton's own function and only decides differently when Hamilton
refused and a stand-in is involved. Runs only inside the forked build child.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from lineage_history.build.standins.column_types import column_stand_in
from lineage_history.build.standins.objects import StandInMeta, is_stand_in


class StandInRecord(Protocol):
    """What the patches need of a build's stand-ins (`hooks.StandIns`)."""

    def record(self, name: str) -> None: ...

    def called_from_tree(self, depth: int) -> bool: ...


def install(stand_ins: StandInRecord) -> None:
    """Patch the few places where Hamilton refuses a stand-in; the stand-in data adapters
    they make are recorded in `stand_ins`. Once per build child (by `install_stand_ins`):
    Hamilton's modules are patched in place."""
    _patch_type_checks()
    _patch_column_types()
    _patch_default_validators()
    _patch_adapters(stand_ins)


def _patch_type_checks() -> None:
    from hamilton import graph, htypes

    def lenient(check: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
        @functools.wraps(check)
        def wrapper(first: Any, second: Any) -> bool:
            return check(first, second) or is_stand_in(first) or is_stand_in(second)

        return wrapper

    graph.types_match = lenient(graph.types_match)
    htypes.types_match = lenient(htypes.types_match)
    htypes.custom_subclass_check = lenient(htypes.custom_subclass_check)


def _origin(value: Any) -> Any:
    return getattr(value, "__origin__", None) or value


def _top(value: Any) -> str:
    return str(getattr(value, "__module__", "") or "").partition(".")[0]


def _patch_column_types() -> None:
    from hamilton import registry

    original = registry.get_column_type_from_df_type

    @functools.wraps(original)
    def lenient(dataframe_type: Any) -> Any:
        try:
            return original(dataframe_type)
        except NotImplementedError:
            if not isinstance(_origin(dataframe_type), StandInMeta):
                raise
            return column_stand_in(dataframe_type)

    registry.get_column_type_from_df_type = lenient


def _placeholder_validator(key: str) -> type:
    """A default validator for an argument no installed validator takes (`schema` without
    pandera): named as the real one is, so the validator node has the real node's name."""
    from hamilton.data_quality import base

    is_schema = key == "schema"

    class StandInValidator(base.BaseDefaultValidator):
        def __init__(self, importance: str, **kwargs: Any) -> None:
            super().__init__(importance=importance)

        @classmethod
        def arg(cls) -> str:
            return key

        @classmethod
        def name(cls) -> str:
            return "pandera_schema_validator" if is_schema else f"{key}_validator"

        @classmethod
        def applies_to(cls, datatype: type[type]) -> bool:
            return True

        def description(self) -> str:
            if is_schema:  # pandera's own text, so the node's documentation agrees
                return "Validates that the returned dataframe matches the pander"
            return f"Validates {key} (a stand-in: the validator's library is not installed)"

        def validate(self, dataset: Any) -> base.ValidationResult:
            return base.ValidationResult(passes=True, message="stand-in validator")

    return StandInValidator


def _applies(validator_cls: Any, output_type: Any) -> bool:
    try:
        return bool(validator_cls.applies_to(output_type))
    except Exception:
        return False


def _patch_default_validators() -> None:
    from hamilton.data_quality import default_validators

    original = default_validators.resolve_default_validators

    @functools.wraps(original)
    def lenient(
        output_type: Any,
        importance: str,
        available_validators: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        try:
            return original(output_type, importance, available_validators, **kwargs)
        except ValueError:
            if not (is_stand_in(output_type) or any(is_stand_in(v) for v in kwargs.values())):
                raise
        candidates = available_validators or default_validators.AVAILABLE_DEFAULT_VALIDATORS
        chosen = []
        for key, value in kwargs.items():
            taking = [c for c in candidates if c.arg() == key]
            fitting = [c for c in taking if _applies(c, output_type)]
            validator_cls = (fitting or taking or [_placeholder_validator(key)])[0]
            chosen.append(validator_cls(**{key: value, "importance": importance}))
        return chosen

    default_validators.resolve_default_validators = lenient


def _adapter_for_stand_in(type_: Any, adapter_classes: Sequence[Any]) -> Any:
    """The loader or saver the real library registers for this type: the newest whose types
    share the stand-in's library and name, else its library; None when none does."""
    frame = _origin(type_)
    newest_first = list(reversed(adapter_classes))
    for same_name in (True, False):
        for adapter_cls in newest_first:
            for real in adapter_cls.applicable_types():
                if _top(real) == _top(frame) and (
                    not same_name or getattr(real, "__name__", None) == frame.__name__
                ):
                    return adapter_cls
    return None


def _patch_adapters(stand_ins: StandInRecord) -> None:
    from hamilton.function_modifiers import adapters

    original = adapters.resolve_adapter_class

    @functools.wraps(original)
    def lenient(type_: Any, adapter_classes: Sequence[Any]) -> Any:
        if not adapter_classes or not is_stand_in(type_):
            return original(type_, adapter_classes)
        found = _adapter_for_stand_in(type_, adapter_classes) or original(type_, adapter_classes)
        if found is not None:
            return found
        # No installed plugin handles the stand-in's library (`load_from.csv` of a polars
        # frame without polars): a stand-in adapter taking the decorator's arguments.
        decorator = sys._getframe(1).f_locals.get("self")
        kind = "save_to" if isinstance(decorator, adapters.SaveToDecorator) else "load_from"
        arguments = [k for k in getattr(decorator, "kwargs", {}) if not k.endswith("_")]
        name = adapter_classes[-1].name()
        stand_ins.record(f"hamilton.function_modifiers.{kind}.{name}")
        return _stand_in_adapter(kind, name, tuple(arguments))

    adapters.resolve_adapter_class = lenient
    for meta, decorator, kind in (
        (adapters.load_from__meta__, adapters.LoadFromDecorator, "load_from"),
        (adapters.save_to__meta__, adapters.SaveToDecorator, "save_to"),
    ):
        _patch_adapter_names(meta, decorator, kind, stand_ins)


@functools.cache
def _stand_in_adapter(kind: str, name: str, arguments: tuple[str, ...]) -> type:
    """A data loader or saver for a name no installed plugin registers (`load_from.xgboost_json`
    without xgboost): it takes the arguments it is given, so the nodes and edges form."""
    from hamilton.io.data_adapters import DataLoader, DataSaver

    base: type = DataLoader if kind == "load_from" else DataSaver
    namespace = {
        "applicable_types": classmethod(lambda cls: [Any]),
        "name": classmethod(lambda cls: name),
        "load_data": lambda self, type_: (None, {}),
        "save_data": lambda self, data: {},
    }
    cls = type(f"StandIn{name.title().replace('_', '')}Adapter", (base,), namespace)
    cls.__annotations__ = {argument: Any for argument in arguments}
    return dataclasses.dataclass(cls)


def _patch_adapter_names(meta: type, decorator: type, kind: str, stand_ins: StandInRecord) -> None:
    original = meta.__getattr__  # type: ignore[attr-defined]

    def lenient(cls: type, item: str) -> Any:
        try:
            return original(cls, item)
        except AttributeError:
            if item.startswith("_") or not stand_ins.called_from_tree(1):
                raise
        stand_ins.record(f"hamilton.function_modifiers.{kind}.{item}")

        def create_decorator(*args: Any, **kwargs: Any) -> Any:
            arguments = [k for k in kwargs if not k.endswith("_")]  # inject_, output_name_...
            adapter = _stand_in_adapter(kind, item, tuple(arguments))
            return decorator([adapter], *args, **kwargs)

        return create_decorator

    meta.__getattr__ = lenient  # type: ignore[attr-defined]
