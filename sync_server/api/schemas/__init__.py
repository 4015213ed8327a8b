"""Request and response bodies of the HTTP API (never the ORM models themselves)."""
