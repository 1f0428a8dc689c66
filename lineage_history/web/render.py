"""The pages as HTML: one set of Jinja templates (autoescaped) for `serve` and `report`, and
the page's data embedded as JSON that cannot close its `<script>` element."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from lineage_history.web.views import Links

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# JSON inside <script>: no `<`, `>` or `&` (no `</script>`, no `<!--`), and no line or
# paragraph separators (JavaScript's own line ends).
_SCRIPT_SAFE = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(data: Any) -> Markup:
    """`data` as JSON safe to place between `<script type="application/json">` tags."""
    return Markup(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["script_json"] = script_json
    return env


def render(template: str, links: Links, **context: Any) -> str:
    """The page `template` with `context`; `page` (the data the browser script reads) is
    embedded as JSON."""
    return environment().get_template(template).render(links=links, **context)


def error_page(links: Links, message: str, title: str = "Not found") -> str:
    return render("error.html", links, title=title, message=message)
