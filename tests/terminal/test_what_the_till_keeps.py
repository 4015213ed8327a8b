"""The till keeps a short name, a masked email and keyed digests of a customer
(desktop/engine/customer_cache.py): it finds a card from the whole email or phone, or
part of the short name, and never holds the email, full name or phone it was sent."""

import json
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from common.card_number import make_card_number
from common.operations import AddStamp
from desktop.engine import local_schema
from desktop.engine.local_store import LocalStore
from desktop.engine.lookup import find_by_customer, find_by_number

NUMBER = make_card_number(1_000_000, 21)
OTHER = make_card_number(1_000_000, 22)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CAMILLE = {
    "id": 1,
    "email": "Camille.Roux@example.com",
    "name": "Camille Roux",
    "phone": "+33 6 12 34 56 78",
}
ALAN = {"id": 2, "email": "alan@x.example", "name": "Alan Turing", "phone": None}


def _page(cursor="c1", **changes):
    return {"cursor": cursor, "reset": False, "changes": changes, "program": {"stamps_target": 10}}


def _card(card_id, number, customer_id):
    return {"id": card_id, "card_number": number, "customer_id": customer_id, "is_active": True}


def _pulled(tmp_path) -> LocalStore:
    store = LocalStore(tmp_path / "till.db")
    store.apply_pull_page(
        _page(customers=[CAMILLE, ALAN], cards=[_card(1, NUMBER, 1), _card(2, OTHER, 2)])
    )
    return store


def _found(store, query):
    return [m.card_number for m in find_by_customer(store, query, store.snapshot_card)]


def test_a_card_is_found_by_the_whole_email_in_any_case(tmp_path):
    store = _pulled(tmp_path)

    assert _found(store, "camille.roux@EXAMPLE.com") == [NUMBER]
    assert _found(store, "  Camille.Roux@example.com ") == [NUMBER]


def test_part_of_an_email_finds_nothing_the_till_does_not_hold_it(tmp_path):
    """The cost of minimisation, on purpose (docs/privacy.md)."""
    store = _pulled(tmp_path)

    assert _found(store, "camille.roux@") == []
    assert _found(store, "example.com") == []


def test_a_card_is_found_by_the_whole_phone_number_however_it_is_written(tmp_path):
    store = _pulled(tmp_path)

    assert _found(store, "06 12 34 56 78") == [NUMBER]
    assert _found(store, "+33612345678") == [NUMBER]
    assert _found(store, "06 12 34 56 79") == []


def test_a_card_is_found_by_part_of_the_first_name_but_not_by_the_surname(tmp_path):
    store = _pulled(tmp_path)

    assert _found(store, "camil") == [NUMBER]
    assert _found(store, "Alan T") == [OTHER]
    assert _found(store, "Turing") == []


def test_a_full_name_typed_is_looked_for_as_first_name_and_initial(tmp_path):
    """Typing "Camille Roux" finds Camille R. (and would find a Camille Rey too: the list
    shows the masked email to tell them apart). Planted: searching the full name as
    typed finds nothing, since the till holds "Camille R."."""
    store = _pulled(tmp_path)

    assert _found(store, "Camille Roux") == [NUMBER]
    assert _found(store, "alan turing") == [OTHER]
    assert _found(store, "Alan Kay") == []


def test_a_scanned_card_shows_the_short_name_and_the_masked_email(tmp_path):
    store = _pulled(tmp_path)

    [match] = find_by_number(store, NUMBER, store.snapshot_card)

    assert (match.name, match.email_hint, match.display_name) == (
        "Camille R.",
        "C•••@e•••.com",
        "Camille R.",
    )


def test_the_till_files_never_hold_the_email_the_full_name_or_the_phone(tmp_path):
    """Planted: storing the pulled columns as sent (email, name, phone) fails."""
    store = _pulled(tmp_path)
    store.close()

    files = b"".join(p.read_bytes() for p in tmp_path.glob("till.db*"))
    for secret in ("Camille.Roux@example.com", "Roux", "12 34 56 78", "alan@x.example", "Turing"):
        assert secret.encode() not in files, secret
        assert secret.encode("utf-16-le") not in files, secret


def test_an_erased_customer_loses_what_the_till_kept_and_their_settled_history(tmp_path):
    """The server sends an erased person's row with no email, name or phone: the short
    name, masked email and digests go, and so do the settled outbox rows of their card
    (an enrollment there holds what was typed). Another customer's rows stay."""
    store = _pulled(tmp_path)
    for number in (NUMBER, OTHER):
        store.append(
            AddStamp(card_number=number),
            client_time=NOW,
            staff_pin_id=None,
            offline=False,
            snapshot_age_s=0,
        )
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE outbox SET status = 'applied', settled = 1")

    store.apply_pull_page(
        _page("c2", customers=[{"id": 1, "email": None, "name": None, "phone": None}])
    )

    assert _found(store, "camille.roux@example.com") == []
    assert _found(store, "camil") == []
    [match] = find_by_number(store, NUMBER, store.snapshot_card)
    assert (match.name, match.email_hint, match.display_name) == (None, None, "Card holder")
    with store.engine.connect() as conn:
        left = conn.execute(text("SELECT card_number FROM outbox")).scalars().all()
    assert left == [OTHER]
    # Not left in the WAL for a later checkpoint (planted: no truncation -> 185 KB of WAL).
    assert (tmp_path / "till.db-wal").stat().st_size == 0


def test_an_old_cache_is_minimised_in_place_and_keeps_its_outbox(tmp_path):
    """A till updated from the version that stored email, name and phone: its rows are
    converted on first open, and the plain values leave the file."""
    path = tmp_path / "till.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        local_schema.upgrade(conn, target=5)
        conn.execute(
            text("INSERT INTO customers (id, email, name, phone) VALUES (1, :e, :n, :p)"),
            {"e": CAMILLE["email"], "n": CAMILLE["name"], "p": CAMILLE["phone"]},
        )
        conn.execute(
            text("INSERT INTO cards (card_number, id, customer_id, state) VALUES (:n, 1, 1, :s)"),
            {"n": NUMBER, "s": json.dumps({"card_number": NUMBER, "is_active": True})},
        )
        conn.execute(
            text(
                "INSERT INTO outbox (seq, op_id, card_number, body, client_time, offline) "
                "VALUES (1, 'op-1', :n, :b, :t, 0)"
            ),
            {
                "n": NUMBER,
                "b": json.dumps({"type": "stamp.add", "card_number": NUMBER}),
                "t": NOW.isoformat(),
            },
        )
    engine.dispose()

    store = LocalStore(path)

    assert [e.op_id for e in store.entries()] == ["op-1"]
    assert _found(store, "camille.roux@example.com") == [NUMBER]
    store.close()
    files = b"".join(p.read_bytes() for p in tmp_path.glob("till.db*"))
    assert CAMILLE["email"].encode() not in files
