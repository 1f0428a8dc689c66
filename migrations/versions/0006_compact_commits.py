"""compact commits: authors in their own table, parents as bytes, one SHA index

Each commit repeated its author's name and e-mail; it now points at an `authors` row. Its
parents were hex SHAs separated by spaces; they are now the SHAs' bytes, half the size.
`ix_commits_sha` repeated the unique `(repository_id, sha)` index, which serves every
lookup by SHA (the one across repositories goes repository by repository); `committed_at`
and `indexed_at` were written for every commit and never read.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _digest(name: str, email: str) -> str:
    """As lineage_history.store.writer.author_digest computes it."""
    return hashlib.sha256(f"{name}\0{email}".encode("utf-8", "surrogatepass")).hexdigest()


def upgrade() -> None:
    authors = op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("digest", name=op.f("uq_authors_digest")),
    )
    pairs = op.get_bind().execute(sa.text("SELECT DISTINCT author_name, author_email FROM commits"))
    rows = [{"digest": _digest(name, email), "name": name, "email": email} for name, email in pairs]
    if rows:
        op.bulk_insert(authors, rows)
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("parent_shas", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE commits SET author_id = (SELECT a.id FROM authors a "
        "WHERE a.name = commits.author_name AND a.email = commits.author_email)"
    )
    _convert_parents(
        "SELECT id, parents FROM commits",
        "UPDATE commits SET parent_shas = :value WHERE id = :id",
        lambda row: bytes.fromhex(row.parents.replace(" ", "")),
    )
    # On SQLite this batch rebuilds `commits`, which `commit_dags` references: it needs
    # foreign keys off (lineage_history.store.database turns them off around migrations).
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.alter_column("author_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_commits_author_id_authors"), "authors", ["author_id"], ["id"]
        )
        batch_op.drop_index("ix_commits_sha")
        for column in ("author_name", "author_email", "committed_at", "indexed_at", "parents"):
            batch_op.drop_column(column)
        batch_op.alter_column(
            "parent_shas",
            new_column_name="parents",
            existing_type=sa.LargeBinary(),
            nullable=False,
        )


def _convert_parents(query: str, update: str, convert: Callable[[Any], Any]) -> None:
    bind = op.get_bind()
    rows = [{"id": row.id, "value": convert(row)} for row in bind.execute(sa.text(query))]
    if rows:
        bind.execute(sa.text(update), rows)


def downgrade() -> None:
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_name", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("author_email", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("committed_at", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("indexed_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("parent_text", sa.Text(), nullable=True))
    _convert_parents(
        "SELECT id, sha, parents FROM commits",
        "UPDATE commits SET parent_text = :value WHERE id = :id",
        lambda row: " ".join(_split(bytes(row.parents).hex(), len(row.sha))),
    )
    op.execute(
        "UPDATE commits SET "
        "author_name = (SELECT a.name FROM authors a WHERE a.id = commits.author_id), "
        "author_email = (SELECT a.email FROM authors a WHERE a.id = commits.author_id), "
        "committed_at = authored_at, indexed_at = 0"
    )
    with op.batch_alter_table("commits", schema=None) as batch_op:
        for column, kind in (
            ("author_name", sa.Text()),
            ("author_email", sa.Text()),
            ("committed_at", sa.Integer()),
            ("indexed_at", sa.Float()),
        ):
            batch_op.alter_column(column, existing_type=kind, nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_commits_author_id_authors"), type_="foreignkey")
        batch_op.drop_column("author_id")
        batch_op.drop_column("parents")
        batch_op.alter_column(
            "parent_text", new_column_name="parents", existing_type=sa.Text(), nullable=False
        )
        batch_op.create_index("ix_commits_sha", ["sha"], unique=False)
    op.drop_table("authors")


def _split(hexed: str, width: int) -> list[str]:
    return [hexed[i : i + width] for i in range(0, len(hexed), width)]
