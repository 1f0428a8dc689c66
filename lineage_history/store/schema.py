"""The database tables (SQLAlchemy Core). Alembic migrations in `migrations/` create them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Stable constraint names on SQLite and PostgreSQL alike, so migrations can alter them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

repositories = Table(
    "repositories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("identity", String(200), nullable=False, unique=True),  # the root commit's SHA
    Column("name", String(200), nullable=False),
    Column("path", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

repository_roots = Table(
    "repository_roots",
    metadata,
    Column("repository_id", ForeignKey("repositories.id"), primary_key=True),
    Column("sha", String(64), primary_key=True, index=True),  # a root commit it is known by
    Column("shallow", Boolean, nullable=False),  # a shallow clone's boundary, not a true root
)

authors = Table(
    "authors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),  # store.author_digest
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
)

commits = Table(
    "commits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repository_id", ForeignKey("repositories.id"), nullable=False),
    Column("sha", String(64), nullable=False),
    Column("parents", LargeBinary, nullable=False),  # the parent SHAs as bytes, in order
    Column("author_id", ForeignKey("authors.id"), nullable=False),
    Column("authored_at", Integer, nullable=False),
    Column("subject", Text, nullable=False),
    Column("position", Integer, nullable=False),  # topological order of first indexing
    UniqueConstraint("repository_id", "sha"),  # serves every lookup by SHA
)

refs = Table(
    "refs",
    metadata,
    Column("repository_id", ForeignKey("repositories.id"), primary_key=True),
    Column("name", String(400), primary_key=True),
    Column("sha", String(64), nullable=False),
    Column("updated_at", Float, nullable=False),
)

definitions = Table(
    "definitions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("body", Text, nullable=False),  # JSON: modules, config, include, preload
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("config", Text, nullable=False),  # JSON of the Hamilton config
    Column("node_count", Integer, nullable=False),
)

node_versions = Table(
    "node_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False, index=True),
    Column("type", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("dependencies", Text, nullable=False),  # JSON list
    Column("tags", Text, nullable=False),  # JSON object
    Column("doc", Text, nullable=False),
    Column("code", String(200)),
    Column("module", Text),
    Column("function", Text),
)

snapshot_nodes = Table(
    "snapshot_nodes",
    metadata,
    Column("snapshot_id", ForeignKey("snapshots.id"), primary_key=True),
    Column("node_version_id", ForeignKey("node_versions.id"), primary_key=True),
    Index("ix_snapshot_nodes_node_version_id", "node_version_id"),
)

node_tags = Table(
    "node_tags",
    metadata,
    Column("node_version_id", ForeignKey("node_versions.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", String(400), primary_key=True),
    Index("ix_node_tags_key_value", "key", "value"),
)

builds = Table(
    "builds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("status", String(20), nullable=False),  # ok | failed
    Column("snapshot_id", ForeignKey("snapshots.id")),
    Column("error", Text),
    Column("seconds", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("stubbed", Text),  # JSON list of the build's stand-ins; NULL for an exact build
)

commit_dags = Table(
    "commit_dags",
    metadata,
    Column("commit_id", ForeignKey("commits.id"), primary_key=True),
    Column("dag", String(200), primary_key=True),  # "" when the definition itself is broken
    Column("status", String(20), nullable=False),  # ok | failed | absent
    Column("definition_id", ForeignKey("definitions.id")),
    Column("build_id", ForeignKey("builds.id")),
    Column("error", Text),
    Index("ix_commit_dags_build_id", "build_id"),
)

index_runs = Table(
    "index_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repository_id", ForeignKey("repositories.id"), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("status", String(20), nullable=False),  # running | ok | failed | interrupted
    Column("seen", Integer, nullable=False, default=0),
    Column("built", Integer, nullable=False, default=0),
    Column("reused", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("message", Text),
    Column("host", String(200)),
    Column("pid", Integer),
)

build_claims = Table(
    "build_claims",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("owner", String(200), nullable=False),  # host:pid:random of the claiming worker
    Column("claimed_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),  # a dead worker's claim lapses here
)

discovered_blobs = Table(
    "discovered_blobs",
    metadata,
    Column("blob_id", String(64), primary_key=True),  # git blob id of a `.py` file
    Column("parser_version", String(20), primary_key=True),  # discovery.PARSER_VERSION
    Column("result", Text, nullable=False),  # JSON list of its driver calls (often [])
)
