"""Pure lineage: the snapshot model, the diff, graph algorithms, tag selectors and rules;
no I/O."""
