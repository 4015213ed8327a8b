"""What a till keeps of a customer (common/customer_privacy.py): a short name, a masked
email and keyed digests that find a card from the whole email or phone only."""

from hypothesis import example, given
from hypothesis import strategies as st

from common.customer_privacy import (
    email_hint,
    email_key,
    looks_like_phone,
    phone_key,
    short_name,
)

KEY = b"k" * 32


def test_a_short_name_is_the_first_name_and_the_initial_of_the_last():
    assert short_name("Camille Roux") == "Camille R."
    assert short_name("  Jean-Pierre de la  Fontaine ") == "Jean-Pierre F."
    assert short_name("Cher") == "Cher"
    assert short_name("") is None
    assert short_name(None) is None


def test_a_masked_email_shows_two_letters_and_the_top_level_domain():
    assert email_hint("camille.roux@example.com") == "c•••@e•••.com"
    assert email_hint("a@localhost") == "a•••@l•••"
    assert email_hint(None) is None
    assert email_hint("no-at-sign") is None


def test_an_email_digest_ignores_case_and_spaces_but_not_the_address():
    assert email_key(KEY, " Camille.Roux@Example.COM ") == email_key(
        KEY, "camille.roux@example.com"
    )
    assert email_key(KEY, "camille.roux@example.com") != email_key(KEY, "camille.rou@example.com")


def test_a_digest_depends_on_the_tills_key():
    """Planted: a digest without the key (plain sha256) is the same on every till and
    can be looked up in a table of known addresses."""
    assert email_key(KEY, "a@x.example") != email_key(b"other" * 7, "a@x.example")
    assert phone_key(KEY, "0612345678") != phone_key(b"other" * 7, "0612345678")


def test_a_phone_is_compared_on_its_last_nine_digits():
    """+33 6 12 34 56 78 and 06 12 34 56 78 are one number."""
    assert phone_key(KEY, "+33 6 12 34 56 78") == phone_key(KEY, "06.12.34.56.78")
    assert phone_key(KEY, "06 12 34 56 78") != phone_key(KEY, "06 12 34 56 79")
    assert phone_key(KEY, "12 34") is None  # too short to be a phone number
    assert phone_key(KEY, None) is None


def test_only_ascii_digits_count_as_a_phone_number():
    """Arabic-Indic or fullwidth digits are not what a keypad types (planted: str.isdigit
    would take them, and two different strings would share a digest)."""
    assert phone_key(KEY, "٠٦١٢٣٤٥٦٧٨") is None
    assert phone_key(KEY, "０６１２３４５６７８") is None


def test_a_typed_query_is_a_phone_number_when_it_has_enough_digits_and_nothing_else():
    assert looks_like_phone("+33 (0)6 12-34.56.78")
    assert not looks_like_phone("12 34")
    assert not looks_like_phone("Camille 0612345678")


HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(), st.characters(categories=["Cs"]), st.sampled_from("@. +0\x00")
    ),
    max_size=300,
)


@example("a\udc80@x.example")
@example("\x00" * 10_000 + "@x")
@given(st.one_of(HOSTILE_TEXT, st.builds("{}@{}".format, HOSTILE_TEXT, HOSTILE_TEXT)))
def test_no_text_breaks_the_minimisation(value):
    """Hostile text (lone surrogates, NUL, very long) gives an answer or None, never an
    exception: it arrives from the server's pull and from the keyboard. Caught: a lone
    surrogate in an email raised UnicodeEncodeError in the digest."""
    for result in (
        short_name(value),
        email_hint(value),
        email_key(KEY, value),
        phone_key(KEY, value),
    ):
        assert result is None or isinstance(result, str)
    hint = email_hint(value)
    if hint is not None:
        assert len(hint) <= 2 + 3 + 3 + 1 + len(value)
