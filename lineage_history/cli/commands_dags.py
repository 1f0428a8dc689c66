"""`dags`: the DAGs at a revision (defined or discovered); `init`: write the discovered ones."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from lineage_history.cli._common import DbOpt, Format, RepoOpt, app, echo_json

ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", help="A DAG definition file to list instead of the commit's own."),
]


def _config_text(config: dict[str, Any], literal: bool) -> str:
    text = json.dumps(config, sort_keys=True) if config else ""
    if not literal:
        text = f"{text} (not a literal)".strip()
    return text


@app.command()
def dags(
    rev: Annotated[str, typer.Argument(help="The revision to look at.")] = "HEAD",
    config: ConfigOpt = None,
    output: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    repo: RepoOpt = None,
    db: DbOpt = None,
) -> None:
    """The DAGs at REV: defined in lineage-history.toml / pyproject.toml, or discovered from
    driver code, with modules, config, where they were found and their build status."""
    from lineage_history.dag_listing import dags_at

    listings = dags_at(repo, db, rev, config)
    if output == Format.json:
        from lineage_history.contract import dags_json

        echo_json(dags_json(listings))
        return
    if not listings:
        typer.echo(f"no DAGs at {rev}: no definition and no Hamilton driver code found")
        return
    for listing in listings:
        definition = listing.definition
        typer.echo(f"{definition.name}  [{listing.status}]")
        typer.echo(f"  source:  {definition.source}")
        typer.echo(f"  modules: {', '.join(definition.modules)}")
        config_text = _config_text(dict(definition.config), definition.config_literal)
        if config_text:
            typer.echo(f"  config:  {config_text}")
        if listing.stubbed:
            typer.echo(f"  built with stand-ins for: {', '.join(listing.stubbed)}")
        if listing.error:
            typer.echo(f"  error:   {listing.error.splitlines()[0]}")


@app.command()
def init(
    rev: Annotated[str, typer.Argument(help="The revision whose driver code to read.")] = "HEAD",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing lineage-history.toml.")
    ] = False,
    repo: RepoOpt = None,
) -> None:
    """Write the DAGs discovered in REV's driver code to lineage-history.toml, to curate."""
    from lineage_history.dag_listing import write_config

    path, count = write_config(repo, rev, force=force)
    typer.echo(f"wrote {count} DAG{'s' if count != 1 else ''} to {path}")
