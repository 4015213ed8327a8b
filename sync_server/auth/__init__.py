"""Owner/manager login and store-scoped bearer tokens."""
