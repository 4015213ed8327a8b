"""Benchmarks and fault runs (``python -m bench.chaos``)."""
