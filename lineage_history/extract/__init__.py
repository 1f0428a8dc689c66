"""Extraction: build a commit's Hamilton DAG in an isolated child process, return a Snapshot."""

from lineage_history.extract.pool import BuildOutcome, BuildRequest, ExtractorPool

__all__ = ["BuildOutcome", "BuildRequest", "ExtractorPool"]
