"""The write side: an index session (lock, signals, watch), one run over a history, commit plans,
and build claims shared between indexers."""
