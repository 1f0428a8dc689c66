"""Stand-in objects for what a commit's code imports but the build environment lacks.

A stand-in keeps the qualified name it was imported under (`openai.OpenAI`), so a node typed
with it still reads that way, and it tolerates what module-level code and annotations do
with a library object: call it, subscript it, subclass it, decorate with it, compare it,
chain attributes on it. Runs only inside the forked build child.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

_STAND_IN = "__lineage_stand_in__"  # set in the namespace of a stand-in class (not subclasses)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_decoratee(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """A call with one function or class and nothing else: a stand-in used as a decorator."""
    return len(args) == 1 and not kwargs and (callable(args[0]) or isinstance(args[0], type))


class StandInMeta(type):
    """Metaclass of stand-in classes: class-level attribute chains, calls, subscripts."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **_: Any):
        return super().__new__(mcs, name, bases, namespace)

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **_: Any):
        super().__init__(name, bases, namespace)

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return child_stand_in(cls, name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls.__dict__.get(_STAND_IN) and _is_decoratee(args, kwargs):
            return args[0]  # `@stand_in`: the function is kept as written
        return super().__call__(*args, **kwargs)

    def __getitem__(cls, item: Any) -> Any:
        return types.GenericAlias(cls, item)

    def __eq__(cls, other: object) -> bool:
        if isinstance(other, StandInMeta) and cls.__dict__.get(_STAND_IN):
            return bool(other.__dict__.get(_STAND_IN)) and _qualified(cls) == _qualified(other)
        return cls is other

    def __hash__(cls) -> int:
        return hash(_qualified(cls))

    def __repr__(cls) -> str:
        return f"<class '{_qualified(cls)}'>"


class StandInObject(metaclass=StandInMeta):
    """Base of every stand-in class; its instances are what calling a stand-in returns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(type(self), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _is_decoratee(args, kwargs):
            return args[0]  # `@stand_in(...)`: the decorator returned by a call
        return type(self)()

    def __getitem__(self, item: Any) -> Any:
        return type(self)()

    def __iter__(self) -> Any:
        return iter(())

    def __contains__(self, item: Any) -> bool:
        return False

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (type(self),)

    def __repr__(self) -> str:
        return f"<stand-in {_qualified(type(self))}>"

    def __lt__(self, other: Any) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__


def _derived(self: Any, *_: Any) -> Any:
    return type(self)()


_OPERATORS = (
    *("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv"),
    *("rfloordiv", "mod", "rmod", "pow", "rpow", "and", "rand", "or", "ror", "xor", "rxor"),
    *("neg", "pos", "invert", "matmul", "rmatmul", "lshift", "rshift"),
)
for _name in _OPERATORS:  # expressions such as `F.col("a") + 1` or `~mask`
    setattr(StandInObject, f"__{_name}__", _derived)


def stand_in_class(module: str, qualname: str) -> type:
    """A new stand-in class named `module.qualname`."""
    name = qualname.rsplit(".", 1)[-1]
    cls = StandInMeta(name, (StandInObject,), {_STAND_IN: True, "__module__": module})
    cls.__qualname__ = qualname
    return cls


_CHILDREN: dict[str, type] = {}


def child_stand_in(parent: type, name: str) -> type:
    """`parent.name` for a stand-in class, the same object on every access."""
    key = f"{_qualified(parent)}.{name}"
    found = _CHILDREN.get(key)
    if found is None:
        found = _CHILDREN[key] = stand_in_class(parent.__module__, f"{parent.__qualname__}.{name}")
    return found


def is_stand_in(value: Any) -> bool:
    """A stand-in class or instance, or a type built from one (`X[int]`, `X | None`)."""
    if isinstance(value, StandInMeta | StandInObject):
        return True
    origin_and_args = (getattr(value, "__origin__", None), *getattr(value, "__args__", ()))
    return any(
        item is not value and item is not None and is_stand_in(item) for item in origin_and_args
    )


class StandInModule(types.ModuleType):
    """A module that is not there: every public attribute is a stand-in class."""

    def __init__(self, name: str, lookup: Callable[[str], types.ModuleType | None]) -> None:
        super().__init__(name)
        self.__lookup = lookup

    def __getattr__(self, name: str) -> Any:
        if name == "__version__":  # compared by module-level code: a stand-in value
            return stand_in_class(self.__name__, name)()
        if name.startswith("__"):
            raise AttributeError(name)
        submodule = self.__lookup(f"{self.__name__}.{name}")
        if submodule is not None:
            return submodule
        value = stand_in_class(self.__name__, name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"<stand-in module '{self.__name__}'>"
