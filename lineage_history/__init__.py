"""lineage-history: git-aware lineage history for Hamilton dataflows.

The public Python API is the pure core: the snapshot model and the diff. Indexing and
questions are reached through `lineage_history.index.session` and `lineage_history.queries`,
which the command line uses.
"""

from lineage_history.dag.diff import LineageDiff, NodeChange, diff
from lineage_history.dag.model import Node, Snapshot

__version__ = "0.1.0"
__all__ = ["LineageDiff", "Node", "NodeChange", "Snapshot", "__version__", "diff"]
