"""The sync protocol's server core: push (exactly-once application of a till's ops),
pull (gap-free changes after a cursor), the live feed and the bucket digests. It knows
nothing of HTTP: sync_server/api/sync.py translates requests to these calls."""
