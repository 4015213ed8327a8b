"""Amounts as the shop shows them: whole cents in the merchant's currency (an ISO 4217
code), with a symbol for the few currencies a symbol is unambiguous for."""

import re

DEFAULT_CURRENCY = "EUR"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
_CODE = re.compile(CURRENCY_PATTERN, re.ASCII)
# Symbols written before the amount; any other code is written after it ("12.50 CHF").
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
MINUS = "\u2212"  # a minus sign, not a hyphen


def is_currency_code(value: object) -> bool:
    """Three uppercase ASCII letters. The shape only: which codes ISO 4217 lists today
    changes over time, and an unknown one is merely shown as its letters."""
    return isinstance(value, str) and _CODE.fullmatch(value) is not None


def format_money(cents: int, currency: str = DEFAULT_CURRENCY) -> str:
    """'€12.50', '1,234.00 CHF'; below zero with a minus sign (U+2212)."""
    sign = MINUS if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    number = f"{whole:,}.{rest:02d}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def symbol(currency: str) -> str:
    """'€' for EUR; the code itself where no symbol is kept."""
    return _SYMBOLS.get(currency, currency)
