"""Rank layer: task analysis, the file graph, PageRank and the repository map."""
