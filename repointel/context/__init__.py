"""Context layer: retrieval, snippet choice, budgeted packing and rendering of packets."""
