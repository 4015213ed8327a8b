"""Offline rules: redemption limits, over-spend policy, clocks that lie, PIN failures."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sync_server.models import Card, LedgerEntry, StaffPin
from sync_server.models.sync import SyncOp
from tests.support.shop import make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"


def _card_with_points(client, shop, points: int, email="c@example.com") -> str:
    number = client.post(
        f"{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers
    ).json()["card_number"]
    card_id = client.post(
        f"{API}/cards/lookup", params={"card_number": number}, headers=shop.owner_headers
    ).json()["card_id"]
    if not points:
        return number
    adjusted = client.post(
        f"{API}/cards/{card_id}/points/adjust",
        json={"points_delta": points, "reason": "test setup"},
        headers=shop.owner_headers,
    )
    assert adjusted.status_code == 200, adjusted.text
    return number


def _redeem(till: Till, number: str, pin: int, reward="ten", **kw):
    return till.op(
        {"type": "points.redeem", "card_number": number, "reward_id": reward},
        staff_pin_id=pin,
        **kw,
    )


def _set_policy(session_factory, merchant_id: int, **values) -> None:
    from sync_server.models import MerchantSettings

    with session_factory() as session:
        row = session.get(MerchantSettings, merchant_id) or MerchantSettings(
            merchant_id=merchant_id
        )
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()


def test_two_offline_tills_overspending_one_card_are_recorded_and_flagged(client, session_factory):
    """Policy 'allow' (default): what was handed over is recorded, the balance goes
    negative, and the over-spend is flagged for a manager, never dropped."""
    shop = make_shop(session_factory, stores=2)
    till_a = pair(client, shop.owner_headers)
    from tests.support.shop import owner_headers_for

    till_b = pair(client, owner_headers_for(session_factory, shop, shop.store_ids[1]))
    number = _card_with_points(client, shop, 10)

    a = till_a.push(
        [_redeem(till_a, number, shop.pin_ids[till_a.store_id], offline=True, snapshot_age_s=60)]
    )
    b = till_b.push(
        [_redeem(till_b, number, shop.pin_ids[till_b.store_id], offline=True, snapshot_age_s=60)]
    )

    assert a.json()["results"][0]["code"] is None
    flagged = b.json()["results"][0]
    assert flagged["status"] == "applied"
    assert flagged["code"] == "OFFLINE_OVERSPEND"
    assert flagged["card"]["points_balance"] == -10
    attention = client.get(
        "/api/v1/terminals/attention?all_stores=true", headers=shop.owner_headers
    ).json()
    assert [(i["terminal_id"], i["code"]) for i in attention["items"]] == [
        (till_b.terminal_id, "OFFLINE_OVERSPEND")
    ]


def test_with_policy_reject_the_uncovered_offline_redemption_is_rejected_and_kept(
    client, session_factory
):
    shop = make_shop(session_factory)
    _set_policy(session_factory, shop.merchant_id, offline_overspend_policy="reject")
    till = pair(client, shop.owner_headers)
    number = _card_with_points(client, shop, 10)
    pin = shop.pin_ids[till.store_id]

    results = till.push(
        [_redeem(till, number, pin, offline=True, snapshot_age_s=5) for _ in range(2)]
    ).json()["results"]

    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["code"] == "INSUFFICIENT_POINTS"
    with session_factory() as session:
        assert session.scalars(select(Card.points_balance)).one() == 0
        assert (
            session.scalar(select(SyncOp.status).where(SyncOp.op_id == results[1]["op_id"]))
            == "rejected"
        )


@pytest.mark.parametrize(
    ("age", "count", "code"),
    [(48 * 3600, 1, "OFFLINE_LIMIT_EXCEEDED"), (60, 3, "OFFLINE_LIMIT_EXCEEDED")],
    ids=["cache too old", "too many redemptions of one card"],
)
def test_offline_redemptions_beyond_the_limits_are_refused(
    client, session_factory, age, count, code
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _card_with_points(client, shop, 1000)
    pin = shop.pin_ids[till.store_id]

    results = till.push(
        [_redeem(till, number, pin, offline=True, snapshot_age_s=age) for _ in range(count)]
    ).json()["results"]

    assert results[-1]["code"] == code


def test_offline_points_value_limit(client, session_factory):
    shop = make_shop(session_factory)
    _set_policy(session_factory, shop.merchant_id, offline_max_points_per_card=40)
    till = pair(client, shop.owner_headers)
    number = _card_with_points(client, shop, 1000)

    result = till.push(
        [
            _redeem(
                till, number, shop.pin_ids[till.store_id], "fifty", offline=True, snapshot_age_s=5
            )
        ]
    ).json()["results"][0]

    assert result["code"] == "OFFLINE_LIMIT_EXCEEDED"
    assert result["detail"]["limit"] == "points"


@pytest.mark.parametrize("skew_hours", [-7, 5], ids=["till clock 7h behind", "till clock 5h ahead"])
def test_a_skewed_till_clock_is_corrected_for_cooldown_and_ledger_time(
    client, session_factory, skew_hours
):
    """The till's skew cancels out: client_time + (server now - sent_at)."""
    shop = make_shop(session_factory, cooldown_minutes=15)
    till = pair(client, shop.owner_headers)
    till.clock_skew = timedelta(hours=skew_hours)
    pin = shop.pin_ids[till.store_id]
    number = _card_with_points(client, shop, 0)
    twenty_min_ago = till.now() - timedelta(minutes=20)
    ten_min_ago = till.now() - timedelta(minutes=10)

    def stamp(at):
        return till.op(
            {"type": "stamp.add", "card_number": number}, staff_pin_id=pin, client_time=at
        )

    results = till.push([stamp(twenty_min_ago), stamp(ten_min_ago), stamp(till.now())]).json()[
        "results"
    ]

    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["code"] == "COOLDOWN_ACTIVE"
    with session_factory() as session:
        first = session.scalars(
            select(LedgerEntry.created_at)
            .where(LedgerEntry.type == "STAMP_EARNED")
            .order_by(LedgerEntry.id)
        ).first()
    assert abs(first - (datetime.now(UTC) - timedelta(minutes=20))) < timedelta(minutes=1)


def test_a_daily_limit_counts_in_the_store_day_whatever_the_till_clock(client, session_factory):
    shop = make_shop(session_factory, max_daily_stamps=2, timezone="Europe/Paris")
    till = pair(client, shop.owner_headers)
    till.clock_skew = timedelta(hours=-9)
    pin = shop.pin_ids[till.store_id]
    number = _card_with_points(client, shop, 0)

    results = till.push(
        [till.op({"type": "stamp.add", "card_number": number}, staff_pin_id=pin) for _ in range(3)]
    ).json()["results"]

    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    assert results[2]["code"] == "DAILY_STAMP_LIMIT"


def test_wrong_pins_typed_at_two_offline_tills_lock_the_pin_for_the_store(client, session_factory):
    shop = make_shop(session_factory)
    client.put(f"{API}/settings", json={"pin_lockout_attempts": 3}, headers=shop.owner_headers)
    till_a, till_b = pair(client, shop.owner_headers, "A"), pair(client, shop.owner_headers, "B")
    pin = shop.pin_ids[shop.store_ids[0]]

    def failure():
        return {
            "event_id": str(uuid.uuid4()),
            "staff_pin_id": pin,
            "occurred_at": datetime.now(UTC).isoformat(),
        }

    first, second = failure(), failure()

    till_a.push([], [first, second])
    till_a.push([], [first])  # a replayed event counts once
    out = till_b.push([], [failure()]).json()["pin_failures"][0]

    assert out["status"] == "counted"
    assert out["locked_until"] is not None
    with session_factory() as session:
        assert session.get_one(StaffPin, pin).failed_attempts == 3
    till_b.pull_all()
    assert till_b.state["staff_pins"][str(pin)]["locked_until"] is not None


def test_insert_ignore_tells_a_new_row_from_an_existing_key(session_factory):
    """The PIN-failure claim above relies on it; rowcount said "inserted" for a conflict
    on PostgreSQL."""
    from sync_server.models import SyncClock
    from sync_server.repositories.upsert import insert_ignore

    with session_factory() as session:
        first = insert_ignore(session, SyncClock, {"id": 7, "value": 0})
        again = insert_ignore(session, SyncClock, {"id": 7, "value": 1})
        session.rollback()

    assert first is True
    assert again is False
