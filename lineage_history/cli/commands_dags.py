"""`dags`: the DAGs at a revision (defined or discovered); `init`: write the discovered ones."""

from __future__ import annotations

import json
from typing import Any

from lineage_history.cli._common import DB, REPO, arg, command, echo, echo_json, output_format
from lineage_history.errors import first_line


def _config_text(config: dict[str, Any], literal: bool) -> str:
    text = json.dumps(config, sort_keys=True) if config else ""
    if not literal:
        text = f"{text} (not a literal)".strip()
    return text


@command(
    "dags",
    arg("rev", nargs="?", default="HEAD", help="The revision to look at (default: HEAD)."),
    arg("--config", help="A DAG definition file to list instead of the commit's own."),
    output_format(),
    REPO,
    DB,
)
def dags(
    rev: str, config: str | None, output_format: str, repo: str | None, db: str | None
) -> None:
    """The DAGs at REV: defined in lineage-history.toml / pyproject.toml, or discovered from
    driver code, with modules, config, where they were found and their build status."""
    from lineage_history.definitions.listing import dags_at

    listings = dags_at(repo, db, rev, config)
    if output_format == "json":
        from lineage_history.output.contract import dags_json

        echo_json(dags_json(listings))
        return
    if not listings:
        echo(f"no DAGs at {rev}: no definition and no Hamilton driver code found")
        return
    for listing in listings:
        definition = listing.definition
        echo(f"{definition.name}  [{listing.status}]")
        echo(f"  source:  {definition.source}")
        echo(f"  modules: {', '.join(definition.modules)}")
        config_text = _config_text(dict(definition.config), definition.config_literal)
        if config_text:
            echo(f"  config:  {config_text}")
        if listing.stubbed:
            echo(f"  built with stand-ins for: {', '.join(listing.stubbed)}")
        if listing.error:
            echo(f"  error:   {first_line(listing.error)}")


@command(
    "init",
    arg("rev", nargs="?", default="HEAD", help="The revision whose driver code to read."),
    arg("--force", action="store_true", help="Overwrite an existing lineage-history.toml."),
    REPO,
)
def init(rev: str, force: bool, repo: str | None) -> None:
    """Write the DAGs discovered in REV's driver code to lineage-history.toml, to curate."""
    from lineage_history.definitions.listing import write_config

    path, count = write_config(repo, rev, force=force)
    echo(f"wrote {count} DAG{'s' if count != 1 else ''} to {path}")
