"""Data layer: the only code that touches disk (SQLite store, caches) or the network (providers)."""
