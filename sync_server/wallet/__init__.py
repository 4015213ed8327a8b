"""Wallet passes: Apple's .pkpass and web service, Google's loyalty objects, and the
worker that makes both follow the ledger (docs/wallets.md)."""
