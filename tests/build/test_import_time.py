"""The import-time digest: what a change to a DAG's files can do to the DAG's structure. A
change import time cannot reach leaves the digest alone; any other changes it."""

from __future__ import annotations

import pytest

from lineage_history.build.import_time import import_time_digests

SETTINGS = b"TIMEOUT = 30\nLEVEL = 1\nNAMES = ['a', 'b']\n"
HELPERS = b'''from settings import TIMEOUT, LEVEL, NAMES


def fetch(query):
    """Fetches."""
    return {"query": query, "timeout": TIMEOUT}


def label(value):
    return f"label-{value}"


class Client:
    retries = 3

    def call(self):
        return fetch("x")


LABELS = [label(name) for name in NAMES]
'''
PIPELINE = b'''from hamilton.function_modifiers import tag
from helpers import fetch, LEVEL


@tag(level=str(LEVEL))
def rows(query: str) -> dict:
    """The rows."""
    return fetch(query)
'''
BASE = {"settings.py": SETTINGS, "helpers.py": HELPERS, "pipeline.py": PIPELINE}


def digest(**changed: bytes) -> dict[str, str]:
    files = dict(BASE)
    for name, content in changed.items():
        files[f"{name}.py"] = content
    return import_time_digests(files)


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("helpers", b'"timeout": TIMEOUT}', b'"timeout": TIMEOUT * 2}'),  # a body no import runs
        ("pipeline", b"return fetch(query)", b"return fetch(query.strip())"),  # a node's body
        ("settings", b"TIMEOUT = 30", b"TIMEOUT = 60"),  # a constant only bodies read
        ("helpers", b"    retries = 3", b"    retries = 4"),  # a class attribute nothing reads
        ("helpers", b"def label(value):", b"def label(value):  # one label"),  # a comment
    ],
)
def test_what_import_time_cannot_reach_leaves_the_digest(file: str, old: bytes, new: bytes) -> None:
    changed = BASE[f"{file}.py"].replace(old, new)
    assert changed != BASE[f"{file}.py"]
    assert digest(**{file: changed}) == digest()


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("settings", b"LEVEL = 1", b"LEVEL = 2"),  # read by a decorator
        ("settings", b"NAMES = ['a', 'b']", b"NAMES = ['a']"),  # read by top-level code
        ("helpers", b'return f"label-{value}"', b'return f"tag-{value}"'),  # a body it calls
        ("pipeline", b'"""The rows."""', b'"""All the rows."""'),  # a node's documentation
        ("pipeline", b"query: str", b"query: bytes"),  # a signature
        ("pipeline", b"@tag(level=str(LEVEL))\n", b""),  # a decorator
        ("helpers", b"def label(value):", b"def label(value, upper=False):"),
    ],
)
def test_what_import_time_can_reach_changes_the_digest(file: str, old: bytes, new: bytes) -> None:
    changed = BASE[f"{file}.py"].replace(old, new)
    assert changed != BASE[f"{file}.py"]
    assert digest(**{file: changed}) != digest()


def test_a_class_that_import_time_uses_keeps_its_methods() -> None:
    used = HELPERS + b"\nDEFAULT = Client()\n"
    edited = used.replace(b'return fetch("x")', b'return fetch("y")')
    assert digest(helpers=used) != digest(helpers=edited)


def test_a_file_that_does_not_parse_is_digested_whole() -> None:
    broken = b"def f(:\n"
    assert digest(helpers=broken) != digest(helpers=broken + b"# more\n")


CLIENTS = b"""class Provider:
    def __init__(self, name: str) -> None:
        self.name = name

    def score(self, payload: dict) -> float:
        return len(payload) * 3


def make() -> type:
    return Provider
"""
TYPED = b"""from clients import Provider


def scored(provider: Provider) -> float:
    return provider.score({})
"""


def test_a_class_named_only_as_a_type_keeps_its_special_methods_only() -> None:
    def typed(clients: bytes, pipeline: bytes = TYPED) -> dict[str, str]:
        return import_time_digests({"clients.py": clients, "pipeline.py": pipeline})

    base = typed(CLIENTS)
    assert typed(CLIENTS.replace(b"* 3", b"* 4")) == base  # a method no import runs
    assert typed(CLIENTS.replace(b"self.name = name", b"self.name = name.upper()")) != base
    # Called inside an annotation, it is a read like any other: every method counts.
    called = TYPED.replace(b"provider: Provider", b"provider: make()")
    assert typed(CLIENTS.replace(b"* 3", b"* 4"), called) != typed(CLIENTS, called)
