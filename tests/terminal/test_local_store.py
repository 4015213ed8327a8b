"""The till's SQLite: versioned in place, outbox first, snapshot and cursor together."""

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from common.card_number import make_card_number
from common.operations import AddStamp, EarnPoints, RedeemPoints
from common.program import LoyaltyType, ProgramRules, Reward, StoreClock
from common.rules import RuleContext
from desktop.engine import local_schema, paths
from desktop.engine.local_store import LocalStore
from desktop.engine.projection import project

NUMBER = make_card_number(1_000_000, 9)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _card_row(**state):
    return {
        "id": 1,
        "card_number": NUMBER,
        "customer_id": 1,
        "is_active": True,
        "stamp_count": 0,
        "points_balance": 0,
        "stamps_day": None,
        "last_stamp_at": None,
        **state,
    }


def _page(cursor="c1", reset=False, **changes):
    return {"cursor": cursor, "reset": reset, "changes": changes, "program": {"stamps_target": 10}}


def test_an_old_database_is_upgraded_in_place_without_losing_the_outbox(tmp_path):
    path = tmp_path / "till.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        local_schema.upgrade(conn, target=1)
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

    with store.engine.connect() as conn:
        assert local_schema.version(conn) == len(local_schema.STEPS)
    (entry,) = store.entries()
    assert (entry.seq, entry.op_id, entry.op) == (1, "op-1", AddStamp(card_number=NUMBER))


def test_appended_ops_keep_their_seq_and_id_across_a_restart(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    first = store.append(
        AddStamp(card_number=NUMBER),
        client_time=NOW,
        staff_pin_id=3,
        offline=True,
        snapshot_age_s=5,
    )
    second = store.append(
        EarnPoints(card_number=NUMBER, purchase_amount_cents=500),
        client_time=NOW,
        staff_pin_id=3,
        offline=False,
        snapshot_age_s=None,
    )
    store.close()

    again = LocalStore(tmp_path / "till.db").entries()

    assert [(e.seq, e.op_id) for e in again] == [(1, first.op_id), (2, second.op_id)]
    assert again[0].offline is True


def test_a_pull_page_and_its_cursor_land_together_and_a_reset_starts_over(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    store.apply_pull_page(
        _page(
            cards=[_card_row(points_balance=40)],
            customers=[{"id": 1, "email": "a@x.example", "name": None, "phone": None}],
        )
    )
    assert store.get_meta("cursor") == "c1"
    assert store.snapshot_card(NUMBER).points_balance == 40

    store.apply_pull_page(_page("c2", reset=True, cards=[]))

    assert store.get_meta("cursor") == "c2"
    assert store.snapshot_card(NUMBER) is None


def test_a_merged_number_finds_the_surviving_card(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    offline_number = make_card_number(1_000_007, 1)
    store.apply_pull_page(
        _page(
            cards=[_card_row(points_balance=12)],
            aliases=[{"card_number": offline_number, "card_id": 1}],
        )
    )
    assert store.snapshot_card(offline_number).points_balance == 12


def test_outcomes_are_recorded_and_a_duplicate_keeps_the_first_verdict(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    a = store.append(
        AddStamp(card_number=NUMBER),
        client_time=NOW,
        staff_pin_id=None,
        offline=False,
        snapshot_age_s=None,
    )
    b = store.append(
        AddStamp(card_number=NUMBER),
        client_time=NOW,
        staff_pin_id=None,
        offline=False,
        snapshot_age_s=None,
    )

    store.record_outcomes(
        [
            {
                "op_id": a.op_id,
                "status": "duplicate",
                "original_status": "rejected",
                "code": "COOLDOWN_ACTIVE",
            },
            {"op_id": b.op_id, "status": "applied"},
        ]
    )

    assert [e.status for e in store.entries(status=None)] == ["rejected", "applied"]
    assert store.entries() == []


def test_the_projection_rebases_pending_ops_on_the_pulled_card(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    rules = ProgramRules(
        loyalty_type=LoyaltyType.HYBRID,
        cooldown_minutes=0,
        points_rewards=(Reward("ten", "Ten", 10),),
    )

    def ctx(at):
        return RuleContext(rules, StoreClock("Europe/Paris"), at)

    store.apply_pull_page(_page(cards=[_card_row(points_balance=15, total_points_earned=15)]))
    store.append(
        EarnPoints(card_number=NUMBER, purchase_amount_cents=1000, order_reference="R"),
        client_time=NOW,
        staff_pin_id=1,
        offline=True,
        snapshot_age_s=1,
    )
    store.append(
        EarnPoints(card_number=NUMBER, purchase_amount_cents=1000, order_reference="R"),
        client_time=NOW,
        staff_pin_id=1,
        offline=True,
        snapshot_age_s=1,
    )
    store.append(
        RedeemPoints(card_number=NUMBER, reward_id="ten"),
        client_time=NOW + timedelta(seconds=1),
        staff_pin_id=1,
        offline=True,
        snapshot_age_s=1,
    )
    store.append(
        AddStamp(card_number=NUMBER),
        client_time=NOW,
        staff_pin_id=1,
        offline=True,
        snapshot_age_s=1,
    )

    projected = project(store, NUMBER, ctx).card

    assert projected is not None
    assert (projected.points_balance, projected.stamp_count) == (15 + 10 - 10, 1)
    store.apply_pull_page(
        _page("c2", cards=[_card_row(points_balance=100, total_points_earned=100)])
    )
    assert project(store, NUMBER, ctx).card.points_balance == 100 + 10 - 10
    assert projected.points_balance == 15  # a projection is a value: a later pull leaves it


def test_the_database_lives_in_the_user_data_dir_unless_overridden(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.ENV_DATA_DIR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    default = paths.database_path()
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "till-2"))

    assert default == tmp_path / "xdg" / "loyalty-terminal" / "till.db"
    assert paths.database_path() == tmp_path / "till-2" / "till.db"


def test_an_applied_op_counts_once_whether_or_not_its_pull_has_landed(tmp_path):
    """The server wrote the card and the ledger entry in one transaction, so a pull
    round brings both or neither; until then the op is re-applied on the old card."""
    store = LocalStore(tmp_path / "till.db")
    rules = ProgramRules(loyalty_type=LoyaltyType.STAMPS, cooldown_minutes=0)

    def ctx(at):
        return RuleContext(rules, StoreClock("UTC"), at)

    store.apply_pull_page(_page(cards=[_card_row()]))
    entry = store.append(
        AddStamp(card_number=NUMBER),
        client_time=NOW,
        staff_pin_id=1,
        offline=True,
        snapshot_age_s=1,
    )
    store.record_outcomes(
        [{"op_id": entry.op_id, "status": "applied", "code": None, "transaction_ids": [77]}]
    )
    store.settle_pulled()  # a round without it (writers elsewhere kept it back)
    before = project(store, NUMBER, ctx).card.stamp_count
    stamp = {
        "id": 77,
        "card_id": 1,
        "type": "STAMP_EARNED",
        "stamps_delta": 1,
        "points_delta": 0,
        "created_at": NOW.isoformat(),
    }
    store.apply_pull_page(
        _page("c2", cards=[_card_row(stamp_count=1, total_stamps_earned=1)], transactions=[stamp])
    )
    store.settle_pulled()

    assert before == 1
    assert project(store, NUMBER, ctx).card.stamp_count == 1


def test_a_wiped_till_keeps_no_customer_data_in_any_of_its_files(tmp_path):
    """Revocation wipes the cache: the deleted rows must not linger in the WAL or in
    freed pages for someone who copies the files."""
    store = LocalStore(tmp_path / "till.db")
    customers = [
        {"id": i, "email": f"secret{i}@x.example", "name": f"Name{i}", "phone": None}
        for i in range(1, 201)
    ]
    store.apply_pull_page(_page(customers=customers))
    files = lambda: b"".join(p.read_bytes() for p in tmp_path.glob("till.db*"))  # noqa: E731
    # The control: what the till keeps of a customer (a short name, a masked email) was
    # on disk. The email itself never is (customer_cache).
    assert b"Name17" in files()
    assert b"secret17@x.example" not in files()

    store.wipe()

    assert b"Name17" not in files()
    assert "•••@x•••.example".encode() not in files()
    store.close()
