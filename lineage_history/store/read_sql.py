"""The SQL of every read: the one text both the fast read path (the `sqlite3` module) and
PostgreSQL (psycopg) run. `?` marks a parameter and `{name}` a list of them; a test prepares
every statement against the schema the migrations make and against SQLAlchemy's tables.

No statement may contain a literal `%` or `?` (psycopg's parameters are `%s`).
"""

from __future__ import annotations

REVISION = "SELECT version_num FROM alembic_version"

REPOSITORIES = "SELECT id, identity, name, path, created_at FROM repositories ORDER BY id"
REPOSITORY_BY_ROOT = (
    "SELECT repository_id FROM repository_roots WHERE sha IN ({shas}) "
    "ORDER BY repository_id LIMIT 1"
)
# Repository by repository, so that the `(repository_id, sha)` index serves it.
REPOSITORY_BY_COMMIT = (
    "SELECT r.id FROM repositories r WHERE EXISTS (SELECT 1 FROM commits c "
    "WHERE c.repository_id = r.id AND c.sha IN ({shas})) ORDER BY r.id LIMIT 1"
)
REPOSITORIES_WITH_COMMIT = (
    "SELECT r.id FROM repositories r WHERE EXISTS (SELECT 1 FROM commits c "
    "WHERE c.repository_id = r.id AND c.sha = ?) ORDER BY r.id"
)
SHALLOW_BOUNDARIES = "SELECT sha FROM repository_roots WHERE repository_id = ? AND shallow = ?"

REF = "SELECT sha FROM refs WHERE repository_id = ? AND name = ?"
SHA_PREFIX = "SELECT sha FROM commits WHERE repository_id = ? AND sha LIKE ? LIMIT 2"
INDEXED_SHAS = "SELECT sha FROM commits WHERE repository_id = ?"
_COMMIT = (
    "SELECT c.id, c.sha, c.parents, a.name, a.email, c.authored_at, c.subject, c.position "
    "FROM commits c JOIN authors a ON a.id = c.author_id WHERE c.repository_id = ?"
)
COMMIT = _COMMIT + " AND c.sha = ?"
COMMITS = _COMMIT + " ORDER BY c.position"

DAG_NAMES = (
    "SELECT DISTINCT d.dag FROM commit_dags d JOIN commits c ON c.id = d.commit_id "
    "WHERE c.repository_id = ? AND d.dag <> ?"
)
# A DAG state's status is its build's once it points at one.
_EFFECTIVE = "CASE WHEN d.build_id IS NOT NULL THEN b.status ELSE d.status END"
DAG_STATES = (
    f"SELECT c.sha, d.dag, {_EFFECTIVE}, d.error, b.snapshot_id, b.error, b.stubbed "
    "FROM commits c "
    "LEFT JOIN commit_dags d ON d.commit_id = c.id AND d.dag IN (?, ?) "
    "LEFT JOIN builds b ON b.id = d.build_id WHERE c.repository_id = ?"
)
DAG_STATES_AT = DAG_STATES + " AND c.sha IN ({shas})"

SNAPSHOT_CONFIG = "SELECT config FROM snapshots WHERE id = ?"
_NODE = "v.name, v.type, v.role, v.dependencies, v.tags, v.doc, v.code, v.module, v.function"
_IN_SNAPSHOTS = "FROM node_versions v JOIN snapshot_nodes s ON s.node_version_id = v.id"
SNAPSHOT_NODES = f"SELECT {_NODE} {_IN_SNAPSHOTS} WHERE s.snapshot_id = ?"
NODE_VERSIONS = (
    f"SELECT s.snapshot_id, {_NODE} {_IN_SNAPSHOTS} WHERE v.name = ? AND s.snapshot_id IN ({{ids}})"
)
NAMES = f"SELECT DISTINCT v.name {_IN_SNAPSHOTS} WHERE s.snapshot_id IN ({{ids}})"
TAGS = (
    f"SELECT s.snapshot_id, v.name, v.tags {_IN_SNAPSHOTS} "
    "WHERE v.name IN ({names}) AND s.snapshot_id IN ({ids})"
)

BUILT_SNAPSHOT = "SELECT snapshot_id, stubbed FROM builds WHERE key = ? AND status = ?"

COMMIT_COUNT = "SELECT count(*) FROM commits WHERE repository_id = ?"
_DAG_STATES_IN_REPOSITORY = (
    f"(SELECT d.commit_id, b.snapshot_id, b.stubbed, {_EFFECTIVE} AS effective_status "
    "FROM commit_dags d JOIN commits c ON c.id = d.commit_id "
    "LEFT JOIN builds b ON b.id = d.build_id WHERE c.repository_id = ?) AS states"
)
# One scan of the repository's DAG states: distinct snapshots, commits with a failed DAG, and
# (commit, DAG) pairs by kind: built exactly (ok), with stand-ins (stubbed), failed.
DAG_STATE_COUNTS = (
    "SELECT count(DISTINCT snapshot_id), "
    "count(DISTINCT CASE WHEN effective_status = ? THEN commit_id END), "
    "sum(CASE WHEN effective_status = ? AND stubbed IS NULL THEN 1 ELSE 0 END), "
    "sum(CASE WHEN effective_status = ? AND stubbed IS NOT NULL THEN 1 ELSE 0 END), "
    "sum(CASE WHEN effective_status = ? THEN 1 ELSE 0 END) "
    f"FROM {_DAG_STATES_IN_REPOSITORY}"
)
LAST_RUN = (
    "SELECT started_at, finished_at, status, seen, built, reused, failed, message "
    "FROM index_runs WHERE repository_id = ? ORDER BY id DESC LIMIT 1"
)
FAILED_STATES = (
    "SELECT c.sha, d.dag, d.error, b.error FROM commits c "
    "JOIN commit_dags d ON d.commit_id = c.id LEFT JOIN builds b ON b.id = d.build_id "
    f"WHERE c.repository_id = ? AND {_EFFECTIVE} = ? ORDER BY c.position"
)
STUBBED_STATES = (
    "SELECT c.sha, d.dag, b.key FROM commits c "
    "JOIN commit_dags d ON d.commit_id = c.id JOIN builds b ON b.id = d.build_id "
    "WHERE c.repository_id = ? AND b.status = ? AND b.stubbed IS NOT NULL ORDER BY c.position"
)


def statements() -> dict[str, str]:
    """Every statement by name (what the schema test prepares)."""
    return {
        name: value
        for name, value in globals().items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str)
    }
