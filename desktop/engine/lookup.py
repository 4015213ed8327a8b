"""Finding a customer's card at the till: by number (scan, USB scanner, typing) or by
email, name or phone, among pulled cards and cards enrolled here but not yet pushed."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from common.card import CardState
from common.operations import Enroll
from desktop.engine.local_store import LocalStore

CardOf = Callable[[str], CardState | None]
# Longer than any email (254), name or phone: cannot match, and SQLite refuses LIKE
# patterns past 50,000 bytes.
MAX_QUERY = 320


@dataclass(frozen=True, slots=True)
class CardMatch:
    card_number: str
    email: str
    name: str | None
    phone: str | None
    card: CardState


def typed(text: str) -> str:
    """What the till keeps of a typed or scanned string: no lone surrogates (a broken
    clipboard or scanner; SQLite cannot take them, nor can anyone read them) and no
    control characters (a scanner's NUL, GS or escape codes), so any string can be
    looked up and simply finds nothing."""
    kept = text.encode("utf-8", "ignore").decode("utf-8")
    return "".join(ch for ch in kept if unicodedata.category(ch) != "Cc" or ch in " \t")


def find_by_number(store: LocalStore, number: str, card_of: CardOf) -> list[CardMatch]:
    card = card_of(number)
    if card is None:
        return []
    with store.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT cu.email, cu.name, cu.phone FROM cards c "
                "JOIN customers cu ON cu.id = c.customer_id WHERE c.card_number = :n"
            ),
            {"n": store.resolve_number(conn, number)},
        ).first()
    if row is not None:
        return [CardMatch(card.card_number, row.email, row.name, row.phone, card)]
    for enrolled in _enrolled_here(store):
        if enrolled.card_number == number:
            c = enrolled.customer
            return [CardMatch(number, c.email, c.name, c.phone, card)]
    return []


def find_by_customer(
    store: LocalStore, query: str, card_of: CardOf, limit: int = 20
) -> list[CardMatch]:
    """Case-insensitive substring of email, name or phone; most recent cards first."""
    needle = query.strip().lower()
    if not 2 <= len(needle) <= MAX_QUERY:
        return []
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.card_number, cu.email, cu.name, cu.phone FROM cards c "
                "JOIN customers cu ON cu.id = c.customer_id "
                "WHERE lower(cu.email) LIKE :p ESCAPE '\\' OR lower(coalesce(cu.name, '')) "
                "LIKE :p ESCAPE '\\' OR coalesce(cu.phone, '') LIKE :p ESCAPE '\\' "
                "ORDER BY c.id DESC LIMIT :limit"
            ),
            {"p": pattern, "limit": limit},
        ).all()
    found: list[tuple[str, str, str | None, str | None]] = [
        (r.card_number, r.email, r.name, r.phone) for r in rows
    ]
    pulled = {number for number, *_ in found}
    for enrolled in reversed(_enrolled_here(store)):
        c = enrolled.customer
        haystack = " ".join(x for x in (c.email, c.name, c.phone) if x).lower()
        if needle in haystack and enrolled.card_number not in pulled:
            found.insert(0, (enrolled.card_number, c.email, c.name, c.phone))
    matches = []
    for number, email, name, phone in found[:limit]:
        card = card_of(number)
        if card is not None:
            matches.append(CardMatch(number, email, name, phone, card))
    return matches


def _enrolled_here(store: LocalStore) -> list[Enroll]:
    """Enrollments the pulled snapshot does not hold yet (pending or not yet pulled)."""
    return [e.op for e in store.unsettled_of_type("card.enroll") if isinstance(e.op, Enroll)]
