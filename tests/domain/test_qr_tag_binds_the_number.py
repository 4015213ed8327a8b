"""A QR payload's tag is bound to its card number: a tag copied from one of the
merchant's cards onto another number is refused. And a payload is read only up to the
documented size (256 characters, whitespace included): a printed one is 32."""

from common.card_number import make_card_number
from common.codes import Reason
from common.outcome import reject
from common.qr import MAX_PAYLOAD, encode_qr, parse_qr

KEY = b"merchant qr key, 32 bytes long.."
ONE, OTHER = make_card_number(1_000_000, 1), make_card_number(1_000_000, 2)


def test_a_tag_copied_onto_another_number_is_a_signature_mismatch() -> None:
    tag = encode_qr(ONE, KEY).rsplit(":", 1)[1]
    assert parse_qr(f"LOY1:{OTHER}:{tag}", KEY) == reject(Reason.QR_SIGNATURE_MISMATCH)


def test_a_payload_is_read_up_to_the_size_cap_and_not_beyond() -> None:
    payload = encode_qr(ONE, KEY)
    at_cap = payload.ljust(MAX_PAYLOAD)
    assert MAX_PAYLOAD == 256
    assert parse_qr(at_cap, KEY) == ONE
    assert parse_qr(at_cap + " ", KEY) == reject(Reason.INVALID_QR_PAYLOAD)
