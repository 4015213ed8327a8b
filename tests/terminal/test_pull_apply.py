"""A pulled page in the compact format (columns + row arrays) lands exactly like the same
page as row objects, straight from the parsed arrays."""

import json

import pytest
from sqlalchemy import text

from common.card_number import make_card_number
from desktop.engine.local_store import LocalStore

NUMBER = make_card_number(1_000_000, 9)
OTHER = make_card_number(1_000_000, 10)
CARD_COLUMNS = [
    "id",
    "card_number",
    "customer_id",
    "is_active",
    "stamp_count",
    "points_balance",
    "stamps_day",
    "last_stamp_at",
]
ROWS = {
    "customers": (["id", "email", "name", "phone"], [[1, "a@x.example", "Ann", None]]),
    "cards": (
        CARD_COLUMNS,
        [
            [1, NUMBER, 1, True, 3, 40, "2026-11-25", "2026-11-25T11:00:00+00:00"],
            [2, OTHER, 1, False, 0, 0, None, None],
        ],
    ),
    "aliases": (["card_number", "card_id"], [[make_card_number(1_000_007, 1), 1]]),
    "staff_pins": (
        [
            "id",
            "name",
            "staff_id",
            "pin_hash",
            "is_active",
            "deleted",
            "failed_attempts",
            "locked_until",
        ],
        [[5, "Bo", None, "$argon2id$x", True, False, 2, None]],
    ),
    "transactions": (
        [
            "id",
            "card_id",
            "type",
            "stamps_delta",
            "points_delta",
            "order_reference",
            "related_transaction_id",
            "reward_id",
            "created_at",
        ],
        [[77, 1, "STAMP_EARNED", 1, 0, None, None, None, "2026-11-25T11:00:00+00:00"]],
    ),
}


def _columns_page(cursor: str = "c1", **tables) -> dict:
    return {
        "cursor": cursor,
        "reset": False,
        "tables": {n: {"columns": c, "rows": r} for n, (c, r) in tables.items()},
    }


def _objects_page(cursor: str = "c1", **tables) -> dict:
    changes = {n: [dict(zip(c, row, strict=True)) for row in r] for n, (c, r) in tables.items()}
    return {"cursor": cursor, "reset": False, "changes": changes}


def _dump(store: LocalStore) -> dict:
    with store.engine.connect() as conn:
        dump = {
            t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}"))))
            for t in ("aliases", "staff_pins", "transactions")
        }
        # The digests are keyed per till (customer_cache): two tills' differ.
        dump["customers"] = sorted(
            map(tuple, conn.execute(text("SELECT id, name, email_hint FROM customers")))
        )
        dump["cards"] = sorted(
            (n, i, c, json.loads(s))
            for n, i, c, s in conn.execute(
                text("SELECT card_number, id, customer_id, state FROM cards")
            )
        )
    return dump


def test_both_wire_formats_land_the_same_rows(tmp_path):
    compact, objects = LocalStore(tmp_path / "a.db"), LocalStore(tmp_path / "b.db")

    assert compact.apply_pull_page(_columns_page(**ROWS)) == 6
    assert objects.apply_pull_page(_objects_page(**ROWS)) == 6

    assert _dump(compact) == _dump(objects)
    assert _dump(compact)["staff_pins"] == [(5, "Bo", "$argon2id$x", 1, 2, None, None, None, None)]


def test_a_card_state_keeps_json_types_and_reads_back_as_the_rules_state(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    store.apply_pull_page(_columns_page(cards=ROWS["cards"]))

    with store.engine.connect() as conn:
        states = dict(conn.execute(text("SELECT card_number, state FROM cards")).all())
    assert json.loads(states[OTHER])["is_active"] is False
    assert json.loads(states[OTHER])["stamps_day"] is None
    card = store.snapshot_card(NUMBER)
    assert (card.is_active, card.stamp_count, card.points_balance) == (True, 3, 40)
    assert card.stamps_day.isoformat() == "2026-11-25"
    assert card.last_stamp_at.isoformat() == "2026-11-25T11:00:00+00:00"


def test_columns_the_till_does_not_keep_are_skipped(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    columns, rows = ROWS["customers"]
    wider = ([*columns, "loyalty_tier"], [[*row, "gold"] for row in rows])
    reordered = (["name", "id", "phone", "email"], [["Cy", 2, None, "c@x.example"]])

    store.apply_pull_page(_columns_page(customers=wider))
    store.apply_pull_page(_columns_page("c2", customers=reordered))

    assert _dump(store)["customers"] == [
        (1, "Ann", "a•••@x•••.example"),
        (2, "Cy", "c•••@x•••.example"),
    ]


def test_a_page_with_a_strange_column_name_is_refused_whole(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    store.apply_pull_page(_columns_page("c1", customers=ROWS["customers"]))
    bad = (["id", "card_number", "x', 1) --"], [[3, OTHER, 0]])

    with pytest.raises(ValueError, match="column names"):
        store.apply_pull_page(_columns_page("c2", customers=ROWS["customers"], cards=bad))

    assert store.get_meta("cursor") == "c1"
    assert _dump(store)["cards"] == []
