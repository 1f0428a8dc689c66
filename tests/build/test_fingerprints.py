"""Code fingerprints of one file: what they ignore (docs, comments, formatting, metadata
decorators), what they follow (private helpers, constants) and that a rename keeps them."""

from __future__ import annotations

from lineage_history.build.fingerprints import Fingerprinter

MODULE = '''
import pandas as pd
from hamilton.function_modifiers import tag

_MARKER = "U"
LIMIT = 3


def _first_letter(value: str) -> str:
    return value[:1] or _MARKER


@tag(owner="ds")
def cabin_type(cabin: pd.Series) -> pd.Series:
    """The deck letter."""
    return cabin.map(_first_letter)  # a comment


def public_helper(x: int) -> int:
    return x * LIMIT
'''


def fp(source: str, name: str = "cabin_type") -> str:
    """The fingerprint of `name` in a one-file build holding `source` as `m.py`."""
    files = {"m.py": source}
    return Fingerprinter(files.get, lambda importer, module, level: None).function("m.py", name)


def test_fingerprint_ignores_docs_comments_formatting_and_metadata_decorators() -> None:
    edited = (
        MODULE.replace('"""The deck letter."""', '"""Deck."""')
        .replace("  # a comment", "")
        .replace('@tag(owner="ds")', '@tag(owner="de", pii="false")')
        .replace("cabin.map(_first_letter)", "cabin.map(\n        _first_letter\n    )")
    )
    assert fp(edited) == fp(MODULE)


def test_fingerprint_follows_private_helpers_and_constants() -> None:
    assert fp(MODULE.replace('_MARKER = "U"', '_MARKER = "X"')) != fp(MODULE)
    assert fp(MODULE.replace("value[:1]", "value[:2]")) != fp(MODULE)
    # A public function is a node of its own; its change shows there, not here.
    assert fp(MODULE.replace("x * LIMIT", "x + LIMIT")) == fp(MODULE)
    assert fp(MODULE.replace("LIMIT = 3", "LIMIT = 4"), "public_helper") != fp(
        MODULE, "public_helper"
    )


def test_fingerprint_is_name_independent_for_renames() -> None:
    renamed = MODULE.replace("def cabin_type(", "def deck(")
    assert fp(renamed, "deck") == fp(MODULE)
    assert fp(MODULE.replace("cabin.map", "cabin.str.upper().map")) != fp(MODULE)
