"""`dags`: the DAGs at a revision (defined or discovered); `init`: write the discovered ones."""

from __future__ import annotations

from lineage_history.cli._common import DB, REPO, arg, command, echo, echo_json, info, output_format


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
    from lineage_history.output import contract, tables

    listings = dags_at(repo, db, rev, config)
    for warning in tables.dags_warnings(listings):
        info(warning)
    if output_format == "json":
        echo_json(contract.dags_json(listings))
    else:
        echo(tables.dags_text(listings, rev))


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
