"""The sync server: authoritative ledger, store API, sync protocol, admin CLI."""
