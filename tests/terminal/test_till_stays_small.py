"""A till that runs for years stays small: settled ops, the store's pulled history and
sent wrong-PIN events older than the merchant's window are pruned; what is still work
(an op the server has not answered, a refusal nobody acknowledged) never is."""

import json
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import text

from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient
from tests.support.shop import make_shop

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=120)
RECENT = NOW - timedelta(days=10)
BEFORE = NOW - timedelta(days=90)
BASE = "https://testserver"


def _op(conn, seq: int, at: datetime, status: str, settled: int, **extra) -> None:
    conn.execute(
        text(
            "INSERT INTO outbox (seq, op_id, card_number, body, client_time, offline, status, "
            "outcome, settled, created_at, acknowledged_at) "
            "VALUES (:seq, :id, '1000000000000016', :body, :at, 1, :status, :outcome, "
            ":settled, :at, :ack)"
        ),
        {
            "seq": seq,
            "id": f"op-{seq}",
            "body": json.dumps({"type": "stamp.add", "card_number": "1000000000000016"}),
            "at": at.isoformat(),
            "status": status,
            "outcome": json.dumps(extra.get("outcome", {})),
            "settled": settled,
            "ack": extra.get("acknowledged_at"),
        },
    )


def _left(store: LocalStore, table: str, key: str) -> set:
    with store.engine.connect() as conn:
        return {row[0] for row in conn.execute(text(f"SELECT {key} FROM {table}"))}


def test_only_what_is_settled_and_older_than_the_window_goes(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    with store.transaction() as conn:
        _op(conn, 1, OLD, "applied", 1)  # settled long ago: goes
        _op(conn, 2, OLD, "pending", 0)  # never answered: stays, however old
        _op(conn, 3, OLD, "rejected", 1, outcome={"code": "INSUFFICIENT_POINTS"})  # work
        _op(conn, 4, OLD, "rejected", 1, acknowledged_at=OLD.isoformat())  # done: goes
        _op(conn, 5, RECENT, "applied", 1)  # inside the window: stays
        _op(conn, 6, OLD, "applied", 0)  # applied, its pull not landed yet: stays
        _op(
            conn, 7, OLD, "applied", 1, outcome={"code": "OFFLINE_OVERSPEND"}
        )  # applied with a warning nobody acknowledged: stays
        for ident, at in ((1, OLD), (2, RECENT)):
            conn.execute(
                text(
                    "INSERT INTO transactions (id, card_id, type, stamps_delta, points_delta, "
                    "created_at) VALUES (:id, 1, 'STAMP_EARNED', 1, 0, :at)"
                ),
                {"id": ident, "at": at.isoformat().replace("+00:00", "Z")},
            )
        for event, at, sent in (("e-old-sent", OLD, 1), ("e-old-unsent", OLD, 0)):
            conn.execute(
                text(
                    "INSERT INTO pin_failures (event_id, staff_pin_id, occurred_at, sent) "
                    "VALUES (:e, 1, :at, :sent)"
                ),
                {"e": event, "at": at.isoformat(), "sent": sent},
            )

    removed = store.prune(BEFORE)

    assert removed == {"outbox": 2, "transactions": 1, "pin_failures": 1}
    assert _left(store, "outbox", "seq") == {2, 3, 5, 6, 7}
    assert _left(store, "transactions", "id") == {2}
    assert _left(store, "pin_failures", "event_id") == {"e-old-unsent"}


def test_an_op_dated_in_another_zone_is_judged_by_its_instant(tmp_path):
    """Two hours before the window, written on a till at UTC+10: its clock reads eight
    hours after the window's start, so comparing the ISO texts would keep it; its
    instant is before, so it goes."""
    store = LocalStore(tmp_path / "till.db")
    at = (BEFORE - timedelta(hours=2)).astimezone(timezone(timedelta(hours=10)))
    with store.transaction() as conn:
        _op(conn, 1, at, "applied", 1)

    assert store.prune(BEFORE)["outbox"] == 1


def test_a_sync_round_prunes_by_the_merchants_window(client, session_factory, tmp_path):
    shop = make_shop(session_factory)
    client.put(
        "/api/v1/store/loyalty/settings", json={"till_history_days": 30}, headers=shop.owner_headers
    )
    store = LocalStore(tmp_path / "till.db")

    class Tokens:
        token = None

        def get(self):
            return self.token

        def set(self, token):
            self.token = token

        def delete(self):
            self.token = None

    sync = SyncClient(store, Tokens(), transport=client._transport)
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers).json()["code"]
    sync.pair(BASE, code, "Front till")
    assert sync.sync_once().online
    assert store.get_meta("settings")["history_days"] == 30
    with store.transaction() as conn:
        _op(conn, 1, datetime.now(UTC) - timedelta(days=31), "applied", 1)
        _op(conn, 2, datetime.now(UTC) - timedelta(days=29), "applied", 1)
        store.set_meta(conn, "pruned_at", (datetime.now(UTC) - timedelta(hours=2)).isoformat())

    assert sync.sync_once().online

    assert _left(store, "outbox", "seq") == {2}
