"""Shared test helpers (real processes and real data, no mocks)."""
