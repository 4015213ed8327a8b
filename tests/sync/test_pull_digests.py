"""The server's side of the digests (docs/sync-protocol.md, "Digests"): the page that
ends a round carries them when asked; a bucket changed after the round's horizon is
*moving*, not compared; a re-pull of buckets is counted, and forged bucket names get
a stable 422, never a 500."""

import pytest

from common import sync_digest
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"


@pytest.fixture
def shop(session_factory):
    return make_shop(session_factory)


def _enroll(client, shop, email: str) -> dict:
    response = client.post(f"{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _page(client, till, **params):
    params = {"limit": 1, **params}
    if till.cursor:
        params["cursor"] = till.cursor
    response = client.get("/api/v1/sync/pull", params=params, headers=till.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    till.cursor = page["cursor"]
    return page


def test_digests_come_on_the_page_that_ends_a_round_and_only_when_asked(client, shop):
    """Planted: digests added to every page asked (no ``has_more`` test) -> the first
    page carries them."""
    for i in range(3):
        _enroll(client, shop, f"a{i}@x.example")
    till = pair(client, shop.owner_headers)

    pages = [_page(client, till, digests="true")]
    while pages[-1]["has_more"]:
        pages.append(_page(client, till, digests="true"))
    unasked = _page(client, till)

    assert len(pages) > 2
    assert [p.get("digests") is not None for p in pages] == [False] * (len(pages) - 1) + [True]
    assert unasked.get("digests") is None
    final = pages[-1]["digests"]
    assert set(final["buckets"]) | set(final["moving"]) == set(sync_digest.all_names())


def test_a_card_changed_during_the_round_moves_its_buckets_out_of_the_comparison(client, shop):
    """The till's copy of a card stamped after the round began is the older one: its
    bucket cannot be compared this round. Planted: rows stamped at or past the horizon
    digested like the others (``_split`` without the ``hi`` test) -> nothing moving."""
    cards = [_enroll(client, shop, f"b{i}@x.example") for i in range(3)]
    till = pair(client, shop.owner_headers)
    first = _page(client, till, digests="true")
    assert first["has_more"]
    pusher = pair(client, shop.owner_headers, "Pusher")
    stamp = {"type": "stamp.add", "card_number": cards[1]["card_number"]}
    pin = shop.pin_ids[shop.store_ids[0]]
    assert pusher.push([pusher.op(stamp, staff_pin_id=pin)]).status_code == 200

    page = first
    while page["has_more"]:
        page = _page(client, till, digests="true")

    number = sync_digest.bucket("cards", cards[1]["id"])
    moving = set(page["digests"]["moving"])
    assert {f"cards:{number}", f"transactions:{number}"} <= moving
    assert f"cards:{number}" not in page["digests"]["buckets"]
    untouched = sync_digest.bucket("cards", cards[0]["id"])
    assert f"cards:{untouched}" in page["digests"]["buckets"]


FORGED = [
    "cards:64",
    "customers:16",
    "staff_pins:1",
    "cards:-1",
    "cards",
    "cards:",
    ":3",
    "ledger:1",
    "cards:1,",
    "cards:1;DROP TABLE cards",
    "cards:99999999999999999999",
    "cards:\u0663",  # an Arabic-Indic digit: not a bucket number
    "CARDS:1",
    ",".join(["cards:1"] * 700),
]


def test_forged_bucket_names_are_refused_with_a_stable_code(client, shop):
    """Planted: ``parse`` without the bucket-count bound -> cards:64 answered 200."""
    till = pair(client, shop.owner_headers)

    answers = {
        names: client.get("/api/v1/sync/buckets", params={"names": names}, headers=till.headers)
        for names in FORGED
    }

    refused = {n: (r.status_code, r.json().get("code")) for n, r in answers.items()}
    assert refused == dict.fromkeys(FORGED, (422, "VALIDATION_ERROR"))


def test_only_a_paired_till_may_pull_buckets_again(client, shop):
    response = client.get(
        "/api/v1/sync/buckets", params={"names": "cards:1"}, headers=shop.owner_headers
    )

    assert response.status_code == 403


def test_a_repull_is_counted_by_entity_in_the_divergence_metric(client, shop, app):
    """Planted: the route did not call ``count_divergence`` -> no sample."""
    till = pair(client, shop.owner_headers)

    response = client.get(
        "/api/v1/sync/buckets",
        params={"names": "cards:1,cards:2,customers:0"},
        headers=till.headers,
    )

    assert response.status_code == 200, response.text
    exposed = app.state.metrics.exposition().decode()
    assert 'loyalty_sync_divergence_total{entity="cards"} 2.0' in exposed
    assert 'loyalty_sync_divergence_total{entity="customers"} 1.0' in exposed
