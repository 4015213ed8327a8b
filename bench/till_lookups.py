"""What a cashier loses offline because the till keeps customers minimised
(docs/privacy.md): ``python -m bench.till_lookups [--customers N] [--queries Q]``.

A till is given N synthetic customers (first names and surnames drawn from short lists,
so first names repeat as they do in a real town), then asked Q searches of each kind a
cashier types. "Before" is the search the till ran when it held email, name and phone
(a substring of any of them, most recent 20 cards); "after" is the real lookup over the
minimised cache. A search succeeds when the customer's card is among the 20 shown.
Also: the personal data the till stores, in bytes, before and after.
"""

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common.card_number import make_card_number
from common.customer_privacy import email_hint, short_name
from desktop.engine.local_store import LocalStore
from desktop.engine.lookup import find_by_customer

# Names repeat as in a real town: 40 first names and 59 surnames.
FIRST = tuple(
    "Camille Léa Manon Chloé Emma Inès Sarah Jade Louise Alice Lina Zoé Juliette Anna "  # noqa: SIM905
    "Lucas Hugo Louis Jules Gabriel Arthur Adam Nathan Raphaël Léo Paul Tom Noah Sacha "
    "Marie Claire Sophie Julie Pauline Laura Thomas Nicolas Julien Antoine Maxime Pierre".split()
)
LAST = tuple(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "  # noqa: SIM905
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre "
    "Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc "
    "Guerin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clement Gauthier Dumont Lopez "
    "Fontaine Chevalier Robin Masson Sanchez Gerard Nguyen Boyer Denis Lemaire Duval Joly".split()
)
DOMAINS = ("gmail.com", "orange.fr", "free.fr", "yahoo.fr", "hotmail.fr", "laposte.net")
LIMIT = 20


@dataclass(frozen=True)
class Person:
    id: int
    card_number: str
    first: str
    last: str
    email: str
    phone: str


def people(count: int, rng: random.Random) -> list[Person]:
    out = []
    for i in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{rng.randrange(1000)}@{rng.choice(DOMAINS)}".lower()
        digits = f"06{rng.randrange(10**8):08d}"
        phone = " ".join(digits[j : j + 2] for j in range(0, 10, 2))
        out.append(Person(i, make_card_number(1_000_000, i), first, last, email, phone))
    return out


# What a cashier types, for a given person.
QUERIES: dict[str, Callable[[Person], str]] = {
    "whole email": lambda p: p.email.upper(),
    "start of the email": lambda p: p.email.split("@")[0],
    "whole phone, other spacing": lambda p: "+33" + p.phone.replace(" ", "")[1:],
    "last 4 digits of the phone": lambda p: p.phone.replace(" ", "")[-4:],
    "first name and surname": lambda p: f"{p.first} {p.last}",
    "first name and initial": lambda p: f"{p.first} {p.last[0]}",
    "surname": lambda p: p.last,
}


def before(population: list[Person], query: str) -> list[str]:
    """The search of the till that held everything: substring of email, name or phone."""
    needle = query.strip().lower()
    if len(needle) < 2:
        return []
    hits = [
        p.card_number
        for p in reversed(population)
        if needle in p.email or needle in f"{p.first} {p.last}".lower() or needle in p.phone
    ]
    return hits[:LIMIT]


def run(customers: int, queries: int, seed: int = 7) -> dict[str, object]:
    rng = random.Random(seed)
    population = people(customers, rng)
    with tempfile.TemporaryDirectory() as scratch:
        store = LocalStore(Path(scratch) / "till.db")
        started = time.perf_counter()
        store.apply_pull_page(
            {
                "cursor": "c1",
                "reset": False,
                "program": {"stamps_target": 10},
                "tables": {
                    "customers": {
                        "columns": ["id", "email", "name", "phone"],
                        "rows": [
                            [p.id, p.email, f"{p.first} {p.last}", p.phone] for p in population
                        ],
                    },
                    "cards": {
                        "columns": ["id", "card_number", "customer_id", "is_active"],
                        "rows": [[p.id, p.card_number, p.id, True] for p in population],
                    },
                },
            }
        )
        apply_s = time.perf_counter() - started
        asked = rng.sample(population, queries)
        kinds: dict[str, dict[str, float]] = {}
        for kind, make in QUERIES.items():
            hit_before = hit_after = 0
            for person in asked:
                query = make(person)
                hit_before += person.card_number in before(population, query)
                found = find_by_customer(store, query, store.snapshot_card, LIMIT)
                hit_after += person.card_number in [m.card_number for m in found]
            kinds[kind] = {
                "before": round(100 * hit_before / queries, 1),
                "after": round(100 * hit_after / queries, 1),
            }
        store.close()
    held_before = sum(
        len(p.email) + len(p.first) + 1 + len(p.last) + len(p.phone) for p in population
    )
    held_after = sum(
        len(short_name(f"{p.first} {p.last}") or "") + len(email_hint(p.email) or "")
        for p in population
    )
    return {
        "customers": customers,
        "queries_per_kind": queries,
        "found_in_first_20_percent": kinds,
        "personal_text_bytes_before": held_before,
        "personal_text_bytes_after": held_after,
        "pull_apply_s": round(apply_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.customers, args.queries), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
