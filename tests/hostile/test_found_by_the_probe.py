"""One regression test per class of fault the black-box probe found (issue #11), each
named for what it proves. They run on SQLite and PostgreSQL."""

import base64
import json
import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from sync_server.models import Card, LedgerEntry
from sync_server.models.sync import CardAlias, SyncOp, Terminal
from sync_server.sync.pull import Cursor
from tests.hostile.values import RawNumber, to_json
from tests.support.shop import Shop, make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"


def _enroll(client, headers, email: str) -> dict:
    made = client.post(f"{API}/cards/enroll", json={"email": email}, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _counter(client, session_factory, **program) -> tuple[Shop, Till, int, str]:
    """A shop, its paired till, the till's store's PIN id, and one card's number."""
    shop = make_shop(session_factory, **program)
    till = pair(client, shop.owner_headers)
    number = _enroll(client, shop.owner_headers, "c@example.com")["card_number"]
    return shop, till, shop.pin_ids[till.store_id], number


def _enroll_at_till(till: Till, number: str, email: str, pin: int) -> dict:
    """Push one offline enrollment of ``number`` for ``email``; its outcome."""
    body = {"type": "card.enroll", "card_number": number, "customer": {"email": email}}
    pushed = till.push([till.op(body, staff_pin_id=pin)])
    assert pushed.status_code == 200, pushed.text
    return dict(pushed.json()["results"][0])


def _push_raw(till: Till, ops: list, sent_at: str | None = None, pin_failures=()) -> object:
    body = {
        "sent_at": sent_at or datetime.now(UTC).isoformat(),
        "ops": ops,
        "pin_failures": list(pin_failures),
    }
    return till.client.post(
        "/api/v1/sync/push",
        content=to_json(body),
        headers={**till.headers, "Content-Type": "application/json"},
    )


def _balance(client, headers, number: str) -> int:
    found = client.post(f"{API}/cards/lookup", params={"card_number": number}, headers=headers)
    assert found.status_code == 200, found.text
    return int(found.json()["points_balance"])


def _ledger_size(session_factory) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count(LedgerEntry.id))) or 0)


# 1. A card number, once issued, always means the same card.


def test_an_enrollment_with_a_number_already_issued_is_refused_and_the_number_keeps_its_card(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    other = _enroll(client, shop.owner_headers, "b@example.com")  # customer B has a card
    mine = till.new_card_number()
    first = _enroll_at_till(till, mine, "a@example.com", pin)
    assert first["status"] == "applied", first

    takeover = _enroll_at_till(till, mine, "b@example.com", pin)
    earn = till.push(
        [
            till.op(
                {"type": "points.earn", "card_number": mine, "purchase_amount_cents": 1000},
                staff_pin_id=pin,
            )
        ]
    ).json()["results"][0]

    assert takeover["status"] == "rejected"
    assert takeover["code"] == "CARD_ALREADY_EXISTS"
    assert earn["card"]["card_number"] == mine
    assert earn["card"]["points_balance"] == 10
    assert _balance(client, shop.owner_headers, other["card_number"]) == 0
    with session_factory() as session:
        assert session.scalar(select(func.count(CardAlias.card_number))) == 0


def test_re_enrolling_an_aliased_number_is_refused_not_a_server_error(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    survivor = _enroll(client, shop.owner_headers, "b@example.com")
    alias = till.new_card_number()
    merged = _enroll_at_till(till, alias, "b@example.com", pin)
    assert merged["detail"]["merged_into"] == survivor["card_number"]

    again = _enroll_at_till(till, alias, "c@example.com", pin)

    assert again["code"] == "CARD_ALREADY_EXISTS"
    looked_up = client.post(
        f"{API}/cards/lookup", params={"card_number": alias}, headers=shop.owner_headers
    ).json()
    assert looked_up["card_number"] == survivor["card_number"]


# 2. One malformed op is refused on its own; the batch around it applies.

MALFORMED = [
    ("points.earn", {"purchase_amount_cents": RawNumber("1e309")}),
    ("points.earn", {"purchase_amount_cents": RawNumber("-1e309")}),
    ("points.earn", {"purchase_amount_cents": math.nan}),
    ("points.earn", {"purchase_amount_cents": 2**64}),
    ("points.void", {"original_transaction_id": 2**63}),
    ("points.void", {"original_transaction_id": 2**70}),
    ("stamp.add", {"notes": "a\x00b"}),
    ("stamp.add", {"notes": "\ud800"}),
    ("points.earn", {"purchase_amount_cents": 100, "order_reference": "O\x00"}),
    ("card.enroll", {"customer": {"email": "x@example.com", "name": "N\x00"}}),
    ("stamp.add", {"notes": {"deep": json.loads("[" * 40 + "1" + "]" * 40)}}),
]


@pytest.mark.parametrize(("kind", "fields"), MALFORMED, ids=lambda v: str(v)[:40])
def test_one_malformed_op_is_refused_alone_and_the_valid_ops_around_it_apply(
    client, session_factory, kind, fields
):
    shop, till, pin, number = _counter(client, session_factory, cooldown_minutes=0)
    card = (
        {"card_number": till.new_card_number()}
        if kind == "card.enroll"
        else {"card_number": number}
    )
    ops = [
        till.op({"type": "stamp.add", "card_number": number}, staff_pin_id=pin),
        till.op({"type": kind, **card, **fields}, staff_pin_id=pin),
        till.op(
            {"type": "points.earn", "card_number": number, "purchase_amount_cents": 500},
            staff_pin_id=pin,
        ),
    ]

    first = _push_raw(till, ops)
    replay = _push_raw(till, ops)

    assert first.status_code == 200, first.text
    statuses = [(r["status"], r["code"]) for r in first.json()["results"]]
    assert statuses[0][0] == "applied"
    assert statuses[2][0] == "applied"
    assert statuses[1] == ("rejected", "INVALID_OPERATION")
    assert [r["status"] for r in replay.json()["results"]] == ["duplicate"] * 3
    assert _balance(client, shop.owner_headers, number) == 5


def test_a_replay_with_an_altered_hostile_body_is_refused_as_a_reused_op_id(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll(client, shop.owner_headers, "c@example.com")["card_number"]
    op = till.op({"type": "stamp.add", "card_number": number, "notes": "\ud800"})
    assert _push_raw(till, [op]).json()["results"][0]["code"] == "INVALID_OPERATION"

    altered = {**op, "body": {**op["body"], "notes": "\udfff"}}

    assert _push_raw(till, [altered]).json()["results"][0]["code"] == "OP_ID_REUSED"


# 3. Timestamps at the ends of the calendar are clamped; a naive one is refused.


@pytest.mark.parametrize(
    ("sent_at", "client_time"),
    [
        ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"),
        ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"),
        ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59+00:00"),
    ],
)
def test_clocks_at_year_1_or_9999_are_clamped_into_the_offline_window(
    client, session_factory, sent_at, client_time
):
    _shop, till, pin, number = _counter(client, session_factory)
    op = till.op({"type": "stamp.add", "card_number": number}, staff_pin_id=pin)
    op["client_time"] = client_time
    failure = {"event_id": str(uuid.uuid4()), "staff_pin_id": pin, "occurred_at": client_time}

    pushed = _push_raw(till, [op], sent_at=sent_at, pin_failures=[failure])

    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["results"][0]["status"] == "applied"
    with session_factory() as session:
        when = session.scalars(select(SyncOp.effective_time)).one()
    now = datetime.now(UTC)
    assert now - timedelta(days=15) < when <= now


@pytest.mark.parametrize("where", ["sent_at", "client_time", "occurred_at"])
def test_a_naive_time_anywhere_in_a_push_is_a_422_and_nothing_is_applied(
    client, session_factory, where
):
    _shop, till, pin, number = _counter(client, session_factory)
    naive = datetime.now().replace(microsecond=0).isoformat()
    op = till.op(
        {"type": "points.earn", "card_number": number, "purchase_amount_cents": 900},
        staff_pin_id=pin,
    )
    failure = {
        "event_id": str(uuid.uuid4()),
        "staff_pin_id": pin,
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    if where == "client_time":
        op["client_time"] = naive
    if where == "occurred_at":
        failure["occurred_at"] = naive
    before = _ledger_size(session_factory)

    pushed = _push_raw(
        till, [op], sent_at=naive if where == "sent_at" else None, pin_failures=[failure]
    )

    assert pushed.status_code == 422
    assert pushed.json()["code"] == "VALIDATION_ERROR"
    assert _ledger_size(session_factory) == before
    with session_factory() as session:
        assert session.scalar(select(func.count(SyncOp.id))) == 0


# 4. A push answered with an error committed nothing.


def test_a_push_that_fails_after_its_ops_commits_none_of_them(client, session_factory, monkeypatch):
    """Planted fault: counting the offline PIN failures raises after the ops were
    applied. The ops and the failures share one transaction, so nothing is left."""
    from sync_server.sync import push_pins

    _shop, till, pin, number = _counter(client, session_factory)

    def broken(*args, **kwargs):
        raise RuntimeError("planted: the PIN failure cannot be counted")

    monkeypatch.setattr(push_pins, "count_failure", broken)
    op = till.op(
        {"type": "points.earn", "card_number": number, "purchase_amount_cents": 900},
        staff_pin_id=pin,
    )
    failure = {
        "event_id": str(uuid.uuid4()),
        "staff_pin_id": pin,
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    before = _ledger_size(session_factory)

    with pytest.raises(RuntimeError):
        till.push([op], [failure])

    assert _ledger_size(session_factory) == before
    with session_factory() as session:
        assert session.scalar(select(func.count(SyncOp.id))) == 0
    monkeypatch.undo()
    replayed = till.push([op], [failure]).json()
    assert replayed["results"][0]["status"] == "applied"


# 5. Offline limits are judged from what the server knows, not what the till claims.


def _shop_with_points(client, session_factory, points: int):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    card = _enroll(client, shop.owner_headers, "c@example.com")
    adjusted = client.post(
        f"{API}/cards/{card['id']}/points/adjust",
        json={"points_delta": points, "reason": "setup"},
        headers=shop.owner_headers,
    )
    assert adjusted.status_code == 200, adjusted.text
    return shop, till, card["card_number"]


def test_offline_redemptions_claiming_a_fresh_snapshot_still_meet_the_per_period_limits(
    client, session_factory
):
    shop, till, number = _shop_with_points(client, session_factory, 100)
    pin = shop.pin_ids[till.store_id]
    start = datetime.now(UTC) - timedelta(minutes=5)
    ops = [
        till.op(
            {"type": "points.redeem", "card_number": number, "reward_id": "fifty"},
            staff_pin_id=pin,
            offline=True,
            snapshot_age_s=0,
            client_time=start + timedelta(seconds=10 * i),
        )
        for i in range(5)
    ]

    results = till.push(ops).json()["results"]

    assert [r["status"] for r in results] == ["applied"] * 2 + ["rejected"] * 3
    assert {r["code"] for r in results[2:]} == {"OFFLINE_LIMIT_EXCEEDED"}
    assert _balance(client, shop.owner_headers, number) == 0


def test_a_till_that_pulls_between_offline_redemptions_cannot_spend_beyond_what_it_saw(
    client, session_factory
):
    shop, till, number = _shop_with_points(client, session_factory, 100)
    pin = shop.pin_ids[till.store_id]
    outcomes = []
    for _ in range(4):
        till.pull_all()
        op = till.op(
            {"type": "points.redeem", "card_number": number, "reward_id": "fifty"},
            staff_pin_id=pin,
            offline=True,
            snapshot_age_s=0,
        )
        outcomes.append(till.push([op]).json()["results"][0])

    assert [o["status"] for o in outcomes] == ["applied", "applied", "rejected", "rejected"]
    assert {o["code"] for o in outcomes[2:]} == {"INSUFFICIENT_POINTS"}
    assert _balance(client, shop.owner_headers, number) == 0


def test_a_snapshot_age_below_the_time_since_the_last_pull_is_not_believed(client, session_factory):
    shop, till, number = _shop_with_points(client, session_factory, 100)
    till.pull_all()
    with session_factory() as session:
        terminal = session.get_one(Terminal, till.terminal_id)
        terminal.last_pull_at = datetime.now(UTC) - timedelta(days=2)
        session.commit()
    op = till.op(
        {"type": "points.redeem", "card_number": number, "reward_id": "ten"},
        staff_pin_id=shop.pin_ids[till.store_id],
        offline=True,
        snapshot_age_s=1,
    )

    result = till.push([op]).json()["results"][0]

    assert result["code"] == "OFFLINE_LIMIT_EXCEEDED"
    assert result["detail"]["limit"] == "cache_age"


# 6. Every value that passes validation can be stored; beyond the bounds, a clear code.


def test_an_earn_that_would_pass_the_largest_balance_is_refused_on_the_api_and_on_push(
    client, session_factory
):
    shop = make_shop(session_factory, points_per_currency_unit=1000)
    till = pair(client, shop.owner_headers)
    card = _enroll(client, shop.owner_headers, "c@example.com")
    big = {"card_id": card["id"], "purchase_amount_cents": 100_000_000, "staff_pin": shop.pin}
    assert (
        client.post(f"{API}/points/earn", json=big, headers=shop.owner_headers).status_code == 200
    )

    api = client.post(f"{API}/points/earn", json=big, headers=shop.owner_headers)
    pushed = till.push(
        [
            till.op(
                {
                    "type": "points.earn",
                    "card_number": card["card_number"],
                    "purchase_amount_cents": 100_000_000,
                },
                staff_pin_id=shop.pin_ids[till.store_id],
            )
        ]
    ).json()["results"][0]

    assert api.status_code == 409
    assert api.json()["code"] == "BALANCE_LIMIT"
    assert pushed["code"] == "BALANCE_LIMIT"
    assert _balance(client, shop.owner_headers, card["card_number"]) == 1_000_000_000


def test_lifetime_totals_beyond_32_bits_are_stored(client, session_factory):
    shop = make_shop(session_factory)
    card = _enroll(client, shop.owner_headers, "c@example.com")
    with session_factory() as session:
        row = session.get_one(Card, card["id"])
        row.total_points_earned = 2**40
        session.commit()
    with session_factory() as session:
        assert session.get_one(Card, card["id"]).total_points_earned == 2**40


# 7. NUL in any text field of the store API or login is a 422, never a 500.

NUL_FIELDS = [
    ("/api/v1/auth/login", {"email": "a\x00@example.com", "password": "pw"}),
    (f"{API}/cards/enroll", {"email": "n@example.com", "customer_name": "N\x00"}),
    (f"{API}/cards/enroll", {"email": "n@example.com", "customer_phone": "1\x00"}),
    (f"{API}/stamp", {"card_number": "x", "notes": "\x00"}),
    (f"{API}/points/earn", {"card_id": 1, "purchase_amount_cents": 1, "order_reference": "\x00"}),
    (f"{API}/pins", {"name": "N\x00", "pin": "2580"}),
    (f"{API}/pins", {"name": "N", "pin": "2580", "staff_id": "\x00"}),
    (f"{API}/cards/1/points/adjust", {"points_delta": 1, "reason": "r\x00"}),
    (f"{API}/cards/1/deactivate", {"notes": "\x00"}),
]


@pytest.mark.parametrize(("path", "body"), NUL_FIELDS, ids=lambda v: str(v)[:30])
def test_a_nul_in_any_text_field_is_refused_with_422(client, session_factory, path, body):
    shop = make_shop(session_factory)

    response = client.post(path, json=body, headers=shop.owner_headers)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"{API}/cards/lookup", {"q": "\x00"}),
        (f"{API}/cards", {"search": "a\x00"}),
    ],
)
def test_a_nul_in_a_search_is_refused_with_422(client, session_factory, path, params):
    shop = make_shop(session_factory)

    response = client.get(path, params=params, headers=shop.owner_headers)

    assert response.status_code == 422, response.text


# 8. A QR payload with a tag that is not ASCII gets a verdict.


@pytest.mark.parametrize("tag", ["ÉÉÉÉÉÉÉÉÉÉ", "１２３４５６７８９０", "\u202e" * 10, "☕"])
def test_a_qr_payload_with_a_non_ascii_tag_is_refused_as_not_this_merchants(
    client, session_factory, tag
):
    shop = make_shop(session_factory)
    number = _enroll(client, shop.owner_headers, "c@example.com")["card_number"]

    response = client.post(
        f"{API}/cards/lookup",
        params={"qr_code": f"LOY1:{number}:{tag}"},
        headers=shop.owner_headers,
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] in {"QR_SIGNATURE_MISMATCH", "INVALID_QR_PAYLOAD"}


# 9. A cursor the server did not sign for this till, or one from the future, resets.


def _forged(till: Till, key: str | None, **fields) -> str:
    body = base64.urlsafe_b64encode(json.dumps({"t": till.terminal_id, **fields}).encode()).decode()
    if key is None:
        return body
    return Cursor.model_validate({"t": till.terminal_id, **fields}).encode(key)


def _cursor_key(session_factory, till: Till) -> str:
    with session_factory() as session:
        return session.get_one(Terminal, till.terminal_id).cursor_key


@pytest.mark.parametrize(
    "fields",
    [
        {"e": -7},
        {"lo": 2**70},
        {"lo": 0, "hi": 10, "e": 2, "k": [2**64, 1]},
        {"lo": 0, "hi": 2**63 - 1},
        {"v": "x"},
    ],
)
def test_a_forged_cursor_means_a_full_resync(client, session_factory, fields):
    shop = make_shop(session_factory)
    _enroll(client, shop.owner_headers, "c@example.com")
    till = pair(client, shop.owner_headers)

    till.cursor = _forged(till, None, **fields)
    pages = till.pull_all()

    assert pages[0]["reset"] is True
    assert len(till.state["cards"]) == 1


def test_a_signed_cursor_from_the_future_means_a_full_resync_and_no_change_is_lost(
    client, session_factory
):
    shop = make_shop(session_factory)
    _enroll(client, shop.owner_headers, "c@example.com")
    till = pair(client, shop.owner_headers)
    till.cursor = _forged(till, _cursor_key(session_factory, till), lo=10**15, at=0)

    first = till.pull_all()
    _enroll(client, shop.owner_headers, "later@example.com")
    till.pull_all()

    assert first[0]["reset"] is True
    assert len(till.state["cards"]) == 2


def test_a_cursor_signed_for_another_till_means_a_full_resync(client, session_factory):
    shop = make_shop(session_factory)
    _enroll(client, shop.owner_headers, "c@example.com")
    mine, other = pair(client, shop.owner_headers), pair(client, shop.owner_headers)
    other.pull_all()

    mine.cursor = other.cursor
    pages = mine.pull_all()

    assert pages[0]["reset"] is True


# 10. Logging out with a device token is refused, as documented.


def test_logout_with_a_device_token_is_refused_and_says_how_to_revoke_a_till(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)

    response = client.post("/api/v1/auth/logout", headers=till.headers)

    assert response.status_code == 403
    assert response.json()["code"] == "NOT_A_LOGIN"
    assert client.get("/api/v1/sync/pull", headers=till.headers).status_code == 200


# 11 (server errors schemathesis found). A null for a field that cannot be empty is a 422.


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "pins/{pin}", {"name": None}),
        ("PATCH", "pins/{pin}", {"is_active": None}),
        ("PUT", "program", {"loyalty_type": None}),
        ("PUT", "program", {"points_rewards": None}),
    ],
)
def test_null_for_a_field_that_cannot_be_empty_is_a_422(
    client, session_factory, method, path, body
):
    shop = make_shop(session_factory)
    url = f"{API}/" + path.format(pin=shop.pin_ids[shop.store_ids[0]])

    response = client.request(method, url, json=body, headers=shop.owner_headers)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"
