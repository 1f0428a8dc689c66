"""repository roots: every root commit a repository is known by, and shallow boundaries

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repository_roots",
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("shallow", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_repository_roots_repository_id_repositories"),
        ),
        sa.PrimaryKeyConstraint("repository_id", "sha", name=op.f("pk_repository_roots")),
    )
    with op.batch_alter_table("repository_roots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repository_roots_sha"), ["sha"], unique=False)
    # Each repository so far was known by one root commit: its identity.
    op.execute(
        "INSERT INTO repository_roots (repository_id, sha, shallow) "
        "SELECT id, identity, false FROM repositories"
    )


def downgrade() -> None:
    op.drop_table("repository_roots")
