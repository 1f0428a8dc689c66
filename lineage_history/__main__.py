"""`python -m lineage_history` runs the command line."""

from lineage_history.cli import main

main()
