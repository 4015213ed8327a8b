"""Fixtures shared by the live feed's tests (tests/support/live_feed.py)."""

from tests.support.live_feed import shop_on_pg, writer

__all__ = ["shop_on_pg", "writer"]
