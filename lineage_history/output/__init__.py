"""What the user sees: the JSON contract, terminal tables and Markdown, and DOT/Mermaid pictures."""
