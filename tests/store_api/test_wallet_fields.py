"""Wallets through the store API: cards say whether their customer carries a pass, the
owner switches wallets per program, owners and managers see how many cards carry one."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from sync_server.models import Card, WalletRegistration
from sync_server.wallet.passes import ensure_pass
from tests.store_api.conftest import API, Merchant
from tests.support.till import pair

SECRET = b"test-wallet-secret"


def give_pass(
    session_factory: Any, card_id: int, *, apple: bool = False, google: str | None = None
) -> int:
    """A pass as Apple's and Google's code leave it: issued, and/or with an object."""
    with session_factory() as session:
        wallet_pass = ensure_pass(session, session.get_one(Card, card_id), SECRET)
        if apple:
            wallet_pass.apple_issued_at = datetime.now(UTC)
        if google is not None:
            wallet_pass.google_object_id = google
        session.commit()
        return wallet_pass.id


def register(session_factory: Any, pass_id: int, device: str) -> None:
    with session_factory() as session:
        session.add(WalletRegistration(pass_id=pass_id, device_library_id=device, push_token="t"))
        session.commit()


def flags(body: dict[str, Any]) -> tuple[bool, bool]:
    return body["has_apple_wallet"], body["has_google_wallet"]


def listed(client: Any, merchant: Merchant) -> dict[int, tuple[bool, bool]]:
    answer = client.get(f"{API}/cards", headers=merchant.owner)
    assert answer.status_code == 200, answer.text
    return {c["id"]: flags(c) for c in answer.json()["cards"]}


def test_a_card_says_which_wallets_carry_it_in_every_card_response(client, session_factory, a):
    """Planted: has_apple_wallet from the pass's existence (not apple_issued_at) -> a pass
    made for a link but never downloaded shows as carried; the flags swapped -> fails."""
    first, second = a.cards[0], a.cards[1]
    assert listed(client, a) == {first["id"]: (False, False), second["id"]: (False, False)}

    give_pass(session_factory, first["id"])  # made by a link, nothing handed out yet
    assert listed(client, a)[first["id"]] == (False, False)

    give_pass(session_factory, first["id"], apple=True)
    give_pass(session_factory, second["id"], google="issuer.card-2")
    assert listed(client, a) == {first["id"]: (True, False), second["id"]: (False, True)}

    detail = client.get(f"{API}/cards/{second['id']}", headers=a.owner).json()
    assert flags(detail) == (False, True)
    found = client.post(
        f"{API}/cards/lookup", params={"card_number": first["card_number"]}, headers=a.owner
    )
    assert flags(found.json()) == (True, False)
    searched = client.get(
        f"{API}/cards/lookup", params={"q": second["card_number"]}, headers=a.owner
    )
    assert flags(searched.json()) == (False, True)


@contextmanager
def counted_queries(app: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)


def test_the_card_list_reads_wallets_in_one_query_whatever_the_page_size(
    client, session_factory, app, a
):
    """Planted: card_response querying the card's pass itself -> one query per card."""
    with counted_queries(app) as two_cards:
        assert len(listed(client, a)) == 2
    for i in range(4):
        made = client.post(
            f"{API}/cards/enroll", json={"email": f"x{i}@a.example"}, headers=a.owner
        )
        assert made.status_code == 201
        give_pass(session_factory, made.json()["id"], apple=True, google=f"o{i}")
    with counted_queries(app) as six_cards:
        assert len(listed(client, a)) == 6
    assert len(six_cards) == len(two_cards)


def program_switches(client: Any, headers: dict[str, str]) -> tuple[bool, bool]:
    body = client.get(f"{API}/program", headers=headers).json()
    return body["apple_wallet_enabled"], body["google_wallet_enabled"]


def test_the_owner_switches_each_wallet_of_the_program(client, a):
    """Planted: the two fields left out of ProgramUpdate -> 422 (Strict refuses them)."""
    assert program_switches(client, a.owner) == (False, False)
    on = client.put(f"{API}/program", json={"apple_wallet_enabled": True}, headers=a.owner)
    assert on.status_code == 200, on.text
    assert program_switches(client, a.owner) == (True, False)
    both = {"apple_wallet_enabled": False, "google_wallet_enabled": True}
    assert client.put(f"{API}/program", json=both, headers=a.owner).status_code == 200
    assert program_switches(client, a.owner) == (False, True)


def test_a_manager_or_a_till_cannot_switch_and_nothing_changes(client, a):
    """Planted: PUT /program taking ActorDep instead of OwnerDep -> the manager's 200."""
    till = pair(client, a.owner)
    for headers in (a.manager, till.headers):
        answer = client.put(f"{API}/program", json={"google_wallet_enabled": True}, headers=headers)
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "FORBIDDEN"
    assert program_switches(client, a.owner) == (False, False)


def test_hostile_switch_values_are_refused_with_a_stable_code(client, a):
    """Planted: StrictBool loosened to bool -> "yes" and 1 turn a wallet on."""
    for value in ("yes", 1, "true", None, [], {"a": 1}, 2**63):
        answer = client.put(f"{API}/program", json={"apple_wallet_enabled": value}, headers=a.owner)
        assert answer.status_code == 422, (value, answer.text)
        assert answer.json()["code"] == "VALIDATION_ERROR"
    assert program_switches(client, a.owner) == (False, False)


def test_owners_and_managers_see_how_many_cards_carry_a_pass(client, session_factory, a, b):
    """Planted: the counts not filtered by merchant -> b's pass counted for a; devices
    counted per registration -> one phone holding two passes counted twice."""
    first = give_pass(session_factory, a.cards[0]["id"], apple=True, google="g-1")
    second = give_pass(session_factory, a.cards[1]["id"], apple=True)
    give_pass(session_factory, a.cards[1]["id"])  # asked again: still one pass
    theirs = give_pass(session_factory, b.cards[0]["id"], apple=True, google="g-b")
    register(session_factory, first, "phone-1")
    register(session_factory, second, "phone-1")
    register(session_factory, second, "phone-2")
    register(session_factory, theirs, "phone-b")
    client.put(f"{API}/program", json={"google_wallet_enabled": True}, headers=a.owner)

    for headers in (a.owner, a.manager):
        answer = client.get(f"{API}/program/wallets", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "apple_wallet_enabled": False,
            "google_wallet_enabled": True,
            "cards_with_apple_pass": 2,
            "cards_with_google_object": 1,
            "registered_devices": 2,
        }


def test_a_till_cannot_read_the_wallet_counts(client, a):
    """Planted: the route taking ActorDep instead of PersonDep -> the till's 200."""
    till = pair(client, a.owner)
    answer = client.get(f"{API}/program/wallets", headers=till.headers)
    assert answer.status_code == 403
    assert client.get(f"{API}/program/wallets").status_code == 401


def test_a_merchant_without_a_program_has_no_wallet_counts(client, a):
    """Planted: the program not required -> None.apple_wallet_enabled, a 500."""
    assert client.delete(f"{API}/program", headers=a.owner).status_code == 204
    answer = client.get(f"{API}/program/wallets", headers=a.owner)
    assert (answer.status_code, answer.json()["code"]) == (404, "PROGRAM_NOT_FOUND")
