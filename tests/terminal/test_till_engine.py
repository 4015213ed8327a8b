"""The till's actions, offline against a snapshot pulled from the real server, then
pushed: the server's ledger ends where the till's projection said."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from common.operations import AddStamp, EarnPoints, RedeemPoints, VoidPoints
from common.outcome import Rejected
from common.qr import encode_qr
from desktop.engine.local_store import LocalStore
from desktop.engine.till import Confirmed, Till
from sync_server.models import Card
from tests.support.local_till import pull_into, push_outbox
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def setup(client, session_factory, tmp_path):
    shop = make_shop(
        session_factory, cooldown_minutes=0, max_daily_stamps=20, welcome_bonus_points=30
    )
    numbers = [
        client.post(
            f"{API}/cards/enroll", json={"email": f"c{i}@x.example"}, headers=shop.owner_headers
        ).json()["card_number"]
        for i in range(3)
    ]
    remote = pair(client, shop.owner_headers)
    store = LocalStore(tmp_path / "till.db")
    with store.transaction() as conn:
        store.set_meta(conn, "card_node", remote.card_node)
    pull_into(store, remote)
    clock = Clock()
    return shop, numbers, remote, store, Till(store, now=clock), clock


def test_an_offline_stamp_is_confirmed_written_and_projected(setup):
    shop, numbers, _, store, till, _ = setup
    pin = shop.pin_ids[shop.store_ids[0]]

    done = till.perform(AddStamp(card_number=numbers[0]), pin)

    assert isinstance(done, Confirmed)
    assert done.card.stamp_count == 1
    assert [e.op_id for e in store.entries()] == [done.op_id]
    assert till.card(numbers[0]).stamp_count == 1


def test_a_refused_action_writes_nothing(setup):
    _shop, numbers, _, store, till, _ = setup
    refused = till.perform(RedeemPoints(card_number=numbers[0], reward_id="fifty"), None)
    assert isinstance(refused, Rejected)
    assert store.entries() == []


def test_offline_redemptions_stop_at_the_merchant_limits(setup):
    _shop, numbers, _, _store, till, clock = setup
    first = till.perform(RedeemPoints(card_number=numbers[0], reward_id="ten"), 1)
    second = till.perform(RedeemPoints(card_number=numbers[0], reward_id="ten"), 1)
    third = till.perform(RedeemPoints(card_number=numbers[0], reward_id="ten"), 1)
    clock.now += timedelta(days=2)
    stale = till.perform(RedeemPoints(card_number=numbers[1], reward_id="ten"), 1)

    assert isinstance(first, Confirmed)
    assert isinstance(second, Confirmed)
    assert (third.code, third.detail["limit"]) == ("OFFLINE_LIMIT_EXCEEDED", "count")
    assert (stale.code, stale.detail["limit"]) == ("OFFLINE_LIMIT_EXCEEDED", "cache_age")


def test_enrollment_numbers_come_from_this_till_and_survive_a_restart(setup, tmp_path):
    _shop, _, remote, store, till, _ = setup
    a = till.enroll("new1@x.example", "New", None, None)
    store.close()
    again = Till(LocalStore(tmp_path / "till.db"))
    b = again.enroll("new2@x.example", None, None, None)

    assert a.card.card_number != b.card.card_number
    assert {int(n.card.card_number[:7]) for n in (a, b)} == {remote.card_node}


def test_many_offline_actions_end_on_the_server_exactly_as_projected(setup, session_factory):
    shop, numbers, remote, store, till, clock = setup
    pin = shop.pin_ids[shop.store_ids[0]]
    rng = random.Random(3)
    cards = list(numbers)
    for i in range(60):
        clock.now += timedelta(seconds=5)
        kind = rng.random()
        if kind < 0.05:
            done = till.enroll(f"offline{i}@x.example", None, None, pin)
            if isinstance(done, Confirmed):
                cards.append(done.card.card_number)
            continue
        card = rng.choice(cards)
        if kind < 0.5:
            till.perform(AddStamp(card_number=card), pin)
        else:
            till.perform(
                EarnPoints(card_number=card, purchase_amount_cents=rng.randint(100, 3000)), pin
            )
    projected = {n: till.card(n) for n in cards}

    push_outbox(store, remote)
    pull_into(store, remote)

    assert store.entries() == []
    with session_factory() as session:
        server = {
            c.card_number: (c.stamp_count, c.points_balance) for c in session.scalars(select(Card))
        }
    assert {n: (s.stamp_count, s.points_balance) for n, s in projected.items()} == {
        n: server[n] for n in cards
    }
    assert {n: (till.card(n).stamp_count, till.card(n).points_balance) for n in cards} == {
        n: server[n] for n in cards
    }


def test_cards_are_found_by_email_name_phone_number_and_qr(setup):
    _, numbers, _, store, till, _ = setup
    made = till.enroll("walk.in@x.example", "Ada Lovelace", "+33 6 12 34 56 78", None)
    qr = encode_qr(numbers[1], bytes.fromhex(store.get_meta("qr_key")))

    assert [m.card_number for m in till.search("c2@x.EXAMPLE")] == [numbers[2]]
    assert [m.card_number for m in till.search("lovelace")] == [made.card.card_number]
    assert [m.card_number for m in till.search("12 34")] == [made.card.card_number]
    assert [m.card_number for m in till.search(numbers[0])] == [numbers[0]]
    assert [m.card_number for m in till.search(qr)] == [numbers[1]]
    assert till.search("%") == []
    assert till.search("nobody") == []


def test_a_sale_rung_up_offline_is_voided_offline_once(setup, session_factory):
    shop, numbers, remote, store, till, _ = setup
    pin = shop.pin_ids[shop.store_ids[0]]
    card = numbers[0]
    sale = till.perform(
        EarnPoints(card_number=card, purchase_amount_cents=2500, order_reference="T-9"), pin
    )
    again = till.perform(
        EarnPoints(card_number=card, purchase_amount_cents=100, order_reference="T-9"), pin
    )
    void = till.perform(VoidPoints(card_number=card, order_reference="T-9"), pin)
    twice = till.perform(VoidPoints(card_number=card, order_reference="T-9"), pin)

    assert sale.card.points_balance == 30 + 25
    assert again.code == "DUPLICATE_ORDER_REFERENCE"
    assert void.card.points_balance == 30
    assert twice.code == "ALREADY_VOIDED"

    push_outbox(store, remote)
    pull_into(store, remote)
    with session_factory() as session:
        server = session.scalars(select(Card).where(Card.card_number == card)).one()
    assert (server.points_balance, server.total_points_voided) == (30, 25)
    assert till.card(card).points_balance == 30


def test_a_pulled_earn_is_voided_by_its_transaction_id_offline(setup, client):
    shop, numbers, remote, store, till, _ = setup
    pin = shop.pin_ids[shop.store_ids[0]]
    earned = client.post(
        f"{API}/points/earn",
        json={"card_number": numbers[1], "purchase_amount_cents": 1200},
        headers=shop.owner_headers,
    )
    assert earned.status_code == 200, earned.text
    pull_into(store, remote)
    entry_id = earned.json()["transaction_id"]

    void = till.perform(VoidPoints(card_number=numbers[1], original_transaction_id=entry_id), pin)
    twice = till.perform(VoidPoints(card_number=numbers[1], original_transaction_id=entry_id), pin)
    unknown = till.perform(VoidPoints(card_number=numbers[1], original_transaction_id=10**6), pin)

    assert void.card.points_balance == 30
    assert twice.code == "ALREADY_VOIDED"
    assert unknown.code == "ORIGINAL_TRANSACTION_NOT_FOUND"


def test_an_answered_op_stays_on_the_card_until_the_pull_brings_it(setup):
    shop, numbers, remote, store, till, _ = setup
    till.perform(AddStamp(card_number=numbers[0]), shop.pin_ids[shop.store_ids[0]])

    push_outbox(store, remote)  # answered 'applied', not yet pulled
    between = till.card(numbers[0]).stamp_count
    pull_into(store, remote)

    assert between == 1
    assert till.card(numbers[0]).stamp_count == 1
    assert [e.settled for e in store.entries(status=None)] == [True]


def test_rejections_wait_on_the_attention_list_until_acknowledged(setup):
    shop, numbers, remote, store, till, _ = setup
    pin = shop.pin_ids[shop.store_ids[0]]
    till.perform(RedeemPoints(card_number=numbers[0], reward_id="ten"), pin)
    for _ in range(3):  # meanwhile the 30 points are spent at the counter online
        spent = remote.client.post(
            f"{API}/points/redeem",
            json={"card_number": numbers[0], "reward_id": "ten"},
            headers=shop.owner_headers,
        )
        assert spent.status_code == 200, spent.text

    push_outbox(store, remote)
    flagged = store.attention()
    store.acknowledge(
        [e.op_id for e in flagged],
        staff_pin_id=pin,
        by="manager Sam",
        client_time=datetime.now(UTC),
        offline=True,
    )

    assert [e.outcome["code"] for e in flagged] == ["OFFLINE_OVERSPEND"]
    assert store.attention() == []
    assert [e.acknowledged_by for e in store.attention(include_acknowledged=True)] == [
        "manager Sam"
    ]
