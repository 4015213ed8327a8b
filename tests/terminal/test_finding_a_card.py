# ruff: noqa: F811 - ``setup`` is the imported pytest fixture, taken as an argument
"""Finding a card at the till by what the cashier types, on a snapshot pulled from the
server and with cards enrolled here: two letters of a first name are enough, a ``_``
typed is a ``_`` (not SQL's any-character), and a card enrolled here shows its holder's
short name and masked email before it is pulled back.

Planted bugs each test was seen failing on (mutmut's names, ``lookup``):
``find_by_customer`` wanting 3 characters, leaving ``_`` unescaped, dropping a pulled
card's name; ``_enrolled_match`` masking no email."""

from common.customer_privacy import email_hint
from tests.terminal.test_till_engine import API, setup  # noqa: F401

try:
    from tests.support.local_till import pull_into as _pull_into
except ImportError:  # the mutation run's copy of an older commit (docs/mutation.md)
    from tests.terminal.test_till_engine import _pull_into  # type: ignore[no-redef]


def _enroll(client, shop, email: str, name: str) -> str:
    made = client.post(
        f"{API}/cards/enroll",
        json={"email": email, "customer_name": name},
        headers=shop.owner_headers,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["card_number"])


def test_two_letters_of_a_first_name_find_the_pulled_card_with_its_name(setup, client):
    shop, _, remote, store, till, _ = setup
    number = _enroll(client, shop, "ann@x.example", "Ann Lee")
    _pull_into(store, remote)

    found = till.search("an")

    assert [m.card_number for m in found] == [number]
    assert found[0].name is not None
    assert found[0].name.startswith("Ann")


def test_an_underscore_typed_matches_only_an_underscore(setup, client):
    shop, _, remote, store, till, _ = setup
    _enroll(client, shop, "ann@x.example", "Ann Lee")
    _pull_into(store, remote)

    assert till.search("a_n") == []


def test_a_card_enrolled_here_shows_its_holder_before_it_is_pulled(setup):
    _, _, _, _, till, _ = setup
    made = till.enroll("walk.in@x.example", "Ada Lovelace", None, None)

    found = till.search(made.card.card_number)

    assert [m.card_number for m in found] == [made.card.card_number]
    assert found[0].email_hint == email_hint("walk.in@x.example")
    assert found[0].email_hint is not None
