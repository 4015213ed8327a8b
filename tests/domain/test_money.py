"""Amounts in the merchant's currency, and what counts as a currency code."""

import pytest

from common.money import cents_per_step, format_money, is_currency_code


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (1250, "EUR", "€12.50"),
        (5, "USD", "$0.05"),
        (-1250, "GBP", "\u2212£12.50"),
        (123_456_789, "EUR", "€1,234,567.89"),
        (1250, "CHF", "12.50 CHF"),
        (0, "EUR", "€0.00"),
    ],
)
def test_amounts_read_as_a_shop_writes_them(cents, currency, shown):
    assert format_money(cents, currency) == shown


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (-100, "JPY", "\u22121 JPY"),
        (125_000, "KRW", "1,250 KRW"),
        (99_950, "ISK", "1,000 ISK"),  # half a unit rounds up
        (99_949, "CLP", "999 CLP"),
        (0, "XOF", "0 XOF"),
    ],
)
def test_currencies_without_minor_units_show_no_decimals(cents, currency, shown):
    """Caught: "1,250.00 KRW" — every currency was written with two decimals."""
    assert format_money(cents, currency) == shown


def test_a_typed_digit_is_a_cent_or_a_whole_unit():
    assert (cents_per_step("EUR"), cents_per_step("JPY")) == (1, 100)


@pytest.mark.parametrize("code", ["EUR", "USD", "XXX"])
def test_three_uppercase_letters_are_a_code(code):
    assert is_currency_code(code)


@pytest.mark.parametrize("code", ["eur", "EURO", "EU", "", "ÉUR", "E1R", "EUR\n", None, 978, "€"])
def test_anything_else_is_not(code):
    assert not is_currency_code(code)
