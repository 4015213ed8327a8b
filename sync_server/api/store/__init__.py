"""The store API: what a store (its manager, owner, or paired till) can do."""
