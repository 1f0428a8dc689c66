"""initial schema

Revision ID: 0001
Revises:
The tables of lineage_history/store/schema.py as first released.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definitions")),
        sa.UniqueConstraint("digest", name=op.f("uq_definitions_digest")),
    )
    op.create_table(
        "node_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("dependencies", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=True),
        sa.Column("module", sa.Text(), nullable=True),
        sa.Column("function", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_versions")),
        sa.UniqueConstraint("digest", name=op.f("uq_node_versions_digest")),
    )
    with op.batch_alter_table("node_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_node_versions_name"), ["name"], unique=False)

    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repositories")),
        sa.UniqueConstraint("identity", name=op.f("uq_repositories_identity")),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("node_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint("digest", name=op.f("uq_snapshots_digest")),
    )
    op.create_table(
        "builds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["snapshots.id"], name=op.f("fk_builds_snapshot_id_snapshots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_builds")),
        sa.UniqueConstraint("key", name=op.f("uq_builds_key")),
    )
    op.create_table(
        "commits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("parents", sa.Text(), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("author_email", sa.Text(), nullable=False),
        sa.Column("authored_at", sa.Integer(), nullable=False),
        sa.Column("committed_at", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("indexed_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_commits_repository_id_repositories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commits")),
        sa.UniqueConstraint("repository_id", "sha", name=op.f("uq_commits_repository_id")),
    )
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.create_index("ix_commits_sha", ["sha"], unique=False)

    op.create_table(
        "index_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("built", sa.Integer(), nullable=False),
        sa.Column("reused", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_index_runs_repository_id_repositories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_runs")),
    )
    op.create_table(
        "node_tags",
        sa.Column("node_version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_version_id"],
            ["node_versions.id"],
            name=op.f("fk_node_tags_node_version_id_node_versions"),
        ),
        sa.PrimaryKeyConstraint("node_version_id", "key", "value", name=op.f("pk_node_tags")),
    )
    with op.batch_alter_table("node_tags", schema=None) as batch_op:
        batch_op.create_index("ix_node_tags_key_value", ["key", "value"], unique=False)

    op.create_table(
        "refs",
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"], ["repositories.id"], name=op.f("fk_refs_repository_id_repositories")
        ),
        sa.PrimaryKeyConstraint("repository_id", "name", name=op.f("pk_refs")),
    )
    op.create_table(
        "snapshot_nodes",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("node_version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_version_id"],
            ["node_versions.id"],
            name=op.f("fk_snapshot_nodes_node_version_id_node_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["snapshots.id"], name=op.f("fk_snapshot_nodes_snapshot_id_snapshots")
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "node_version_id", name=op.f("pk_snapshot_nodes")),
    )
    with op.batch_alter_table("snapshot_nodes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_snapshot_nodes_node_version_id", ["node_version_id"], unique=False
        )

    op.create_table(
        "commit_dags",
        sa.Column("commit_id", sa.Integer(), nullable=False),
        sa.Column("dag", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("build_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["build_id"], ["builds.id"], name=op.f("fk_commit_dags_build_id_builds")
        ),
        sa.ForeignKeyConstraint(
            ["commit_id"], ["commits.id"], name=op.f("fk_commit_dags_commit_id_commits")
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definitions.id"],
            name=op.f("fk_commit_dags_definition_id_definitions"),
        ),
        sa.PrimaryKeyConstraint("commit_id", "dag", name=op.f("pk_commit_dags")),
    )
    with op.batch_alter_table("commit_dags", schema=None) as batch_op:
        batch_op.create_index("ix_commit_dags_build_id", ["build_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("commit_dags", schema=None) as batch_op:
        batch_op.drop_index("ix_commit_dags_build_id")

    op.drop_table("commit_dags")
    with op.batch_alter_table("snapshot_nodes", schema=None) as batch_op:
        batch_op.drop_index("ix_snapshot_nodes_node_version_id")

    op.drop_table("snapshot_nodes")
    op.drop_table("refs")
    with op.batch_alter_table("node_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_node_tags_key_value")

    op.drop_table("node_tags")
    op.drop_table("index_runs")
    with op.batch_alter_table("commits", schema=None) as batch_op:
        batch_op.drop_index("ix_commits_sha")

    op.drop_table("commits")
    op.drop_table("builds")
    op.drop_table("snapshots")
    op.drop_table("repositories")
    with op.batch_alter_table("node_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_node_versions_name"))

    op.drop_table("node_versions")
    op.drop_table("definitions")
