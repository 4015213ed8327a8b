"""A clock the tests move by hand, so budgets that span minutes are tested without waiting."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI

from sync_server.api.deps import get_now


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    """The app's ``now`` for every request, until the test moves it."""
    fake = Clock()
    app.dependency_overrides[get_now] = fake
    return fake


# Merchants A and B of the store-API tests, built the same way here.
from tests.store_api.conftest import a, b  # noqa: E402, F401
