"""Tables an attacker can grow stay bounded without a cron job: each write that adds a
row also sweeps dead ones away (sync_server/services/purge.py). Each test grows its
table the way an attacker would, over several windows, and counts the rows."""

import uuid
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sync_server.models.sync import PairingCode, PinFailureEvent, Throttle
from sync_server.services.attempts import PAIR_PER_IP
from sync_server.services.pairing import CODE_TTL
from sync_server.services.purge import EVENTS_PER_TERMINAL
from tests.support.shop import make_shop
from tests.support.till import pair

IPS_PER_WINDOW = 60


def _rows(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_wrong_pairing_codes_from_ever_new_ips_leave_one_window_of_counters(
    app: FastAPI, session_factory, clock
):
    counts = []
    for window in range(3):
        for i in range(IPS_PER_WINDOW):
            guesser = TestClient(app, client=(f"10.{window}.{i // 250}.{i % 250}", 40000))
            wrong = guesser.post("/api/v1/sync/pair", json={"code": "ZZZZZ-ZZZZZ", "name": "x"})
            assert wrong.status_code == 404, wrong.text
        counts.append(_rows(session_factory, Throttle))
        clock.advance(PAIR_PER_IP.window)

    assert counts == [IPS_PER_WINDOW] * 3


def test_a_till_pushing_endless_wrong_pins_keeps_a_bounded_number_of_event_ids(
    client, session_factory, clock
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    pin_id = shop.pin_ids[shop.store_ids[0]]
    for _ in range(3):  # 3 batches of 500 fresh event ids, as fast as the batch limit allows
        failures = [
            {"event_id": str(uuid.uuid4()), "staff_pin_id": pin_id, "occurred_at": till.now()}
            for _ in range(500)
        ]
        for failure in failures:
            failure["occurred_at"] = failure["occurred_at"].isoformat()
        assert till.push([], failures).status_code == 200
        assert _rows(session_factory, PinFailureEvent) <= EVENTS_PER_TERMINAL

    clock.advance(timedelta(days=15))  # past the offline window: event ids expire
    late = {"event_id": str(uuid.uuid4()), "staff_pin_id": pin_id, "occurred_at": till.now()}
    late["occurred_at"] = late["occurred_at"].isoformat()
    for _ in range(EVENTS_PER_TERMINAL // 100):
        assert till.push([], [dict(late, event_id=str(uuid.uuid4()))]).status_code == 200
    assert _rows(session_factory, PinFailureEvent) == EVENTS_PER_TERMINAL // 100


def test_pairing_codes_never_used_are_swept_once_expired(client, session_factory, clock):
    shop = make_shop(session_factory)
    for _ in range(4):
        for _ in range(30):
            issued = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers)
            assert issued.status_code == 201
        assert _rows(session_factory, PairingCode) == 30
        clock.advance(CODE_TTL)
