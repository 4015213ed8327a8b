"""Card numbers end with a Luhn check digit, the one every card scheme uses, so a
mistyped digit is caught at the till. Checked against numbers whose digit is published
(not computed by the code under test), and at the ends of the node and serial ranges."""

import pytest

from common.card_number import (
    MAX_NODE,
    MAX_SERIAL,
    is_valid_card_number,
    luhn_check_digit,
    make_card_number,
)


@pytest.mark.parametrize(
    "number",
    ["79927398713", "4111111111111111", "5555555555554444", "4012888888881881"],
)
def test_the_check_digit_of_published_luhn_numbers(number: str) -> None:
    assert luhn_check_digit(number[:-1]) == int(number[-1])


@pytest.mark.parametrize(("node", "serial"), [(0, 0), (MAX_NODE, MAX_SERIAL)])
def test_the_whole_node_and_serial_ranges_make_valid_numbers(node: int, serial: int) -> None:
    number = make_card_number(node, serial)
    assert len(number) == 16
    assert is_valid_card_number(number)


@pytest.mark.parametrize(
    ("node", "serial"), [(-1, 0), (MAX_NODE + 1, 0), (0, -1), (0, MAX_SERIAL + 1)]
)
def test_a_node_or_serial_past_its_digits_is_refused(node: int, serial: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        make_card_number(node, serial)
