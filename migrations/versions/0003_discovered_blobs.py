"""discovered_blobs: driver calls found in each `.py` blob, so no blob is parsed twice

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discovered_blobs",
        sa.Column("blob_id", sa.String(length=64), nullable=False),
        sa.Column("parser_version", sa.String(length=20), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("blob_id", "parser_version", name=op.f("pk_discovered_blobs")),
    )


def downgrade() -> None:
    op.drop_table("discovered_blobs")
