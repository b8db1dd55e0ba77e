"""The engine apps that `simlib.conformance` runs as child processes (scripts, not imported)."""
