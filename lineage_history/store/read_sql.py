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
REF_NAMES = "SELECT name FROM refs WHERE repository_id = ? ORDER BY name"
SHA_PREFIX = "SELECT sha FROM commits WHERE repository_id = ? AND sha LIKE ? LIMIT 2"
INDEXED_SHAS = "SELECT sha FROM commits WHERE repository_id = ?"
INDEXED_AMONG = "SELECT sha FROM commits WHERE repository_id = ? AND sha IN ({shas})"
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
# Whether there is more than one DAG needs two names, not all of them (a scan of every state).
TWO_DAG_NAMES = DAG_NAMES + " LIMIT 2"
# The DAGs with a state at some commits (ALL_DAGS included: a definition that failed to read).
DAGS_AT = (
    "SELECT DISTINCT d.dag FROM commit_dags d JOIN commits c ON c.id = d.commit_id "
    "WHERE c.repository_id = ? AND c.sha IN ({shas})"
)
# Each DAG with the number of commits that define it and the date of the newest of them.
DAG_SUMMARIES = (
    "SELECT d.dag, count(*), max(c.authored_at) FROM commit_dags d "
    "JOIN commits c ON c.id = d.commit_id WHERE c.repository_id = ? AND d.dag <> ? "
    "GROUP BY d.dag ORDER BY d.dag"
)
DAG_KNOWN = (
    "SELECT 1 FROM commit_dags d JOIN commits c ON c.id = d.commit_id "
    "WHERE c.repository_id = ? AND d.dag = ? LIMIT 1"
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
# `status` counts DAG states by their build through the index on `build_id`, then joins the
# few hundred builds; `_ALL` is for a database that holds one repository, where no row needs
# its commit's repository checked (a row lookup each: 10x slower on a long history).
_IN_REPOSITORY = "commit_id IN (SELECT id FROM commits WHERE repository_id = ?)"
_PER_BUILD = (
    "SELECT b.status, b.snapshot_id, b.stubbed, g.n FROM (SELECT build_id, count(*) AS n "
    "FROM commit_dags WHERE build_id IS NOT NULL {filter} GROUP BY build_id) g "
    "JOIN builds b ON b.id = g.build_id"
)
STATES_PER_BUILD_ALL = _PER_BUILD.replace("{filter}", "")
STATES_PER_BUILD = _PER_BUILD.replace("{filter}", f"AND {_IN_REPOSITORY}")
_UNBUILT = (
    "SELECT status, count(*) FROM commit_dags WHERE build_id IS NULL {filter} GROUP BY status"
)
UNBUILT_STATES_ALL = _UNBUILT.replace("{filter}", "")
UNBUILT_STATES = _UNBUILT.replace("{filter}", f"AND {_IN_REPOSITORY}")
FAILED_COMMIT_COUNT = (
    "SELECT count(*) FROM (SELECT commit_id FROM commit_dags "
    f"WHERE build_id IN (SELECT id FROM builds WHERE status = ?) AND {_IN_REPOSITORY} "
    "UNION SELECT commit_id FROM commit_dags WHERE build_id IS NULL AND status = ? "
    f"AND {_IN_REPOSITORY}) failed"
)
LAST_RUN = (
    "SELECT started_at, finished_at, status, seen, built, reused, failed, message "
    "FROM index_runs WHERE repository_id = ? ORDER BY id DESC LIMIT 1"
)
# Failed DAG states: those of failed builds, found through the index on `build_id` (the
# unary `+` keeps planners from walking every commit of the repository first), and those whose
# definition failed (no build).
FAILED_STATES = (
    "SELECT c.sha, d.dag, d.error, b.error, c.position FROM commit_dags d "
    "JOIN builds b ON b.id = d.build_id JOIN commits c ON c.id = d.commit_id "
    "WHERE d.build_id IN (SELECT id FROM builds WHERE status = ?) AND +c.repository_id = ? "
    "UNION ALL SELECT c.sha, d.dag, d.error, NULL, c.position FROM commit_dags d "
    "JOIN commits c ON c.id = d.commit_id "
    "WHERE d.build_id IS NULL AND d.status = ? AND c.repository_id = ? ORDER BY 5"
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
