"""Amounts as the shop shows them, in the merchant's currency (an ISO 4217 code), with
a symbol for the few currencies a symbol is unambiguous for.

Amounts travel and are kept in hundredths of the currency's unit ("cents") whatever the
currency, so the rules (points per unit) read the same everywhere. A currency without
minor units (JPY, KRW, …) is shown, and typed, in whole units: "1,250 JPY", never
"1,250.00 JPY"."""

import re

DEFAULT_CURRENCY = "EUR"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
_CODE = re.compile(CURRENCY_PATTERN, re.ASCII)
# Symbols written before the amount; any other code is written after it ("12.50 CHF").
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
# ISO 4217 currencies whose minor unit is 0 (the list's "0" exponent, funds codes left
# out): every other code is shown with two decimals.
ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
MINUS = "\u2212"  # a minus sign, not a hyphen


def is_currency_code(value: object) -> bool:
    """Three uppercase ASCII letters. The shape only: which codes ISO 4217 lists today
    changes over time, and an unknown one is merely shown as its letters."""
    return isinstance(value, str) and _CODE.fullmatch(value) is not None


def decimals(currency: str) -> int:
    """How many decimals the currency is written with: 0 or 2."""
    return 0 if currency in ZERO_DECIMAL else 2


def cents_per_step(currency: str) -> int:
    """What one typed digit is worth, in cents: 1, or 100 for a whole-unit currency."""
    return 1 if decimals(currency) == 2 else 100


def format_amount(cents: int, currency: str = DEFAULT_CURRENCY) -> str:
    """The number alone: '1,234.50', or '1,235' for a whole-unit currency (rounded half
    up; the till's keypad only makes whole units there)."""
    if decimals(currency) == 0:
        return f"{(cents + 50) // 100:,}"
    whole, rest = divmod(cents, 100)
    return f"{whole:,}.{rest:02d}"


def format_money(cents: int, currency: str = DEFAULT_CURRENCY) -> str:
    """'€12.50', '1,234.00 CHF', '1,250 JPY'; below zero with a minus sign (U+2212)."""
    sign = MINUS if cents < 0 else ""
    number = format_amount(abs(cents), currency)
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def symbol(currency: str) -> str:
    """'€' for EUR; the code itself where no symbol is kept."""
    return _SYMBOLS.get(currency, currency)
