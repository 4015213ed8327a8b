"""The currency beside the till's amount keypad: a symbol only where one is unambiguous
(€, $, £), otherwise the ISO code itself, never an empty label."""

import pytest

from common.money import symbol


@pytest.mark.parametrize(("code", "shown"), [("EUR", "€"), ("USD", "$"), ("GBP", "£")])
def test_the_few_unambiguous_currencies_show_their_symbol(code: str, shown: str) -> None:
    assert symbol(code) == shown


@pytest.mark.parametrize("code", ["CHF", "JPY", "XXX"])
def test_any_other_currency_shows_its_code(code: str) -> None:
    assert symbol(code) == code
