"""What a till stores to find a customer (docs/privacy.md, "What a till holds"), at the
edges mutation testing found open. The keys are stored in the till's cache and compared
with the key of what a cashier types later, possibly after the till was updated: their
format is frozen (keyed BLAKE2b, 128 bits, personalised by kind so that an email's key
and a phone's key live in separate domains)."""

import hashlib

import pytest

from common.customer_privacy import email_hint, email_key, looks_like_phone, phone_key

KEY = bytes(range(32))


def blake(kind: bytes, text: str) -> str:
    return hashlib.blake2b(text.encode(), key=KEY, digest_size=16, person=kind).hexdigest()


def test_an_email_key_is_blake2b_of_the_folded_address_personalised_email() -> None:
    assert email_key(KEY, "  Camille@Example.COM ") == blake(b"email", "camille@example.com")


def test_a_phone_key_is_blake2b_of_its_last_nine_digits_personalised_phone() -> None:
    assert phone_key(KEY, "+33 6 12 34 56 78") == blake(b"phone", "612345678")


def test_text_without_an_at_sign_has_no_email_key() -> None:
    assert email_key(KEY, "camille.example.com") is None


def test_six_digits_are_enough_for_a_phone_key_five_are_not() -> None:
    assert phone_key(KEY, "12-34-56") == blake(b"phone", "123456")
    assert phone_key(KEY, "12-34-5") is None


@pytest.mark.parametrize(
    ("query", "is_phone"),
    [
        ("123456", True),
        ("(06) 12.34-56", True),
        ("+33 612", False),  # five digits
        ("06 12 34 56 XX", False),
        ("0612345678x", False),
    ],
)
def test_a_query_is_a_phone_number_with_six_digits_and_only_phone_punctuation(
    query: str, is_phone: bool
) -> None:
    assert looks_like_phone(query) is is_phone


def test_a_masked_email_names_the_domain_after_the_last_at_sign_and_its_last_label() -> None:
    # A quoted mailbox may hold an "@"; the domain is what follows the last one.
    assert email_hint('"a@b"@example.com') == '"•••@e•••.com'
    assert email_hint("camille@mail.example.co.uk") == "c•••@m•••.uk"
