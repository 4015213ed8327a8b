"""Finding a customer's card at the till: by number (scan, USB scanner, typing) or by
email, name or phone, among pulled cards and cards enrolled here but not yet pushed."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from common.card import CardState
from common.customer_privacy import email_hint, email_key, looks_like_phone, phone_key, short_name
from common.operations import Enroll
from desktop.engine.customer_cache import stored_key
from desktop.engine.local_store import LocalStore

CardOf = Callable[[str], CardState | None]
# Longer than any email (254), name or phone: cannot match, and SQLite refuses LIKE
# patterns past 50,000 bytes.
MAX_QUERY = 320


@dataclass(frozen=True, slots=True)
class CardMatch:
    """A card found, with what the till keeps of its holder (common/customer_privacy):
    a short name and a masked email, never the full details."""

    card_number: str
    name: str | None
    email_hint: str | None
    card: CardState

    @property
    def display_name(self) -> str:
        return self.name or self.email_hint or "Card holder"


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
                "SELECT cu.name, cu.email_hint FROM cards c "
                "JOIN customers cu ON cu.id = c.customer_id WHERE c.card_number = :n"
            ),
            {"n": store.resolve_number(conn, number)},
        ).first()
    if row is not None:
        return [CardMatch(card.card_number, row.name, row.email_hint, card)]
    for enrolled in _enrolled_here(store):
        if enrolled.card_number == number:
            return [_enrolled_match(enrolled, card)]
    return []


def find_by_customer(
    store: LocalStore, query: str, card_of: CardOf, limit: int = 20
) -> list[CardMatch]:
    """A whole email or phone number (compared by keyed digest: the till does not hold
    them), else a case-insensitive part of the short name (a full name is cut to the
    first name and the surname's initial, as kept); most recent cards first.
    Cards enrolled here and not yet pulled are searched on what was typed for them."""
    needle = query.strip().lower()
    if not 2 <= len(needle) <= MAX_QUERY:
        return []
    with store.engine.connect() as conn:
        key = stored_key(conn) or b""  # none yet: no customer was pulled, none matches
        if "@" in needle:
            where, params = "cu.email_key = :k", {"k": email_key(key, query)}
        elif looks_like_phone(needle):
            where, params = "cu.phone_key = :k", {"k": phone_key(key, query)}
        else:
            # "Camille Roux" is looked for as the till keeps it: "camille r".
            words = needle.split()
            as_kept = f"{words[0]} {words[-1][0]}" if len(words) > 1 else needle
            pattern = as_kept.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where = "lower(coalesce(cu.name, '')) LIKE :p ESCAPE '\\'"
            params = {"p": f"%{pattern}%"}
        rows = conn.execute(
            text(
                "SELECT c.card_number, cu.name, cu.email_hint FROM cards c "  # noqa: S608 - fixed clauses
                f"JOIN customers cu ON cu.id = c.customer_id WHERE {where} "
                "ORDER BY c.id DESC LIMIT :limit"
            ),
            {**params, "limit": limit},
        ).all()
    found: list[tuple[str, str | None, str | None]] = [
        (r.card_number, r.name, r.email_hint) for r in rows
    ]
    pulled = {number for number, *_ in found}
    enrolled_matches = []
    for enrolled in reversed(_enrolled_here(store)):
        c = enrolled.customer
        haystack = " ".join(x for x in (c.email, c.name, c.phone) if x).lower()
        if needle in haystack and enrolled.card_number not in pulled:
            enrolled_matches.append(enrolled)
    matches = []
    for enrolled in enrolled_matches:
        card = card_of(enrolled.card_number)
        if card is not None:
            matches.append(_enrolled_match(enrolled, card))
    for number, name, hint in found:
        card = card_of(number)
        if card is not None:
            matches.append(CardMatch(number, name, hint, card))
    return matches[:limit]


def _enrolled_match(enrolled: Enroll, card: CardState) -> CardMatch:
    c = enrolled.customer
    return CardMatch(enrolled.card_number, short_name(c.name), email_hint(str(c.email)), card)


def _enrolled_here(store: LocalStore) -> list[Enroll]:
    """Enrollments the pulled snapshot does not hold yet (pending or not yet pulled)."""
    return [e.op for e in store.unsettled_of_type("card.enroll") if isinstance(e.op, Enroll)]
