"""Code fingerprints take what a node uses, no more: one attribute of a project class, one entry
of a module-level dict or list, one entry of a decorator that generates several nodes; and the
whole class or container when it is used as a whole or the entry cannot be told statically."""

from __future__ import annotations

from lineage_history.build.fingerprints import Fingerprinter

SETTINGS = '''
class Settings:
    """Constants."""

    RADIUS = 100
    HEIGHT = 5
    DOUBLE_RADIUS = RADIUS * 2
    SCALE = FACTOR

    @classmethod
    def scaled(cls, x):
        return x * cls.HEIGHT

    @staticmethod
    def plain(x):
        return x + 1


FACTOR = 3
CONFIG = {"a": 1, "b": [FACTOR]}
ORDER = ["x", "y"]
'''

NODES = """
import settings_module
from settings_module import Settings, CONFIG, ORDER


def radius() -> int:
    return Settings.RADIUS


def double() -> int:
    return Settings.DOUBLE_RADIUS


def scale() -> int:
    return Settings.SCALE


def scaled(x: int) -> int:
    return Settings.scaled(x)


def whole() -> object:
    return Settings()


def by_name(name: str) -> object:
    return getattr(Settings, name)


def entry_a() -> int:
    return CONFIG["a"]


def entry_b() -> list:
    return CONFIG.get("b")


def missing() -> object:
    return CONFIG.get("c")


def iterated() -> list:
    return list(CONFIG.items())


def first() -> str:
    return ORDER[0]


def module_attr() -> int:
    return settings_module.FACTOR
"""


def fingerprints(settings: str = SETTINGS, nodes: str = NODES) -> dict[str, str]:
    files = {"settings_module.py": settings, "nodes.py": nodes}
    prints = Fingerprinter(
        files.get,
        lambda importer, module, level: f"{module}.py" if module in ("settings_module",) else None,
    )
    names = [line[4:].split("(")[0] for line in nodes.splitlines() if line.startswith("def ")]
    return {name: prints.function("nodes.py", name) for name in names}


def changed_by(old: str, new: str) -> set[str]:
    assert old in SETTINGS
    before, after = fingerprints(), fingerprints(SETTINGS.replace(old, new))
    return {name for name in before if before[name] != after[name]}


def test_a_new_class_constant_changes_only_the_users_of_the_class_as_a_whole() -> None:
    assert changed_by("    HEIGHT = 5\n", "    HEIGHT = 5\n    WIDTH = 7\n") == {"whole", "by_name"}


def test_a_class_constant_changes_its_readers_and_the_attributes_made_from_it() -> None:
    assert changed_by("RADIUS = 100", "RADIUS = 101") == {"radius", "double", "whole", "by_name"}
    assert changed_by("HEIGHT = 5", "HEIGHT = 6") == {"scaled", "whole", "by_name"}
    assert changed_by("FACTOR = 3", "FACTOR = 4") == {
        "scale",
        "whole",
        "by_name",
        "entry_b",
        "iterated",
        "missing",
        "module_attr",
    }


def test_a_method_is_its_own_definition_and_the_attributes_it_reads() -> None:
    assert changed_by("x * cls.HEIGHT", "x * cls.HEIGHT * 2") == {"scaled", "whole", "by_name"}
    assert changed_by("return x + 1", "return x + 2") == {"whole", "by_name"}


def test_a_dict_entry_read_by_a_constant_key_is_that_entry() -> None:
    assert changed_by('"a": 1', '"a": 2') == {"entry_a", "iterated", "missing"}
    assert changed_by('"a": 1,', '"a": 1, "z": 0,') == {"iterated", "missing"}


def test_a_list_item_read_by_a_constant_index_is_that_item() -> None:
    assert changed_by('["x", "y"]', '["x", "y", "z"]') == set()
    assert changed_by('["x", "y"]', '["w", "x", "y"]') == {"first"}


def test_a_class_with_bases_keeps_its_header() -> None:
    settings = (
        SETTINGS.replace("class Settings:", "class Settings(Base):") + "\nclass Base:\n    pass\n"
    )
    before = fingerprints(settings)
    after = fingerprints(settings.replace("class Base:\n    pass", "class Base:\n    RADIUS = 1"))
    assert before["radius"] != after["radius"]


def test_an_enum_with_auto_values_is_whole() -> None:
    enum = (
        "import enum\n\nclass Settings(enum.Enum):\n"
        "    RADIUS = enum.auto()\n    HEIGHT = enum.auto()\n"
    )
    before = fingerprints(
        enum, "from settings_module import Settings\n\ndef radius():\n    return Settings.RADIUS\n"
    )
    after = fingerprints(
        enum.replace(
            "class Settings(enum.Enum):\n", "class Settings(enum.Enum):\n    FIRST = enum.auto()\n"
        ),
        "from settings_module import Settings\n\ndef radius():\n    return Settings.RADIUS\n",
    )
    assert before["radius"] != after["radius"]


def test_a_module_read_by_attribute_is_that_attribute() -> None:
    assert changed_by("FACTOR = 3\n", "FACTOR = 3\nOTHER = 1\n") == set()


GENERATED = """
from hamilton.function_modifiers import parameterize, value

PARAMS = {"p_c": {"n": value(3)}}


def make():
    return {"p_d": {"n": value(4)}}


@parameterize(p_a={"n": value(1)}, p_b={"n": value(2)})
def p(n: int) -> int:
    return n


@parameterize(**PARAMS)
def q(n: int) -> int:
    return n


@parameterize(**make())
def r(n: int) -> int:
    return n
"""


def generated(source: str, function: str, node: str) -> str:
    files = {"gen.py": source}
    prints = Fingerprinter(files.get, lambda importer, module, level: None)
    return prints.function("gen.py", function, node=node)


def test_a_generated_node_is_its_function_and_its_own_entry() -> None:
    edited = GENERATED.replace('p_b={"n": value(2)}', 'p_b={"n": value(20)}')
    assert generated(edited, "p", "p_a") == generated(GENERATED, "p", "p_a")
    assert generated(edited, "p", "p_b") != generated(GENERATED, "p", "p_b")
    edited = GENERATED.replace(
        'PARAMS = {"p_c": {"n": value(3)}}', 'PARAMS = {"p_c": {"n": value(3)}, "p_e": {}}'
    )
    assert generated(edited, "q", "p_c") == generated(GENERATED, "q", "p_c")


def test_a_renamed_entry_keeps_its_fingerprint() -> None:
    renamed = GENERATED.replace("p_a=", "p_z=")
    assert generated(renamed, "p", "p_z") == generated(GENERATED, "p", "p_a")


def test_an_entry_that_cannot_be_told_statically_is_the_whole_decorator() -> None:
    edited = GENERATED.replace('{"p_d": {"n": value(4)}}', '{"p_d": {"n": value(4)}, "p_f": {}}')
    assert generated(edited, "r", "p_d") != generated(GENERATED, "r", "p_d")
    assert generated(GENERATED, "p", "p_unknown") != generated(GENERATED, "p", "p_a")


FIELDS = """
from hamilton.function_modifiers import extract_fields


@extract_fields(dict(a=int, b=str))
def record() -> dict:
    return {"a": 1, "b": "x"}
"""


def test_a_field_written_as_dict_keywords_is_its_own_entry() -> None:
    edited = FIELDS.replace("b=str", "b=object")
    assert generated(edited, "record", "a") == generated(FIELDS, "record", "a")
    assert generated(edited, "record", "b") != generated(FIELDS, "record", "b")
    assert generated(edited, "record", "record") == generated(FIELDS, "record", "record")
