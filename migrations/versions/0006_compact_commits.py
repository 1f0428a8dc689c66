"""compact commits: drop the second SHA index and the per-commit columns nothing reads

`ix_commits_sha` repeated the unique `(repository_id, sha)` index, which serves every
lookup by SHA (the one across repositories goes repository by repository); `committed_at`
and `indexed_at` were written for every commit and never read.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On SQLite a batch ALTER rebuilds `commits`, which `commit_dags` references: it needs
    # foreign keys off (lineage_history.store.database turns them off around migrations).
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.drop_index("ix_commits_sha")
        batch_op.drop_column("committed_at")
        batch_op.drop_column("indexed_at")


def downgrade() -> None:
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indexed_at", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("committed_at", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_commits_sha", ["sha"], unique=False)
