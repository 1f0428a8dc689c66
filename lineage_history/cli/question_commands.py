"""Questions to the history: `log`, `show`, `upstream`, `downstream`, `path`, `blame`, `viz`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lineage_history._text import plural
from lineage_history.cli.app import Dag, Db, Format, Repo, app, echo, echo_json, format_option
from lineage_history.cli.completion import complete_node, complete_revision
from lineage_history.errors import UserError

Tags = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        "-t",
        metavar="KEY[=VALUE]",
        help="Keep nodes with this tag: KEY=VALUE, or KEY alone for any value. Repeat to AND.",
        show_default=False,
    ),
]
At = Annotated[
    str,
    typer.Option(help="The revision to ask about.", autocompletion=complete_revision),
]
Node = Annotated[
    str, typer.Argument(metavar="NODE", help="The node.", autocompletion=complete_node)
]
Revision = Annotated[
    str, typer.Argument(metavar="REV", help="The revision.", autocompletion=complete_revision)
]
OutputFormat = Annotated[Format, format_option()]


class Role(str, Enum):
    input = "input"
    function = "function"


@app.command(rich_help_panel="Ask")
def log(
    node: Annotated[
        str | None,
        typer.Argument(
            metavar="NODE",
            help="The node whose history to show (with --reach: REV).",
            autocompletion=complete_node,
            show_default=False,
        ),
    ] = None,
    rev: Annotated[
        str | None,
        typer.Argument(
            metavar="REV",
            help="Walk the history reachable from here (default: HEAD).",
            autocompletion=complete_revision,
            show_default=False,
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Continue through renames under the old name.")
    ] = False,
    reach: Annotated[
        tuple[str, str] | None,
        typer.Option(
            metavar="FROM TO",
            help="Instead: the commits where FROM started or stopped reaching TO.",
            show_default=False,
        ),
    ] = None,
    output_format: OutputFormat = Format.table,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> None:
    """The commits that added, changed or removed NODE.

    Newest first, with what changed. With --reach FROM TO [REV] instead: the commits where
    FROM started or stopped reaching TO.
    """
    from lineage_history.output import contract, tables
    from lineage_history.queries import handle, node_log, review

    if reach is not None:
        if rev is not None or follow:
            raise UserError("log --reach FROM TO takes one revision and no --follow")
        with handle.opened(repo, db) as opened:
            reached = review.reach_log(opened, *reach, node or "HEAD", dag)
        if output_format == Format.json:
            echo_json(contract.reach_json(reached))
        else:
            echo(tables.reach_text(reached))
        return
    if node is None:
        raise UserError("log needs a NODE, or --reach FROM TO")
    rev = rev or "HEAD"
    with handle.opened(repo, db) as opened:
        result = node_log.log(opened, node, rev, dag, follow)
    if output_format == Format.json:
        echo_json(contract.log_json(result))
    else:
        echo(tables.log_text(result, node, rev, follow=follow))


@app.command(rich_help_panel="Ask")
def show(
    rev: Revision = "HEAD",
    tags: Tags = None,
    role: Annotated[
        Role | None, typer.Option(help="Only inputs or functions.", show_default=False)
    ] = None,
    output_format: OutputFormat = Format.table,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> None:
    """The nodes at REV, filtered by tags and role.

    Each with its type, dependencies and tags.
    """
    from lineage_history.dag.selectors import parse_tag_filters
    from lineage_history.output import contract, tables
    from lineage_history.queries import at_commit, handle

    filters = parse_tag_filters(tags)
    role_name = role.value if role else None
    with handle.opened(repo, db) as opened:
        shown = at_commit.show(opened, rev, dag, filters, role_name)
    if output_format == Format.json:
        echo_json(contract.show_json(shown))
    else:
        echo(tables.show_text(shown, rev, filters, role_name))


def _related(
    upstream: bool,
    node: str,
    at: str,
    tags: list[str] | None,
    output_format: Format,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> None:
    from lineage_history.dag.selectors import parse_tag_filters
    from lineage_history.output import contract, tables
    from lineage_history.queries import at_commit, handle

    ask = at_commit.upstream if upstream else at_commit.downstream
    filters = parse_tag_filters(tags)
    with handle.opened(repo, db) as opened:
        result = ask(opened, node, at, dag, filters)
    if output_format == Format.json:
        echo_json(contract.related_json(result))
    else:
        echo(tables.related_text(result, filters))


@app.command(rich_help_panel="Ask")
def upstream(
    node: Node,
    at: At = "HEAD",
    tags: Tags = None,
    output_format: OutputFormat = Format.table,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> None:
    """Everything NODE depends on, nearest first."""
    _related(True, node, at, tags, output_format, repo, db, dag)


@app.command(rich_help_panel="Ask")
def downstream(
    node: Node,
    at: At = "HEAD",
    tags: Tags = None,
    output_format: OutputFormat = Format.table,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> None:
    """Everything that depends on NODE, nearest first."""
    _related(False, node, at, tags, output_format, repo, db, dag)


@app.command(rich_help_panel="Ask")
def path(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE", help="Where the data comes from.", autocompletion=complete_node
        ),
    ],
    target: Annotated[
        str, typer.Argument(metavar="TARGET", help="Where it goes.", autocompletion=complete_node)
    ],
    at: At = "HEAD",
    tags: Tags = None,
    output_format: OutputFormat = Format.table,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> int:
    """How data flows from SOURCE to TARGET.

    The paths and the nodes on them; exit status 1 when there is none.
    """
    from lineage_history.dag.selectors import parse_tag_filters
    from lineage_history.output import contract, tables
    from lineage_history.queries import at_commit, handle

    filters = parse_tag_filters(tags)
    with handle.opened(repo, db) as opened:
        result = at_commit.path(opened, source, target, at, dag, filters)
    if output_format == Format.json:
        echo_json(contract.path_json(result))
    else:
        echo(tables.path_text(result, filters))
    return 0 if result.path_count else 1


@app.command(rich_help_panel="Ask")
def blame(
    tag: Annotated[
        str, typer.Argument(metavar="TAG", help="KEY=VALUE, or KEY alone for its current value.")
    ],
    rev: Revision = "HEAD",
    output_format: OutputFormat = Format.table,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> None:
    """For each node with TAG at REV, the commit that put it there."""
    from lineage_history.dag.selectors import TagFilter
    from lineage_history.output import contract, tables
    from lineage_history.queries import handle, tag_blame

    wanted = TagFilter.parse(tag)
    with handle.opened(repo, db) as opened:
        result = tag_blame.blame(opened, wanted, rev, dag)
    if output_format == Format.json:
        echo_json(contract.blame_json(result))
    else:
        echo(tables.blame_text(result, wanted, rev))


@app.command(rich_help_panel="Ask")
def viz(
    rev: Annotated[
        str,
        typer.Argument(
            metavar="REV",
            help="The revision to draw, or a range A...B or A..B to draw its diff.",
            autocompletion=complete_revision,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="FILE", help="The picture: .svg, .png, .dot or .mmd."
        ),
    ],
    base: Annotated[
        str | None,
        typer.Option(
            help="Draw the diff from this revision to REV (A...: from the merge base).",
            autocompletion=complete_revision,
            show_default=False,
        ),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(
            help="Draw only this node and its lineage.",
            autocompletion=complete_node,
            show_default=False,
        ),
    ] = None,
    up: Annotated[bool, typer.Option("--upstream", help="With --node: its upstream.")] = False,
    down: Annotated[
        bool, typer.Option("--downstream", help="With --node: its downstream.")
    ] = False,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> None:
    """Draw the DAG at REV, or a diff, as SVG, PNG, DOT or Mermaid.

    The diff from --base to REV (or of a range A...B) marks what was added, removed,
    modified and impacted, with a legend.
    """
    from lineage_history.output import viz as pictures
    from lineage_history.queries import handle

    if (up or down) and node is None:
        raise UserError("--upstream and --downstream need --node")
    with handle.opened(repo, db) as opened:
        drawing = pictures.draw(opened, rev, output, dag, base, node, up, down)
    echo(f"wrote {drawing.path} ({plural(drawing.nodes, 'node')}, {plural(drawing.edges, 'edge')})")
