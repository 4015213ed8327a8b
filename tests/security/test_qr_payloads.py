"""A QR payload names a card only under its merchant's HMAC: a genuine tag moved onto
another number, a hand-edited number, or a code of another merchant is refused by the
server and by a till that holds the key. (Format and check digit: tests/domain.)"""

import secrets

from common.codes import Reason
from common.outcome import Rejected
from common.qr import encode_qr
from desktop.engine.local_store import LocalStore
from desktop.engine.till import Till
from tests.store_api.conftest import API


def _qr(client, merchant, index: int) -> str:
    card = merchant.cards[index]["id"]
    return client.get(f"{API}/cards/{card}", headers=merchant.owner).json()["qr_code_data"]


def test_a_genuine_tag_moved_onto_another_card_number_is_refused(client, a):
    mine, other = _qr(client, a, 0), a.cards[1]["card_number"]
    prefix, _, tag = mine.split(":")
    moved = f"{prefix}:{other}:{tag}"

    response = client.post(f"{API}/cards/lookup", params={"qr_code": moved}, headers=a.owner)

    assert response.status_code == 400
    assert response.json()["code"] == "QR_SIGNATURE_MISMATCH"


def test_a_till_with_the_key_refuses_forged_and_foreign_payloads(tmp_path):
    key, foreign_key = secrets.token_bytes(32), secrets.token_bytes(32)
    store = LocalStore(tmp_path / "till.db")
    try:
        with store.transaction() as conn:
            store.set_meta(conn, "qr_key", key.hex())
        till = Till(store)
        genuine = encode_qr("1000000000000016", key)
        prefix, number, tag = genuine.split(":")
        other_number = "1000000000000024"

        assert till.card_number_from_scan(genuine) == number
        for payload in (
            f"{prefix}:{other_number}:{tag}",
            encode_qr(number, foreign_key),
            f"{prefix}:{number}:{tag[:-1]}{'A' if tag[-1] != 'A' else 'B'}",
        ):
            refused = till.card_number_from_scan(payload)
            assert isinstance(refused, Rejected), payload
            assert refused.code is Reason.QR_SIGNATURE_MISMATCH
    finally:
        store.close()
