"""An op refused because its slot is taken (its op_id by another body, its seq by
another op) is answered in full, with the code, the message and what was reused, so
the attention list can say which; nothing is stored for it.

Written against the mutants mutmut left alive in ``push_records.refused``
(docs/mutation.md): the message or the detail dropped from the answer."""

from common.codes import MESSAGES, Reason
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"


def _setup(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = client.post(
        f"{API}/cards/enroll", json={"email": "c@example.com"}, headers=shop.owner_headers
    ).json()["card_number"]
    body = {"type": "points.earn", "card_number": number, "purchase_amount_cents": 1000}
    first = till.op(body, staff_pin_id=shop.pin_ids[till.store_id])
    till.push([first])
    return till, first


def _answer(result: dict[str, object]) -> tuple[object, ...]:
    return (result["status"], result["code"], result["message"], result["detail"])


def test_an_op_id_reused_with_another_body_is_answered_with_its_code_message_and_op_id(
    client, session_factory
):
    till, first = _setup(client, session_factory)
    forged = {**first, "body": {**first["body"], "purchase_amount_cents": 99900}}

    result = till.push([forged]).json()["results"][0]

    assert _answer(result) == (
        "rejected",
        "OP_ID_REUSED",
        MESSAGES[Reason.OP_ID_REUSED],
        {"op_id": first["op_id"]},
    )


def test_a_seq_reused_by_another_op_is_answered_with_its_code_message_and_seq(
    client, session_factory
):
    till, first = _setup(client, session_factory)
    other = {**till.op(first["body"], staff_pin_id=first["staff_pin_id"]), "seq": first["seq"]}

    result = till.push([other]).json()["results"][0]

    assert _answer(result) == (
        "rejected",
        "SEQ_REUSED",
        MESSAGES[Reason.SEQ_REUSED],
        {"seq": first["seq"]},
    )
