"""Card numbers carry a check digit and their issuing node; QR payloads are signed."""

import pytest

from common.card_number import (
    SERVER_NODE,
    display,
    is_valid_card_number,
    make_card_number,
    node_of,
    normalize,
    terminal_node,
)
from common.codes import Reason
from common.outcome import Rejected
from common.qr import encode_qr, parse_qr

KEY = bytes(range(32))


def test_a_made_number_is_valid_and_says_who_issued_it():
    number = make_card_number(terminal_node(7), 123)
    assert is_valid_card_number(number)
    assert len(number) == 16
    assert node_of(number) == SERVER_NODE + 7


def test_every_single_digit_typo_is_caught():
    number = make_card_number(SERVER_NODE, 98765)
    for i in range(16):
        for digit in "0123456789":
            typo = number[:i] + digit + number[i + 1 :]
            if typo != number:
                assert not is_valid_card_number(typo), typo


def test_people_may_type_spaces_and_dashes():
    number = make_card_number(SERVER_NODE, 5)
    assert normalize(display(number)) == number
    assert is_valid_card_number(display(number).replace(" ", "-"))
    assert display(number).count(" ") == 3


@pytest.mark.parametrize(
    "text",
    ["", "123", "1000000000000017x", "\uff11" + "\uff10" * 14 + "\uff16", "10000000000000160"],
)
def test_malformed_numbers_are_invalid(text):
    assert not is_valid_card_number(text)


@pytest.mark.parametrize(("node", "serial"), [(-1, 1), (10**7, 1), (1, -1), (1, 10**8)])
def test_out_of_range_parts_are_refused(node, serial):
    with pytest.raises(ValueError):
        make_card_number(node, serial)


def test_a_qr_payload_round_trips_with_the_merchant_key():
    number = make_card_number(SERVER_NODE, 1)
    payload = encode_qr(number, KEY)
    assert payload.startswith("LOY1:")
    assert parse_qr(payload, KEY) == number
    assert parse_qr(payload, None) == number  # a till without the key checks format only


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("https://example.com", Reason.INVALID_QR_PAYLOAD),
        ("LOY2:1000000000000016:AAAAAAAAAA", Reason.INVALID_QR_PAYLOAD),
        ("LOY1:1000000000000017:AAAAAAAAAA", Reason.INVALID_QR_PAYLOAD),
        ("LOY1:1000000000000016:AAAAAAAAAA", Reason.QR_SIGNATURE_MISMATCH),
    ],
)
def test_foreign_or_forged_payloads_are_refused(payload, code):
    result = parse_qr(payload, KEY)
    assert isinstance(result, Rejected)
    assert result.code is code


def test_another_merchant_key_does_not_verify():
    payload = encode_qr(make_card_number(SERVER_NODE, 1), KEY)
    result = parse_qr(payload, bytes(32))
    assert isinstance(result, Rejected)
    assert result.code is Reason.QR_SIGNATURE_MISMATCH
