"""sitegen: turns Daily Papers digests into a fast, searchable static archive."""

__version__ = "0.1.0"
