"""Use cases: called by the store API and the sync push alike; they never commit."""
