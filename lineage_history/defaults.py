"""Defaults shared by the command line and the indexer (kept import-free for fast start-up)."""

DEFAULT_TIMEOUT = 120.0  # seconds a build may run before it is killed
DEFAULT_MEMORY_MB = 4096  # address-space limit of a build child
# A build claim lapses this long after its indexer stopped refreshing it (every third of it).
DEFAULT_CLAIM_TIMEOUT = 30.0
