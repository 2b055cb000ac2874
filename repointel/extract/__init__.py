"""Extract layer: one module per map, each a pure function of parsed files or repository files."""
