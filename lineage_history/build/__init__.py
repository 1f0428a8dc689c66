"""One DAG built in isolation: build plans and keys, the pool of fork servers, the build child,
code fingerprints and stand-ins. The only code that imports Hamilton."""
