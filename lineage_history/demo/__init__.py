"""The demo repository: a scripted history of the example pipeline, and the `demo` command's run."""
