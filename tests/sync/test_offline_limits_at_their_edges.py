"""The server's offline limits, each at its edge: landing on a limit is allowed, one
past it is refused and named; an over-spend is only allowed on a balance the till could
not have known; a stamp reward weighs nothing against the points limit.

Written against the mutants mutmut left alive in sync_server/sync/offline.py
(docs/mutation.md): ``>`` become ``>=`` at each limit, ``may_overspend`` true for a
card unchanged since the till's pull, ``_points_of`` counting a stamp reward as 1."""

from sync_server.models import MerchantSettings
from tests.support.shop import make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"
DAY_S = 24 * 3600  # the default offline_max_cache_age_minutes, in seconds


def _card(client, shop, points: int) -> str:
    number = client.post(
        f"{API}/cards/enroll", json={"email": "c@example.com"}, headers=shop.owner_headers
    ).json()["card_number"]
    if points:
        card_id = client.post(
            f"{API}/cards/lookup", params={"card_number": number}, headers=shop.owner_headers
        ).json()["card_id"]
        adjusted = client.post(
            f"{API}/cards/{card_id}/points/adjust",
            json={"points_delta": points, "reason": "test setup"},
            headers=shop.owner_headers,
        )
        assert adjusted.status_code == 200, adjusted.text
    return number


def _policy(session_factory, merchant_id: int, **values: object) -> None:
    with session_factory() as session:
        row = session.get(MerchantSettings, merchant_id) or MerchantSettings(
            merchant_id=merchant_id
        )
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()


def _redeem(till: Till, number: str, pin: int, reward: str = "ten", age: int = 5):
    body = {"type": "points.redeem", "card_number": number, "reward_id": reward}
    return till.op(body, staff_pin_id=pin, offline=True, snapshot_age_s=age)


def test_a_snapshot_exactly_as_old_as_allowed_may_still_redeem(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop, 100)
    pin = shop.pin_ids[till.store_id]

    results = till.push(
        [_redeem(till, number, pin, age=DAY_S), _redeem(till, number, pin, age=DAY_S + 1)]
    ).json()["results"]

    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["detail"] == {"limit": "cache_age", "snapshot_age_s": DAY_S + 1}


def test_the_last_redemption_the_count_allows_passes_and_the_next_is_refused(
    client, session_factory
):
    shop = make_shop(session_factory)  # offline_max_redemptions_per_card: 2
    till = pair(client, shop.owner_headers)
    number = _card(client, shop, 100)
    pin = shop.pin_ids[till.store_id]

    results = till.push([_redeem(till, number, pin) for _ in range(3)]).json()["results"]

    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    assert (results[2]["code"], results[2]["detail"]) == (
        "OFFLINE_LIMIT_EXCEEDED",
        {"limit": "count", "allowed": 2},
    )


def test_redeeming_exactly_the_points_limit_passes_and_one_reward_more_is_refused(
    client, session_factory
):
    shop = make_shop(session_factory)
    _policy(session_factory, shop.merchant_id, offline_max_points_per_card=50)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop, 100)
    pin = shop.pin_ids[till.store_id]

    results = till.push(
        [_redeem(till, number, pin, "fifty"), _redeem(till, number, pin, "ten")]
    ).json()["results"]

    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["detail"] == {"limit": "points", "allowed": 50}


def test_a_stamp_reward_weighs_nothing_against_the_points_limit(client, session_factory):
    shop = make_shop(session_factory, stamps_target=2)
    _policy(session_factory, shop.merchant_id, offline_max_points_per_card=0)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop, 0)
    pin = shop.pin_ids[till.store_id]
    stamp = {"type": "stamp.add", "card_number": number}
    till.push([till.op(stamp, staff_pin_id=pin), till.op(stamp, staff_pin_id=pin)])

    redeem = till.op(
        {"type": "stamp.redeem", "card_number": number},
        staff_pin_id=pin,
        offline=True,
        snapshot_age_s=5,
    )
    result = till.push([redeem]).json()["results"][0]

    assert (result["status"], result["code"]) == ("applied", None)
    assert result["card"]["stamp_count"] == 0


def test_a_card_unchanged_since_the_tills_pull_is_not_overspent(client, session_factory):
    """The till was shown this balance as it is: spending beyond it is its own mistake,
    refused even under the 'allow' policy (which is for balances spent elsewhere)."""
    shop = make_shop(session_factory)
    number = _card(client, shop, 5)
    till = pair(client, shop.owner_headers)
    till.pull_all()

    result = till.push([_redeem(till, number, shop.pin_ids[till.store_id])]).json()["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "INSUFFICIENT_POINTS")


def test_a_card_spent_elsewhere_after_the_tills_pull_may_be_overspent(client, session_factory):
    shop = make_shop(session_factory)
    number = _card(client, shop, 10)
    till = pair(client, shop.owner_headers)
    till.pull_all()
    card_id = client.post(
        f"{API}/cards/lookup", params={"card_number": number}, headers=shop.owner_headers
    ).json()["card_id"]
    spent = client.post(
        f"{API}/cards/{card_id}/points/adjust",
        json={"points_delta": -5, "reason": "spent at the counter"},
        headers=shop.owner_headers,
    )
    assert spent.status_code == 200, spent.text

    result = till.push([_redeem(till, number, shop.pin_ids[till.store_id])]).json()["results"][0]

    assert (result["status"], result["code"]) == ("applied", "OFFLINE_OVERSPEND")
    assert result["card"]["points_balance"] == -5


def test_an_offline_redemption_that_gives_no_snapshot_age_is_refused_as_too_old(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop, 100)
    op = _redeem(till, number, shop.pin_ids[till.store_id])
    op["snapshot_age_s"] = None

    result = till.push([op]).json()["results"][0]

    assert (result["status"], result["code"], result["detail"]) == (
        "rejected",
        "OFFLINE_LIMIT_EXCEEDED",
        {"limit": "cache_age", "snapshot_age_s": None},
    )
