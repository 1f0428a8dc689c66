"""Every question to the lineage history, answered from the database alone (no Hamilton, no
SQLAlchemy on the read path)."""
