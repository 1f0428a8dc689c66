"""The only code that runs git: revisions, commit lists, refs, a commit's tree, a clone on disk."""
