"""Erasing a customer (issue #17): their email, name and phone leave every table and
the database dump, the chain still verifies, nobody else's data or balance moves, and
an op a till pushes later for their card gets the documented verdict
(common/erasure.py: ``close`` refuses it CARD_INACTIVE, ``keep`` applies it)."""

import hashlib
import json
import subprocess
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sync_server.ledger_chain import verify
from tests.privacy.scenario import AGENT, EMAIL, NAME, NEEDLES, PHONE, build_world, found_anywhere
from tests.store_api.conftest import API

CUSTOMERS = "/api/v1/customers"


@pytest.fixture
def world(client, session_factory):
    return build_world(client, session_factory)


def _snapshot(factory, erased_customer_id: int) -> dict[str, Any]:
    """Everyone else's customer rows and ledger notes, every card's balances, every
    ledger entry's amounts and chain hash."""
    queries = {
        "others": "SELECT id, email, name, phone, change_txid FROM customers"
        f" WHERE id <> {erased_customer_id} ORDER BY id",
        "balances": "SELECT id, stamp_count, points_balance, total_stamps_earned,"
        " stamps_redeemed, total_points_earned, points_redeemed, total_points_voided"
        " FROM cards ORDER BY id",
        "entries": "SELECT id, card_id, type, stamps_delta, points_delta, chain_seq,"
        " prev_hash, entry_hash FROM ledger_entries ORDER BY id",
        "others_entries": "SELECT e.id, e.notes, e.ip_address, e.user_agent"
        " FROM ledger_entries e JOIN cards c ON c.id = e.card_id"
        f" WHERE c.customer_id <> {erased_customer_id} ORDER BY e.id",
        "heads": "SELECT merchant_id, last_seq, last_hash FROM ledger_chain_heads"
        " ORDER BY merchant_id",
    }
    with factory() as session:
        return {k: [tuple(r) for r in session.execute(text(q))] for k, q in queries.items()}


def _chains(factory, *merchant_ids: int) -> list[str]:
    with factory() as session:
        return [r.problem for m in merchant_ids if (r := verify(session, m)).problem]


def test_an_erased_customer_is_in_no_table_and_everything_else_is_untouched(
    client, session_factory, world
):
    """Planted bugs each caught here: the op bodies not scrubbed (sync_ops.body holds
    the offline enrollment's email), ops looked up by card number only (the refused
    enrollment's body keeps it), the ledger notes kept (ledger_entries.notes), the
    acknowledgement's note kept (sync_ops.acknowledged_note)."""
    p, a = world.person, world.a
    before = _snapshot(session_factory, p.customer_id)
    assert found_anywhere(session_factory, NEEDLES) != []

    erased = client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=a.owner)

    assert erased.status_code == 200, erased.text
    assert erased.json()["card_policy"] == "close"
    assert set(erased.json()["card_numbers"]) == {p.card_number, p.alias_number}
    assert found_anywhere(session_factory, NEEDLES) == []
    assert found_anywhere(session_factory, (AGENT,)) == []
    assert _chains(session_factory, a.id, world.b.id) == []
    after = _snapshot(session_factory, p.customer_id)
    assert after == before


def test_the_export_holds_the_data_before_and_shows_it_gone_after(client, world):
    p, a = world.person, world.a
    path = f"{CUSTOMERS}/{p.customer_id}/export"

    first = client.get(path, headers=a.owner)
    client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=a.owner)
    second = client.get(path, headers=a.owner)

    assert first.status_code == 200, first.text
    doc = first.json()
    assert doc["format"] == "loyalty-customer-export/1"
    person = doc["customer"]
    assert (person["email"], person["name"], person["phone"]) == (EMAIL, NAME, PHONE)
    assert {c["card_number"] for c in doc["cards"]} == {p.card_number}
    assert [m["card_number"] for m in doc["merged_card_numbers"]] == [p.alias_number]
    notes = [t["notes"] for t in doc["transactions"] if t["notes"]]
    assert f"mail {EMAIL}" in notes
    assert AGENT in {t["user_agent"] for t in doc["transactions"]}
    assert {t["store"] for t in doc["transactions"]} == {"a1"}
    ops = {o["type"]: o for o in doc["till_operations"]}
    assert ops["card.enroll"]["sent"]["customer"]["email"] == EMAIL
    assert ops["points.redeem"]["acknowledged_note"] == f"told {NAME}"
    assert second.status_code == 200, second.text
    gone = second.json()
    assert gone["customer"]["email"] is None
    assert gone["customer"]["erased_at"] is not None
    assert [c["active"] for c in gone["cards"]] == [False]
    assert len(gone["transactions"]) == len(doc["transactions"])
    assert not any(n in second.text for n in (EMAIL, NAME, PHONE, AGENT))


def test_with_close_an_op_from_the_outbox_is_refused_card_inactive(client, world):
    p = world.person
    client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=world.a.owner)

    pushed = world.till.push(p.outbox)

    result = pushed.json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "CARD_INACTIVE")


def test_with_keep_the_card_stays_an_anonymous_balance_that_works(client, world):
    """Planted bug: the card closed whatever the setting (the push is refused)."""
    p, a = world.person, world.a
    kept = client.put(f"{API}/settings", json={"erasure_cards": "keep"}, headers=a.owner)
    assert kept.json()["effective_erasure_cards"] == "keep"
    stamps = client.get(f"{API}/cards/{p.card_id}", headers=a.owner).json()["stamp_count"]

    erased = client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=a.owner)
    pushed = world.till.push(p.outbox)
    card = client.get(f"{API}/cards/{p.card_id}", headers=a.owner).json()

    assert erased.json()["card_policy"] == "keep"
    assert pushed.json()["results"][0]["status"] == "applied", pushed.text
    assert card["is_active"] is True
    assert card["stamp_count"] == stamps + 1
    assert (card["customer_email"], card["customer_name"], card["customer_phone"]) == (
        None,
        None,
        None,
    )


def test_the_next_pull_brings_tills_the_customer_row_without_email_name_or_phone(client, world):
    """Planted bug: the customer row updated without a new change stamp (the till
    never hears of the erasure)."""
    p, till = world.person, world.till
    till.pull_all()
    assert till.state["customers"][str(p.customer_id)]["email"] == EMAIL

    client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=world.a.owner)
    pages = till.pull_all()

    row = till.state["customers"][str(p.customer_id)]
    assert (row["email"], row["name"], row["phone"]) == (None, None, None)
    assert any(str(p.customer_id) in str(page["changes"].get("customers")) for page in pages)
    assert till.state["cards"][str(p.card_id)]["is_active"] is False


def test_an_offline_enrollment_bringing_the_email_back_makes_a_new_customer(
    client, session_factory, world
):
    p, till, a = world.person, world.till, world.a
    client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=a.owner)
    number = till.new_card_number()
    again = till.op(
        {"type": "card.enroll", "card_number": number, "customer": {"email": EMAIL}},
        staff_pin_id=a.pins[0],
        offline=True,
        snapshot_age_s=5,
    )

    result = till.push([again]).json()["results"][0]
    card = client.post(f"{API}/cards/lookup", params={"card_number": number}, headers=a.owner)

    assert result["status"] == "applied", result
    assert card.json()["customer_id"] != p.customer_id
    assert card.json()["customer_email"] == EMAIL
    export = client.get(f"{CUSTOMERS}/{p.customer_id}/export", headers=a.owner).json()
    assert export["customer"]["email"] is None


def test_erasing_twice_answers_the_same_and_changes_nothing_more(client, session_factory, world):
    p, a = world.person, world.a
    first = client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=a.owner)
    between = _snapshot(session_factory, 0)

    second = client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=a.owner)

    assert second.status_code == 200
    assert second.json() == first.json()
    assert _snapshot(session_factory, 0) == between
    with session_factory() as session:
        logged = session.execute(text("SELECT count(*) FROM customer_erasures")).scalar_one()
    assert logged == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_pg_dump_after_erasure_holds_no_email_name_or_phone(client, db_url, world):
    """Planted bug: the ledger notes kept (the dump's COPY of ledger_entries has them)."""
    libpq = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)

    def dump() -> str:
        done = subprocess.run(
            ["pg_dump", "--no-owner", f"--dbname={libpq}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    assert EMAIL in dump()
    client.delete(f"{CUSTOMERS}/{world.person.customer_id}", headers=world.a.owner)

    after = dump().lower()
    assert [n for n in NEEDLES if n.lower() in after] == []
    assert AGENT.lower() not in after


def _plain_body_hash(body: dict[str, Any]) -> str:
    """How the server hashes a pushed body as sent (sync_server/sync/push_records.py)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def test_no_stored_hash_confirms_a_guess_of_the_erased_email(client, session_factory, world):
    """Planted bug: the op's body hash kept (the hash of the enrollment as sent, with the
    email, is still in sync_ops: a guessed email can be checked against it)."""
    p = world.person
    sent = {_plain_body_hash(op["body"]) for op in p.pushed[:2]}
    client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=world.a.owner)

    with session_factory() as session:
        stored = set(session.scalars(text("SELECT body_hash FROM sync_ops")))

    assert stored & sent == set()


def test_a_replay_of_an_erased_op_still_gets_its_stored_answer(client, world):
    """Planted bug: the replay check knowing only the plain body hash (the till's
    retry of its enrollment is refused OP_ID_REUSED although it was applied)."""
    p, till = world.person, world.till
    client.delete(f"{CUSTOMERS}/{p.customer_id}", headers=world.a.owner)
    altered = {**p.pushed[0], "body": {**p.pushed[0]["body"], "type": "stamp.add"}}

    replay = till.push(p.pushed[:2]).json()["results"]
    forged = till.push([altered]).json()["results"][0]

    assert [r["status"] for r in replay] == ["duplicate", "duplicate"]
    assert [r["original_status"] for r in replay] == ["applied", "rejected"]
    assert forged["code"] == "OP_ID_REUSED"
