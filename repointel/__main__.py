"""``python -m repointel`` runs the CLI."""

from .cli import main

main()
