# ruff: noqa: F811 - ``setup`` is the imported pytest fixture, taken as an argument
"""What the cashier reads at the till, against a snapshot pulled from the real server:
a card's history and the store's (newest first, pulled entries with their deltas, this
till's ops with where they stand and a refusal's words), the card screen's rewards,
and a typed number that carries control characters.

Planted bugs each test was seen failing on (mutmut's names): ``history._pulled``
dropping a pulled entry's ``points_delta`` or ``stamps_delta``; ``_from_op`` giving no
kind, or reading the refusal's words from a wrong key; ``card_history`` sorted oldest
first; ``store_history`` reading the pulled ledger of no store; ``card_view`` without
its ``rewards_now``; ``lookup.typed`` joining the kept characters with text between."""

from datetime import timedelta

from common.ledger import TransactionType
from common.operations import AddStamp, RedeemPoints
from desktop.engine import history
from desktop.engine.card_view import card_view
from desktop.engine.lookup import typed
from desktop.engine.till import Confirmed

# The till engine tests' fixture: a till paired with the server, 3 cards pulled.
from tests.terminal.test_till_engine import API, setup  # noqa: F401

try:
    from tests.support.local_till import pull_into as _pull_into
    from tests.support.local_till import push_outbox as _push_outbox
except ImportError:  # the mutation run's copy of an older commit (docs/mutation.md)
    from tests.terminal.test_till_engine import _pull_into, _push_outbox  # type: ignore[no-redef]


def _earn_online(shop, client, number: str, cents: int) -> None:
    earned = client.post(
        f"{API}/points/earn",
        json={"card_number": number, "purchase_amount_cents": cents},
        headers=shop.owner_headers,
    )
    assert earned.status_code == 200, earned.text


def test_a_cards_history_is_newest_first_with_the_pulled_deltas_and_the_ops_waiting(setup, client):
    shop, numbers, remote, store, till, clock = setup
    pin = shop.pin_ids[shop.store_ids[0]]
    _earn_online(shop, client, numbers[0], 1200)
    _pull_into(store, remote)
    clock.now += timedelta(minutes=1)
    stamped = till.perform(AddStamp(card_number=numbers[0]), pin)
    assert isinstance(stamped, Confirmed)

    items = history.card_history(store, numbers[0])

    assert [(i.kind, i.status) for i in items[:2]] == [
        (TransactionType.STAMP_EARNED, "pending"),
        (TransactionType.POINTS_EARNED, "synced"),
    ]
    assert TransactionType.CARD_CREATED in {i.kind for i in items[2:]}
    assert {i.card_number for i in items} == {numbers[0]}
    earned = items[1]
    assert (earned.points_delta, earned.stamps_delta) == (12, 0)
    assert earned.transaction_id is not None
    assert items[0].transaction_id is None


def test_a_pulled_stamp_carries_its_stamps_delta(setup, client):
    shop, numbers, remote, store, _, _ = setup
    stamped = client.post(
        f"{API}/stamp", json={"card_number": numbers[1]}, headers=shop.owner_headers
    )
    assert stamped.status_code == 200, stamped.text
    _pull_into(store, remote)

    newest = history.card_history(store, numbers[1])[0]

    assert (newest.kind, newest.stamps_delta, newest.points_delta) == (
        TransactionType.STAMP_EARNED,
        1,
        0,
    )


def test_an_op_applied_with_a_warning_shows_its_code_in_the_history(setup):
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
    _push_outbox(store, remote)

    flagged = history.card_history(store, numbers[0])[0]

    assert (flagged.kind, flagged.status) == (TransactionType.POINTS_REDEEMED, "applied")
    assert flagged.reason == "OFFLINE_OVERSPEND"


def test_a_refused_op_shows_the_servers_words_in_the_history(setup):
    shop, numbers, _, store, till, _ = setup
    done = till.perform(AddStamp(card_number=numbers[0]), shop.pin_ids[shop.store_ids[0]])
    assert isinstance(done, Confirmed)
    words = "This card was deactivated at the counter."
    store.record_outcomes(  # the server's answer to the push
        [
            {
                "op_id": done.op_id,
                "status": "rejected",
                "code": "CARD_INACTIVE",
                "message": words,
                "transaction_ids": [],
            }
        ]
    )

    refused = history.card_history(store, numbers[0])[0]

    assert (refused.kind, refused.status, refused.reason) == (
        TransactionType.STAMP_EARNED,
        "rejected",
        words,
    )


def test_the_stores_history_is_newest_first_across_cards(setup, client):
    shop, numbers, remote, store, till, clock = setup
    pin = shop.pin_ids[shop.store_ids[0]]
    _earn_online(shop, client, numbers[2], 500)
    _pull_into(store, remote)
    clock.now += timedelta(minutes=1)
    till.perform(AddStamp(card_number=numbers[1]), pin)

    items = history.store_history(store)

    assert [(i.card_number, i.kind) for i in items[:2]] == [
        (numbers[1], TransactionType.STAMP_EARNED),
        (numbers[2], TransactionType.POINTS_EARNED),
    ]
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    assert {i.card_number for i in items} >= set(numbers)


def test_the_card_screen_offers_the_rewards_the_balance_reaches(setup):
    _, numbers, _, _, till, _ = setup  # the welcome bonus: 30 points

    match = till.search(numbers[0])[0]
    view = card_view(match, till.context_at(till.now()), 0, False)

    assert [r.id for r in view.rewards_now] == ["ten"]
    assert view.card_number == numbers[0]


def test_a_number_typed_with_control_characters_finds_its_card(setup):
    """A scanner's escape, NUL or group separator around or inside the digits."""
    _, numbers, _, _, till, _ = setup

    for noise in ("\x1b", "\x00", "\x1d"):
        typed_in = noise + numbers[0][:8] + noise + numbers[0][8:] + noise
        assert typed(typed_in) == numbers[0]
        assert [m.card_number for m in till.search(typed(typed_in))] == [numbers[0]]
    assert typed("12\t34 ") == "12\t34 "  # a tab and a space are kept
