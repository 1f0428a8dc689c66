"""Stand-in objects for what a commit's code imports but the build environment lacks.

A stand-in keeps the qualified name it was imported under (`openai.OpenAI`), so a node typed
with it still reads that way, and it tolerates what module-level code and annotations do
with a library object: call it, subscript it, subclass it, decorate with it, compare it,
chain attributes on it, unpack it, use it as a context manager. A stand-in class is also an
exception class (`except yaml.YAMLError:` must work whatever attribute the clause names); a
class statement that cannot take that layout gets its plain twin (`classes.py`). Runs only
inside the forked build child.
"""

from __future__ import annotations

import dis
import sys
import types
from collections.abc import Callable
from typing import Any

_STAND_IN = "__lineage_stand_in__"  # set in the namespace of a stand-in class (not subclasses)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


_UNPACK_SEQUENCE = dis.opmap["UNPACK_SEQUENCE"]
_UNPACK_EX = dis.opmap["UNPACK_EX"]
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]


def _unpacked_count(frame: Any) -> int:
    """How many values the instruction running in `frame` unpacks (`a, b = x`: 2;
    `a, *rest, b = x`: 2), or 0 when it is not an unpacking (`for`, `list(x)`)."""
    code, offset = frame.f_code.co_code, frame.f_lasti
    if offset < 0 or offset + 1 >= len(code) or code[offset] not in (_UNPACK_SEQUENCE, _UNPACK_EX):
        return 0
    argument, shift, previous = code[offset + 1], 8, offset - 2
    while previous >= 0 and code[previous] == _EXTENDED_ARG:
        argument |= code[previous + 1] << shift
        shift, previous = shift + 8, previous - 2
    if code[offset] == _UNPACK_EX:
        return (argument & 0xFF) + (argument >> 8)
    return argument


def _stand_in_values(cls: type, depth: int) -> Any:
    """An iterator over as many new stand-ins as the code `depth` frames up unpacks."""
    return iter([cls() for _ in range(_unpacked_count(sys._getframe(depth + 1)))])


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
        real = getattr(super(), "__getitem__", None)  # another metaclass's (`Color["RED"]`)
        if real is not None and not cls.__dict__.get(_STAND_IN):
            return real(item)
        return types.GenericAlias(cls, item)

    def __iter__(cls) -> Any:
        real = getattr(super(), "__iter__", None)
        if real is not None and not cls.__dict__.get(_STAND_IN):
            return real()  # a subclass that is also an Enum iterates its members
        return _stand_in_values(cls, 1)

    def __enter__(cls) -> Any:
        return cls()

    def __exit__(cls, *exc: Any) -> None:
        return None

    def __eq__(cls, other: object) -> bool:
        if isinstance(other, StandInMeta) and cls.__dict__.get(_STAND_IN):
            return bool(other.__dict__.get(_STAND_IN)) and _qualified(cls) == _qualified(other)
        return cls is other

    def __hash__(cls) -> int:
        return hash(_qualified(cls))

    def __repr__(cls) -> str:
        return f"<class '{_qualified(cls)}'>"


class StandInBehaviour:
    """What every stand-in instance does; `StandInObject` and `PlainStandIn` share it."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if issubclass(cls, BaseException):  # keeps `args`; an exception takes no keywords
            return super().__new__(cls, *args)
        return super().__new__(cls)

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
        return _stand_in_values(type(self), 1)

    def __contains__(self, item: Any) -> bool:
        return False

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    def __fspath__(self) -> str:
        # A path that is not in the build tree: reading it fails as a missing file does.
        return f"<stand-in {_qualified(type(self))}>"

    def __instancecheck__(self, instance: Any) -> bool:
        return False  # `isinstance(x, stand_in_value)`: nothing is an instance of it

    def __subclasscheck__(self, subclass: Any) -> bool:
        return False

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (type(self),)

    def __repr__(self) -> str:
        return f"<stand-in {_qualified(type(self))}>"

    def __reduce__(self) -> Any:  # copies are made as instances are, never by calling
        return (_blank, (type(self), getattr(self, "args", ())), self.__dict__ or None)

    def __str__(self) -> str:
        if getattr(self, "args", None):  # raised with a message
            return str(self.args[0]) if len(self.args) == 1 else str(self.args)
        return repr(self)

    def __lt__(self, other: Any) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__


def _blank(cls: type, args: tuple[Any, ...]) -> Any:
    return cls.__new__(cls, *args)


def _derived(self: Any, *_: Any) -> Any:
    return type(self)()


_OPERATORS = (
    *("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv"),
    *("rfloordiv", "mod", "rmod", "pow", "rpow", "and", "rand", "or", "ror", "xor", "rxor"),
    *("neg", "pos", "invert", "matmul", "rmatmul", "lshift", "rshift"),
)
for _name in _OPERATORS:  # expressions such as `F.col("a") + 1` or `~mask`
    setattr(StandInBehaviour, f"__{_name}__", _derived)


class StandInObject(StandInBehaviour, Exception, metaclass=StandInMeta):
    """Base of every stand-in class; its instances are what calling a stand-in returns. An
    exception class, so that `except stand_in:` and `raise stand_in(...)` work."""


class PlainStandIn(StandInBehaviour, metaclass=StandInMeta):
    """Base of the plain twins: the stand-ins a class statement gets when its other bases
    cannot share an exception's instance layout (`class Mode(str, stand_in.Enum)`)."""


def stand_in_class(module: str, qualname: str, base: type = StandInObject) -> type:
    """A new stand-in class named `module.qualname`."""
    name = qualname.rsplit(".", 1)[-1]
    cls = StandInMeta(name, (base,), {_STAND_IN: True, "__module__": module})
    cls.__qualname__ = qualname
    return cls


_TWINS: dict[type, type] = {}


def plain_twin(cls: type) -> type:
    """The stand-in class `cls` without the exception layout, same name, same on every call."""
    if not cls.__dict__.get(_STAND_IN) or not issubclass(cls, BaseException):
        return cls
    found = _TWINS.get(cls)
    if found is None:
        found = _TWINS[cls] = stand_in_class(cls.__module__, cls.__qualname__, PlainStandIn)
    return found


def is_stand_in_class(value: Any) -> bool:
    """A stand-in class itself (not a subclass the code defined)."""
    return isinstance(value, StandInMeta) and bool(value.__dict__.get(_STAND_IN))


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
    if isinstance(value, StandInMeta | StandInBehaviour):
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
