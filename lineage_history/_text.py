"""Pure text helpers: user strings made safe for one terminal line or for Markdown, widths of
wide (CJK) characters, lists cut to a width, and plurals."""

from __future__ import annotations

import html
import re
import shutil
import unicodedata
from collections.abc import Sequence

_WHITESPACE = re.compile(r"\s+")
# ASCII punctuation with a meaning inside a Markdown line (escaped with a backslash); `<`, `>`
# and `&` become entities. Others matter only at the start of a line, where these never are.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_IDENTIFIER = re.compile(r"[\w.]+")


def plain(text: object, limit: int | None = None) -> str:
    """One printable line: whitespace runs (newlines too) become one space, control
    characters (terminal escapes) are shown as `\\x1b`."""
    one_line = _WHITESPACE.sub(" ", str(text)).strip()
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in one_line)
    if limit is not None and len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


def display_width(text: str) -> int:
    """Terminal columns: wide and full-width characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 node`, `2 nodes`."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def md_text(text: object, limit: int | None = 300) -> str:
    """A user string as inert Markdown text for one line or table cell: no heading, no
    emphasis, no link, no table break, no raw HTML, no @mention."""
    escaped = html.escape(plain(text, limit), quote=False).replace("@", "&#64;")  # no mentions
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def md_name(name: str) -> str:
    """A node name: as code when it is an identifier, else as escaped text."""
    if _IDENTIFIER.fullmatch(name):
        return f"`{name}`"
    return md_text(name)


DEFAULT_WIDTH = 120  # columns when the output is not a terminal and `COLUMNS` is unset


def terminal_width() -> int:
    """The terminal's columns (`COLUMNS` first); `DEFAULT_WIDTH` when not a terminal."""
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def fit_list(items: Sequence[str], width: int) -> str:
    """`a, b, +19 more`: as many of `items` as fit in `width` columns, and how many do not;
    the first one cut short (`long_na…, +1 more`) when not even it fits whole."""
    text = ", ".join(items)
    if display_width(text) <= width:
        return text
    shown: list[str] = []
    for item in items:
        hidden = len(items) - len(shown) - 1
        more = [f"+{hidden} more"] if hidden else []
        if display_width(", ".join([*shown, item, *more])) > width:
            break
        shown.append(item)
    if shown:
        return ", ".join([*shown, f"+{len(items) - len(shown)} more"])
    # the first name, cut to what is left beside the count of the others
    more = [f"+{len(items) - 1} more"] if len(items) > 1 else []
    left = width - sum(display_width(text) + 2 for text in more)
    return ", ".join([plain(items[0], max(left, 4)), *more])
