"""Whatever is scanned or typed, card numbers and QR payloads get a verdict, never an
exception, and only ASCII digits make a card number.

Caught before the fix: a payload whose tag held a non-ASCII character or a lone
surrogate raised TypeError in ``hmac.compare_digest`` (issue #11, class 8), and a
payload carrying its number with spaces or dashes (``LOY1:1000-0000-…``) was accepted
without a key and handed back that unnormalized text as the card number.
"""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from common.card_number import SERVER_NODE, is_valid_card_number, make_card_number, normalize
from common.outcome import Rejected
from common.pins import is_valid_pin_format
from common.qr import encode_qr, parse_qr

KEY = bytes(range(32))
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}
ODD = [
    "\x00",
    "\x1d",  # the GS a USB scanner may send
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\ufeff",
    "\u00a0",
    "\u0301",  # a combining accent
    "😀",
    "é",
    "ß",
    ":",
    "-",
    " ",
    *FULLWIDTH.values(),
    *ARABIC_INDIC.values(),
]

lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
odd_chars = st.one_of(
    st.sampled_from(ODD), lone_surrogates, st.characters(), st.sampled_from("0123456789")
)
odd_text = st.lists(odd_chars, max_size=40).map("".join)
long_text = st.tuples(
    st.sampled_from(["1", "LOY1:", "\x00", "😀", "\ud800"]), st.integers(500, 12_000)
).map(lambda pair: pair[0] * pair[1])
numbers = st.builds(
    make_card_number, st.integers(SERVER_NODE, SERVER_NODE + 999), st.integers(0, 10**8 - 1)
)


@st.composite
def near_valid_payloads(draw: st.DrawFn) -> str:
    """A payload this merchant issued, with one part mutated."""
    parts = encode_qr(draw(numbers), KEY).split(":")
    index = draw(st.integers(0, 2))
    part = parts[index]
    how = draw(st.sampled_from(["replace", "insert", "substitute", "digits", "case", "pad"]))
    if how == "replace":
        part = draw(odd_text)
    elif how in ("insert", "substitute") and part:
        at = draw(st.integers(0, len(part) - 1))
        part = part[:at] + draw(odd_chars) + part[at + (how == "substitute") :]
    elif how == "digits":
        table = draw(st.sampled_from([FULLWIDTH, ARABIC_INDIC]))
        part = "".join(table.get(ch, ch) for ch in part)
    elif how == "case":
        part = part.swapcase()
    else:
        part = draw(st.sampled_from([" ", "\t", "\u00a0", "-"])) + part
    parts[index] = part
    extra = draw(st.sampled_from([[], [""], ["x"]]))
    return ":".join(parts + extra)


hostile_strings = st.one_of(
    near_valid_payloads(), near_valid_payloads(), odd_text, long_text, st.text(), st.just("")
)


def _check_number(number: str) -> None:
    assert isinstance(number, str)
    assert number == normalize(number)
    assert number.isascii()
    assert number.isdigit()
    assert len(number) == 16
    assert is_valid_card_number(number)


@settings(max_examples=500)
@given(hostile_strings)
@example("LOY1:1000000000000016:\u00e9AAAAAAAAA")
@example("LOY1:1000000000000016:\ud800")
@example("LOY1:1000-0000-0000-0016:AAAAAAAAAA")
def test_parse_qr_gives_a_number_or_a_refusal_for_any_string(payload):
    for key in (KEY, None):
        result = parse_qr(payload, key)
        assert isinstance(result, str | Rejected)
        if isinstance(result, str):
            _check_number(result)
            if key is not None:  # the tag verifies: it is exactly what this merchant printed
                assert payload.strip() == encode_qr(result, KEY)


@given(numbers)
def test_an_issued_payload_is_accepted_with_and_without_the_key(number):
    payload = encode_qr(number, KEY)
    assert parse_qr(payload, KEY) == number
    assert parse_qr(f"  {payload}\n", None) == number


@given(hostile_strings)
def test_card_number_checks_never_raise_and_accept_only_ascii_digits(text):
    normalized = normalize(text)
    assert isinstance(normalized, str)
    if is_valid_card_number(text):
        _check_number(normalized)


@given(numbers, st.sampled_from([FULLWIDTH, ARABIC_INDIC]), st.data())
def test_digits_of_other_scripts_are_not_card_digits(number, table, data):
    """Decided: a card number is ASCII digits only. ``int()`` and ``str.isdigit`` take
    fullwidth and Arabic-Indic digits, so a look-alike number would otherwise pass."""
    at = data.draw(st.integers(0, len(number) - 1))
    one_swapped = number[:at] + table[number[at]] + number[at + 1 :]
    assert not is_valid_card_number(one_swapped)
    assert not is_valid_card_number("".join(table[ch] for ch in number))


@given(hostile_strings)
def test_a_pin_is_four_to_eight_ascii_digits_and_nothing_else(text):
    """Caught before the fix: ``\\d{4,8}$`` took fullwidth and Arabic-Indic digits and
    a trailing newline."""
    assert is_valid_pin_format(text) == (text.isascii() and text.isdigit() and 4 <= len(text) <= 8)
    assert not is_valid_pin_format("\uff11\uff12\uff13\uff14")
    assert not is_valid_pin_format("1234\n")
