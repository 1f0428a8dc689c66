"""Alembic environment: one transaction per migration, batch mode on SQLite.

The package (`lineage_history.store.database.upgrade`) passes in a connection already inside
its own transaction and calls Alembic once per migration, so it owns the transactions there;
`transaction_per_migration` applies when Alembic's command line opens the connection.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from lineage_history.store.schema import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
        version_table_schema=config.attributes.get("schema"),
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
