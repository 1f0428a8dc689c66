"""Which DAGs a commit has: its TOML definitions, the import model, driver-code discovery and its
caches, the `dags`/`init` listing."""
