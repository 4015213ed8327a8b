"""Bucket digests of the synced state (docs/sync-protocol.md): the server and the till
compute them with the same function, and a till of one release compares them with a
server of the next, so the bucket names, the columns covered and the bytes hashed are
protocol: a change to any of them makes every till re-pull everything."""

import hashlib
import json
import time as clock
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.retention import DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS, MIN_HISTORY_DAYS
from common.sync_digest import (
    BUCKET_KEY,
    CARD_BUCKETS,
    CARD_COLUMNS,
    CUSTOMER_BUCKETS,
    ENTITIES,
    all_names,
    bucket,
    customer_row,
    digest,
    digests,
    history_since,
    name,
    parse,
)

SHAPE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frozen_digest(rows: list[list[object]]) -> str:
    """The format, written out: compact JSON of the rows sorted by their first column,
    UTF-8 (not ASCII-escaped, lone surrogates passed through), SHA-256, first 128 bits."""
    body = json.dumps(sorted(rows, key=lambda r: r[0]), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# -- buckets -----------------------------------------------------------------------------


def test_the_buckets_per_entity_are_protocol() -> None:
    assert (CARD_BUCKETS, CUSTOMER_BUCKETS) == (64, 16)
    assert {e: count for e, (count, _) in ENTITIES.items()} == {
        "cards": 64,
        "aliases": 64,
        "transactions": 64,
        "customers": 16,
        "staff_pins": 1,
    }


def test_the_columns_a_digest_covers_are_what_the_till_keeps_unchanged() -> None:
    assert (
        ENTITIES["cards"][1]
        == CARD_COLUMNS
        == (
            "id",
            "card_number",
            "customer_id",
            "qr_code_data",
            "enrolled_at_store_id",
            "is_active",
            "stamp_count",
            "total_stamps_earned",
            "stamps_redeemed",
            "total_stamps_voided",
            "points_balance",
            "total_points_earned",
            "points_redeemed",
            "total_points_voided",
            "total_points_adjusted",
            "stamps_day",
            "stamps_on_day",
            "last_stamp_at",
            "last_points_at",
            "last_redemption_at",
            "last_activity_at",
        )
    )
    assert ENTITIES["aliases"][1] == ("card_number", "card_id")
    assert ENTITIES["transactions"][1] == (
        "id",
        "card_id",
        "type",
        "stamps_delta",
        "points_delta",
        "order_reference",
        "related_transaction_id",
        "reward_id",
        "created_at",
    )
    # A customer as the till keeps them; a PIN without its failure counts and lockout.
    assert ENTITIES["customers"][1] == ("id", "name", "email_hint")
    assert ENTITIES["staff_pins"][1] == ("id", "name", "pin_hash", "is_active")


def test_a_card_its_aliases_and_its_history_share_the_card_s_bucket() -> None:
    assert BUCKET_KEY == {
        "cards": "id",
        "aliases": "card_id",
        "transactions": "card_id",
        "customers": "id",
        "staff_pins": "id",
    }
    card_id = 65
    alias = ("0000123", card_id)
    entry = (900, card_id, "stamp_earned", 1, 0, None, None, None, "2026-06-15")
    got = {
        **digests("cards", [(card_id, *[None] * 20)]),
        **digests("aliases", [alias]),
        **digests("transactions", [entry]),
    }
    empty = digest(())
    for entity in ("cards", "aliases", "transactions"):
        assert got[f"{entity}:{bucket(entity, card_id)}"] != empty
        assert [n for n, d in got.items() if n.startswith(f"{entity}:") and d != empty] == [
            f"{entity}:1"
        ]


@pytest.mark.parametrize(
    ("entity", "key", "expected"),
    [
        ("cards", 0, 0),
        ("cards", 63, 63),
        ("cards", 64, 0),
        ("cards", 130, 2),
        ("customers", 16, 0),
        ("customers", 17, 1),
        ("staff_pins", 12345, 0),
    ],
)
def test_a_row_falls_in_its_key_modulo_the_entity_s_buckets(
    entity: str, key: int, expected: int
) -> None:
    assert bucket(entity, key) == expected


def test_every_bucket_has_a_name_that_parses_back() -> None:
    names = all_names()
    assert len(names) == 3 * 64 + 16 + 1
    assert names[:2] == ["cards:0", "cards:1"]
    assert "staff_pins:0" in names
    assert "customers:15" in names
    for text in names:
        parsed = parse(text)
        assert parsed is not None
        assert name(*parsed) == text


@pytest.mark.parametrize(
    "text",
    [
        "cards:64",
        "customers:16",
        "staff_pins:1",
        "cards:-1",
        "cards:12345",
        "cards:",
        ":1",
        "wallets:1",
        "Cards:1",
        "cards:1 ",
        " cards:1",
        "cards 1",
        "a" * 21 + ":1",
        "cards:١",  # an Arabic-Indic digit: not a bucket number
    ],
)
def test_a_name_that_names_no_bucket_parses_to_none(text: str) -> None:
    assert parse(text) is None


def test_a_bucket_name_parses_to_its_entity_and_number() -> None:
    assert parse("cards:17") == ("cards", 17)
    assert parse("customers:0") == ("customers", 0)
    assert parse("staff_pins:0") == ("staff_pins", 0)


# -- digests -----------------------------------------------------------------------------


def test_a_digest_is_exactly_the_documented_bytes() -> None:
    rows = [[2, "Zoë", None, True], [1, "Ana", 1.5, False]]  # out of order, not ASCII
    assert digest(rows) == frozen_digest(rows)
    assert digest(()) == hashlib.sha256(b"[]").hexdigest()[:32]


def test_rows_sort_by_their_first_column_only() -> None:
    rows = [[2, "a"], [1, "b"]]
    assert digest(rows) == hashlib.sha256(b'[[1,"b"],[2,"a"]]').hexdigest()[:32]


def test_tuples_and_lists_digest_alike_the_server_has_one_the_till_the_other() -> None:
    assert digest([(1, "a"), (2, None)]) == digest([[2, None], [1, "a"]])


def test_a_lone_surrogate_is_digested_not_an_error() -> None:
    text = "\ud800"
    assert digest([[1, text]]) == frozen_digest([[1, text]])


@SHAPE
@given(st.lists(st.tuples(st.integers(), st.text(max_size=8)), unique_by=lambda r: r[0]))
def test_a_digest_does_not_depend_on_row_order(rows: list[tuple[int, str]]) -> None:
    assert digest(rows) == digest(list(reversed(rows)))


@SHAPE
@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.text(max_size=5)), unique_by=lambda r: r[0]),
    st.integers(0, 10**6),
)
def test_any_changed_row_changes_its_bucket_s_digest_and_no_other(
    rows: list[tuple[int, str]], picked: int
) -> None:
    aliases = [(number, card_id) for card_id, number in rows]
    before = digests("aliases", aliases)
    changed = [*aliases, ("new", picked)]
    after = digests("aliases", changed)
    assert set(before) == set(after) == {f"aliases:{n}" for n in range(64)}
    differ = [n for n in before if before[n] != after[n]]
    assert differ == [f"aliases:{picked % 64}"]


def test_digests_cover_the_asked_buckets_only_and_an_empty_one_digests_no_rows() -> None:
    rows = [(1, "Ana", "a•••@e•••.com"), (17, "Bo", None), (2, "Cy", None)]
    got = digests("customers", rows, [1, 3])
    assert got == {"customers:1": digest(rows[:2]), "customers:3": digest(())}
    assert len(digests("customers", rows)) == 16
    assert digests("staff_pins", []) == {"staff_pins:0": digest(())}


def test_a_customer_is_digested_as_the_till_keeps_them() -> None:
    assert customer_row(5, "Camille Roux", "camille@example.com") == (
        5,
        "Camille R.",
        "c•••@e•••.com",
    )
    assert customer_row(6, None, None) == (6, None, None)


# -- the history compared ----------------------------------------------------------------


def test_history_is_compared_from_the_midnight_after_the_window_less_a_day() -> None:
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    # 30 days back is 16 May 12:00; a day in for the till's clock: 17 May 12:00;
    # the next midnight: 18 May.
    assert history_since(now, 30) == datetime(2026, 5, 18, tzinfo=UTC)
    assert history_since(now, None) == history_since(now, DEFAULT_HISTORY_DAYS)


@pytest.fixture
def far_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process runs in a zone far from UTC (a till set to its shop's time)."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: already 16 June at noon UTC
    clock.tzset()
    yield
    monkeypatch.undo()
    clock.tzset()


@pytest.mark.usefixtures("far_zone")
def test_the_midnight_does_not_depend_on_the_zone_the_process_runs_in() -> None:
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    assert history_since(now, 30) == datetime(2026, 5, 18, tzinfo=UTC)


def test_the_window_is_the_merchant_setting_within_its_bounds() -> None:
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    assert history_since(now, 1) == history_since(now, MIN_HISTORY_DAYS)
    assert history_since(now, 10**6) == history_since(now, MAX_HISTORY_DAYS)


def test_the_midnight_is_utc_whatever_zone_now_is_given_in() -> None:
    late_in_paris = datetime(2026, 6, 15, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    # That is 14 June 23:30 UTC: 30 days back, a day in, the next midnight is 17 May.
    assert history_since(late_in_paris, 30) == datetime(2026, 5, 17, tzinfo=UTC)


@SHAPE
@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-11)), timezone(timedelta(hours=14))]
        ),
    ),
    st.integers(MIN_HISTORY_DAYS, MAX_HISTORY_DAYS),
)
def test_the_compared_history_starts_at_a_utc_midnight_inside_the_till_s_window(
    now: datetime, days: int
) -> None:
    since = history_since(now, days)
    assert since.tzinfo == UTC
    assert since.timetz() == time(0, tzinfo=UTC)
    kept_from = now - timedelta(days=days)
    # At least a day inside what the till keeps, and less than two.
    assert kept_from + timedelta(days=1) < since <= kept_from + timedelta(days=2)
