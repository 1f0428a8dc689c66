"""lineage-history: git-aware lineage history for Hamilton dataflows."""

__version__ = "0.1.0"
