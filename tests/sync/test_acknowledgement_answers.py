"""What a till is told when it acknowledges an attention item: whether it was the first
to do so. Written against a mutant mutmut left alive in sync_server/sync/push_attention.py
(docs/mutation.md): the first acknowledgement's detail key misspelled."""

from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"


def test_the_first_acknowledgement_says_so_and_a_second_says_it_was_already_done(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    number = client.post(
        f"{API}/cards/enroll", json={"email": "a@x.example"}, headers=shop.owner_headers
    ).json()["card_number"]
    redeem = till.op(
        {"type": "points.redeem", "card_number": number, "reward_id": "fifty"}, staff_pin_id=pin
    )
    assert till.push([redeem]).json()["results"][0]["code"] == "INSUFFICIENT_POINTS"

    def ack() -> dict[str, object]:
        body = {"type": "attention.acknowledge", "op_id": redeem["op_id"], "note": "seen"}
        return till.push([till.op(body, staff_pin_id=pin)]).json()["results"][0]

    first, second = ack(), ack()

    assert (first["status"], first["detail"]) == ("applied", {"already_acknowledged": False})
    assert (second["status"], second["detail"]) == ("applied", {"already_acknowledged": True})
