"""The terminal's engine: local cache, outbox and offline rules, without any widget."""
