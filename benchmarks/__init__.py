"""Benchmarks of sitegen at archive scale; see benchmarks/README.md."""
