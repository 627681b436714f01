"""`govbus status`: one screen for an operator (model.py pure, sources.py I/O, screen.py rich)."""
