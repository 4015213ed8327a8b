"""Online, a redemption is only 'done' once the server says so; offline, or when no
answer comes in time, it stands as decided at the till. The till's offline limits
apply to offline redemptions only, and count every earlier offline redemption.

Written against the mutants mutmut left alive (or reached by no test outside tests/ui)
in ``Till.perform``, ``Till._server_verdict`` and ``Till._offline_limits``
(desktop/engine/till.py, docs/mutation.md): the verdict asked with no wait, a refusal
answered with another code, an online redemption not waiting, an offline stamp held to
the redemption limits, the earlier redemptions' points not counted."""

from dataclasses import replace
from datetime import timedelta

import pytest

from common.operations import AddStamp, RedeemPoints
from common.outcome import Rejected
from desktop.engine.local_store import LocalStore, OutboxEntry
from desktop.engine.till import VERDICT_WAIT_S, Confirmed, Till
from tests.support.local_till import pull_into as _pull_into
from tests.support.shop import make_shop
from tests.support.till import pair
from tests.terminal.test_till_engine import Clock

API = "/api/v1/store/loyalty"


class Server:
    """The sync client's ``await_verdict`` as the till sees it: the answer it is given
    for each op (None: nothing in time), and what it was asked."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.answer: tuple[str, dict[str, object]] | None = None
        self.asked: list[tuple[str, float]] = []

    def __call__(self, op_id: str, wait_s: float) -> OutboxEntry | None:
        self.asked.append((op_id, wait_s))
        entry = self.store.entry(op_id)
        if self.answer is None or entry is None:
            return None
        status, outcome = self.answer
        return replace(entry, status=status, outcome=outcome)


@pytest.fixture
def counter(client, session_factory, tmp_path):
    shop = make_shop(session_factory)
    number = client.post(
        f"{API}/cards/enroll", json={"email": "c@x.example"}, headers=shop.owner_headers
    ).json()["card_number"]
    card_id = client.post(
        f"{API}/cards/lookup", params={"card_number": number}, headers=shop.owner_headers
    ).json()["card_id"]
    client.post(
        f"{API}/cards/{card_id}/points/adjust",
        json={"points_delta": 100, "reason": "test setup"},
        headers=shop.owner_headers,
    )
    remote = pair(client, shop.owner_headers)
    store = LocalStore(tmp_path / "till.db")
    _pull_into(store, remote)
    return shop.pin_ids[remote.store_id], number, store, Clock()


def _till(store: LocalStore, clock: Clock, online: bool, server: Server) -> Till:
    return Till(store, now=clock, online=lambda: online, verdict=server)


def test_an_online_redemption_the_server_applied_is_confirmed_as_verified(counter):
    pin, number, store, clock = counter
    server = Server(store)
    server.answer = ("applied", {"code": None})

    done = _till(store, clock, True, server).perform(
        RedeemPoints(card_number=number, reward_id="ten"), pin
    )

    assert isinstance(done, Confirmed)
    assert done.verified is True
    assert server.asked == [(done.op_id, VERDICT_WAIT_S)]


def test_an_online_redemption_the_server_refused_is_refused_with_its_code_and_words(counter):
    pin, number, store, clock = counter
    server = Server(store)
    server.answer = ("rejected", {"code": "INSUFFICIENT_POINTS", "message": "Not enough."})

    refused = _till(store, clock, True, server).perform(
        RedeemPoints(card_number=number, reward_id="ten"), pin
    )

    assert isinstance(refused, Rejected)
    assert (refused.code, refused.message) == ("INSUFFICIENT_POINTS", "Not enough.")
    assert refused.detail == {"op_id": server.asked[0][0]}


def test_no_answer_in_time_leaves_the_redemption_as_decided_at_the_till(counter):
    pin, number, store, clock = counter
    server = Server(store)

    done = _till(store, clock, True, server).perform(
        RedeemPoints(card_number=number, reward_id="ten"), pin
    )

    assert isinstance(done, Confirmed)
    assert (done.verified, done.card.points_balance) == (False, 90)
    assert len(server.asked) == 1


def test_an_offline_redemption_never_waits_for_the_server(counter):
    pin, number, store, clock = counter
    server = Server(store)
    server.answer = ("applied", {"code": None})

    done = _till(store, clock, False, server).perform(
        RedeemPoints(card_number=number, reward_id="ten"), pin
    )

    assert isinstance(done, Confirmed)
    assert (done.verified, server.asked) == (False, [])


def test_offline_limits_hold_redemptions_only_and_a_snapshot_within_its_age(counter):
    pin, number, store, clock = counter
    till = _till(store, clock, False, Server(store))
    clock.now += timedelta(hours=2)  # within the default day, past a zero-minute limit

    redeemed = till.perform(RedeemPoints(card_number=number, reward_id="ten"), pin)
    clock.now += timedelta(days=2)  # now too old for any redemption
    stamped = till.perform(AddStamp(card_number=number), pin)

    assert isinstance(redeemed, Confirmed)
    assert isinstance(stamped, Confirmed)


def test_the_offline_points_limit_counts_the_earlier_offline_redemptions(counter):
    pin, number, store, clock = counter
    settings = store.get_meta("settings")
    with store.transaction() as conn:
        store.set_meta(conn, "settings", {**settings, "offline_max_points_per_card": 15})
    till = _till(store, clock, False, Server(store))

    first = till.perform(RedeemPoints(card_number=number, reward_id="ten"), pin)
    second = till.perform(RedeemPoints(card_number=number, reward_id="ten"), pin)

    assert isinstance(first, Confirmed)
    assert isinstance(second, Rejected)
    assert (second.code, second.detail) == (
        "OFFLINE_LIMIT_EXCEEDED",
        {"limit": "points", "allowed": 20},
    )
