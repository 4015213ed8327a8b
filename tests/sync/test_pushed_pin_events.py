"""Wrong PINs typed at a till, as the push answers them: each event is answered by its
own id, counted once, refused when it names a PIN the store does not have, and
forgotten (then counted again if resent) once the till has more than its quota.

Written against the mutants mutmut left alive in sync_server/sync/push_pins.py
(docs/mutation.md): a refused event answered without its id or with another status,
a replayed event answered "counted", the per-till purge run for no till."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from sync_server.models import StaffPin
from sync_server.models.sync import PinFailureEvent
from sync_server.services import purge
from tests.support.shop import make_shop
from tests.support.till import pair


def _event(pin_id: int) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "staff_pin_id": pin_id,
        "occurred_at": datetime.now(UTC).isoformat(),
    }


def test_an_event_naming_a_pin_the_store_does_not_have_is_refused_by_its_id(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    unknown = _event(shop.pin_ids[till.store_id] + 1000)

    answer = till.push([], [unknown]).json()["pin_failures"]

    assert answer == [{"event_id": unknown["event_id"], "status": "rejected", "locked_until": None}]


def test_a_resent_event_is_answered_duplicate_and_counted_once(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    event = _event(pin)

    first = till.push([], [event]).json()["pin_failures"]
    again = till.push([], [event]).json()["pin_failures"]

    assert first == [{"event_id": event["event_id"], "status": "counted", "locked_until": None}]
    assert again == [{"event_id": event["event_id"], "status": "duplicate", "locked_until": None}]
    with session_factory() as session:
        assert session.get_one(StaffPin, pin).failed_attempts == 1


def test_a_till_keeps_only_its_latest_event_ids_and_a_forgotten_one_counts_again(
    client, session_factory, monkeypatch
):
    """Planted bug it catches: the per-till purge run for no till (``terminal_id`` None)
    keeps every event id for ever."""
    monkeypatch.setattr(purge, "EVENTS_PER_TERMINAL", 2)
    shop = make_shop(session_factory)
    client.put(
        "/api/v1/store/loyalty/settings",
        json={"pin_lockout_attempts": 20},
        headers=shop.owner_headers,
    )
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    events = [_event(pin) for _ in range(4)]
    for event in events:
        till.push([], [event])

    oldest, newest = events[0], events[-1]
    answers = till.push([], [oldest, newest]).json()["pin_failures"]

    assert [a["status"] for a in answers] == ["counted", "duplicate"]
    with session_factory() as session:
        kept = session.scalar(
            select(func.count())
            .select_from(PinFailureEvent)
            .where(PinFailureEvent.terminal_id == till.terminal_id)
        )
    assert kept == 2
