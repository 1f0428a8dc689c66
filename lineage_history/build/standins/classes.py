"""Class statements with stand-in bases: the build child's `builtins.__build_class__`.

A stand-in class is an exception class, and its metaclass is `StandInMeta`. A class statement
that mixes it with real bases can need what Python does not derive by itself: a metaclass
deriving from both `StandInMeta` and the real base's (`class Foo(stand_in.Base, abc.ABC)`,
`metaclass=ABCMeta`, `enum.Enum`, `typing.Protocol`), or the stand-in's plain twin where a
real base cannot share an exception's instance layout (`class Mode(str, stand_in.Enum)`).
Last, a class whose real bases refuse a stand-in among them is built without it, so the
module still imports. Statements without stand-in bases go to Python's own function
untouched. Runs only inside the forked build child.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Callable, Sequence
from typing import Any

from lineage_history.build.standins.objects import (
    StandInBehaviour,
    StandInMeta,
    is_stand_in_class,
    plain_twin,
)

_original_build_class = builtins.__build_class__
_MERGED: dict[tuple[type, ...], type] = {}


def _has_stand_in(bases: Sequence[Any]) -> bool:
    return any(isinstance(base, StandInMeta | StandInBehaviour) for base in bases)


def _merged_metaclass(metaclasses: tuple[type, ...]) -> type:
    """One metaclass deriving from all of `metaclasses`, stand-in ones first."""
    found = _MERGED.get(metaclasses)
    if found is None:
        name = "+".join(meta.__name__ for meta in metaclasses)
        found = _MERGED[metaclasses] = type(name, metaclasses, {})
    return found


def metaclass_for(explicit: Any, bases: Sequence[type]) -> Any:
    """The metaclass Python would pick for `bases`, or one deriving from every metaclass
    involved where Python would report a conflict."""
    if explicit is not None and not isinstance(explicit, type):
        return explicit  # a function used as metaclass is called as it is
    winners: list[type] = []
    for meta in [*([explicit] if explicit is not None else []), *map(type, bases)] or [type]:
        if any(issubclass(winner, meta) for winner in winners):
            continue
        winners = [winner for winner in winners if not issubclass(meta, winner)] + [meta]
    if len(winners) == 1:
        return winners[0]
    winners.sort(key=lambda meta: not issubclass(meta, StandInMeta))
    return _merged_metaclass(tuple(winners))


def _attempts(bases: tuple[type, ...]) -> list[tuple[type, ...]]:
    """The bases to try in order: as written, with plain twins, without the stand-ins."""
    twins = tuple(plain_twin(base) for base in bases)
    without = tuple(base for base in bases if not is_stand_in_class(base))
    attempts = [bases]
    for candidate in (twins, without or (object,)):
        if not any(map(_same_classes, attempts, [candidate] * len(attempts))):
            attempts.append(candidate)  # by identity: a twin equals its stand-in by name
    return attempts


def _same_classes(first: tuple[type, ...], second: tuple[type, ...]) -> bool:
    return len(first) == len(second) and all(a is b for a, b in zip(first, second, strict=True))


class _ClassWithStandIns:
    """Passed to Python's `__build_class__` as the metaclass of one class statement whose
    bases hold a stand-in: prepares its namespace and creates the class from it."""

    def __init__(self, explicit: Any) -> None:
        self.explicit = explicit

    def __prepare__(self, name: str, bases: tuple[type, ...], **kwargs: Any) -> Any:
        prepare = getattr(metaclass_for(self.explicit, bases), "__prepare__", None)
        return prepare(name, bases, **kwargs) if prepare is not None else {}

    def __call__(self, name: str, bases: tuple[type, ...], namespace: Any, **kwargs: Any) -> Any:
        refusal: Exception | None = None
        for candidate in _attempts(bases):
            try:
                metaclass = metaclass_for(self.explicit, candidate)
                return metaclass(name, candidate, namespace, **kwargs)
            except TypeError as exc:  # metaclass conflict, instance layout, a base's refusal
                refusal = refusal or exc
        assert refusal is not None
        raise refusal


def build_class(func: Callable[[], Any], name: str, *bases: Any, **kwargs: Any) -> Any:
    """`builtins.__build_class__`: Python's own, unless a base is a stand-in."""
    resolved = bases if all(isinstance(b, type) for b in bases) else types.resolve_bases(bases)
    if not _has_stand_in(resolved):
        return _original_build_class(func, name, *bases, **kwargs)
    explicit = kwargs.pop("metaclass", None)
    return _original_build_class(
        func, name, *bases, metaclass=_ClassWithStandIns(explicit), **kwargs
    )


def install() -> None:
    """Replace the process's `__build_class__` (once per build child)."""
    builtins.__build_class__ = build_class
