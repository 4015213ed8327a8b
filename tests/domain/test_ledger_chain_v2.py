"""The ledger chain, format v2 (docs/security.md, "The ledger chain and personal data").

Each entry's hash covers the previous hash and every fact of the entry, so an edit
anywhere breaks the link; personal fields enter only as salted digests, so erasing a
value (with its salt) leaves the link intact. The hash format is frozen: every hash
already stored must still verify after any release, so the exact bytes hashed are part
of the contract and are spelled out here once, independently of the code."""

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.ledger_chain import (
    CHAIN_VERSION,
    FACT_FIELDS,
    GENESIS,
    HASHED_FIELDS,
    LATER_FACT_FIELDS,
    NULL_DIGEST,
    PERSONAL_FIELDS,
    PRIVACY_COLUMNS,
    REQUEST_METADATA_FIELDS,
    digest_column,
    entry_hash,
    entry_hash_v1,
    entry_hash_v2,
    field_digest,
    is_erased,
    personal_field_problem,
    privacy_columns,
    salt_column,
)

AT = datetime(2026, 6, 15, 12, 0, 0, 123456, tzinfo=UTC)
SALT = "00112233445566778899aabbccddeeff"
OTHER_SALT = "ffeeddccbbaa99887766554433221100"

FACTS: dict[str, Any] = {
    "id": 7,
    "merchant_id": 1,
    "chain_seq": 3,
    "card_id": 11,
    "store_id": 2,
    "staff_pin_id": 5,
    "user_id": None,
    "type": "points_earned",
    "stamps_delta": 0,
    "points_delta": 12,
    "stamp_count_after": 4,
    "points_balance_after": 62,
    "purchase_amount_cents": 1299,
    "order_reference": "A-17",
    "reward_id": None,
    "reward_name": "Café crème",  # not ASCII: the JSON escapes it
    "related_transaction_id": None,
    "client_time": AT - timedelta(seconds=5),
    "created_at": AT,
}
PERSONAL: dict[str, Any] = {"notes": "regular, asks for oat milk", "ip_address": None}
PERSONAL["user_agent"] = "Till/1.0"


def sealed(**changes: Any) -> dict[str, Any]:
    """A v2 entry as stored: facts, personal values, their salts and digests."""
    entry = {**FACTS, **PERSONAL, **changes}
    for f in PERSONAL_FIELDS:
        salt = None if entry[f] is None else SALT
        entry[salt_column(f)] = salt
        entry[digest_column(f)] = field_digest(salt, entry[f])
    return entry


def erased(entry: dict[str, Any], field: str) -> dict[str, Any]:
    """What an erasure leaves: no value, no salt, the digest kept."""
    return {**entry, field: None, salt_column(field): None}


def _iso(value: object) -> object:
    return (
        value.astimezone(UTC).isoformat(timespec="microseconds")
        if isinstance(value, datetime)
        else value
    )


def frozen_v2_hash(prev: str, entry: dict[str, Any]) -> str:
    """The v2 format, written out: sha256 of the previous hash, a newline and compact
    JSON (sorted keys, ASCII only) of the facts (times in UTC, to the microsecond), each
    personal field's digest, related_op_id when set, and ``chain_version: 2``."""
    body: dict[str, Any] = {name: _iso(entry[name]) for name in FACTS}
    body |= {f"{f}_digest": entry[f"{f}_digest"] for f in ("notes", "ip_address", "user_agent")}
    if entry.get("related_op_id") is not None:
        body["related_op_id"] = entry["related_op_id"]
    body["chain_version"] = 2
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


def frozen_v1_hash(prev: str, entry: dict[str, Any]) -> str:
    """The v1 format: the same, with the personal values themselves and no version."""
    body = {name: _iso(entry[name]) for name in (*FACTS, "notes", "ip_address", "user_agent")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


# -- the format is frozen ----------------------------------------------------------------


def test_the_fields_hashed_are_the_documented_ones() -> None:
    assert set(FACT_FIELDS) == set(FACTS)
    assert PERSONAL_FIELDS == ("notes", "ip_address", "user_agent")
    assert set(HASHED_FIELDS) == set(FACTS) | set(PERSONAL_FIELDS)
    assert LATER_FACT_FIELDS == ("related_op_id",)
    # The retention command drops request metadata; notes go only with their customer.
    assert REQUEST_METADATA_FIELDS == ("ip_address", "user_agent")
    assert set(PRIVACY_COLUMNS) == {
        "notes_salt",
        "notes_digest",
        "ip_address_salt",
        "ip_address_digest",
        "user_agent_salt",
        "user_agent_digest",
    }


def test_a_v2_hash_is_exactly_the_documented_bytes() -> None:
    entry = sealed()
    assert entry_hash_v2(GENESIS, entry) == frozen_v2_hash(GENESIS, entry)
    prev = "ab" * 32
    assert entry_hash(prev, entry | {"chain_version": 2}) == frozen_v2_hash(prev, entry)


def test_a_v1_hash_is_exactly_the_documented_bytes() -> None:
    entry = sealed()
    assert entry_hash_v1(GENESIS, entry) == frozen_v1_hash(GENESIS, entry)
    assert entry_hash(GENESIS, entry | {"chain_version": 1}) == frozen_v1_hash(GENESIS, entry)


def test_the_first_entry_links_to_sixty_four_zeros() -> None:
    assert GENESIS == "0" * 64


def test_an_entry_without_a_version_is_v2_the_one_new_entries_get() -> None:
    entry = sealed()
    assert CHAIN_VERSION == 2
    assert entry_hash(GENESIS, entry) == frozen_v2_hash(GENESIS, entry)
    assert entry_hash(GENESIS, entry | {"chain_version": None}) == frozen_v2_hash(GENESIS, entry)


@pytest.mark.parametrize("version", [-1, 3, "2"])
def test_an_unknown_version_is_refused_not_guessed(version: object) -> None:
    with pytest.raises(ValueError, match="unknown ledger chain version"):
        entry_hash(GENESIS, sealed(chain_version=version))


def test_a_v2_hash_never_passes_for_the_v1_hash_of_the_same_entry() -> None:
    entry = sealed()
    assert entry_hash_v2(GENESIS, entry) != entry_hash_v1(GENESIS, entry)


# -- what the hash covers ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FACTS))
def test_editing_any_fact_breaks_the_link(name: str) -> None:
    entry = sealed()
    value = entry[name]
    edited = (
        value + timedelta(microseconds=1)
        if isinstance(value, datetime)
        else "edited"
        if value is None or isinstance(value, str)
        else value + 1
    )
    assert entry_hash_v2(GENESIS, entry | {name: edited}) != entry_hash_v2(GENESIS, entry)
    assert entry_hash_v1(GENESIS, entry | {name: edited}) != entry_hash_v1(GENESIS, entry)


def test_the_link_covers_the_previous_hash() -> None:
    entry = sealed()
    assert entry_hash_v2(GENESIS, entry) != entry_hash_v2("1" + GENESIS[1:], entry)


@pytest.mark.parametrize("field", PERSONAL_FIELDS)
def test_erasing_a_personal_value_with_its_salt_keeps_the_link(field: str) -> None:
    entry = sealed(ip_address="192.0.2.7")
    assert entry_hash_v2(GENESIS, erased(entry, field)) == entry_hash_v2(GENESIS, entry)


@pytest.mark.parametrize("field", PERSONAL_FIELDS)
def test_a_personal_value_is_in_the_v2_hash_only_through_its_digest(field: str) -> None:
    entry = sealed(ip_address="192.0.2.7")
    # Rewriting the stored digest breaks the link; the value alone does not reach it.
    assert entry_hash_v2(GENESIS, entry | {digest_column(field): NULL_DIGEST}) != entry_hash_v2(
        GENESIS, entry
    )
    assert entry_hash_v2(GENESIS, entry | {field: "x"}) == entry_hash_v2(GENESIS, entry)
    assert entry_hash_v1(GENESIS, entry | {field: "x"}) != entry_hash_v1(GENESIS, entry)


def test_related_op_id_is_hashed_only_when_set_so_older_entries_keep_their_hash() -> None:
    entry = sealed()
    assert entry_hash_v2(GENESIS, entry | {"related_op_id": None}) == entry_hash_v2(GENESIS, entry)
    linked = entry | {"related_op_id": "6f1c0c4e-0000-4000-8000-000000000001"}
    assert entry_hash_v2(GENESIS, linked) == frozen_v2_hash(GENESIS, linked)
    assert entry_hash_v2(GENESIS, linked) != entry_hash_v2(GENESIS, entry)


def test_a_time_hashes_by_its_instant_not_by_the_zone_it_was_read_in() -> None:
    paris = timezone(timedelta(hours=2))
    entry = sealed()
    same = entry | {"created_at": AT.astimezone(paris)}
    assert entry_hash_v2(GENESIS, same) == entry_hash_v2(GENESIS, entry)


@pytest.fixture
def far_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process runs in a zone far from UTC (a server set to its shop's time)."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_zone")
def test_a_hash_does_not_depend_on_the_zone_the_server_runs_in() -> None:
    entry = sealed()
    assert entry_hash_v2(GENESIS, entry) == frozen_v2_hash(GENESIS, entry)


def test_a_naive_time_is_refused_it_names_no_instant() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        entry_hash_v2(GENESIS, sealed(created_at=AT.replace(tzinfo=None)))


# -- personal field digests --------------------------------------------------------------


def test_a_field_digest_is_hmac_sha256_keyed_by_the_salt_over_the_json_value() -> None:
    expected = hmac.new(bytes.fromhex(SALT), b'"caf\\u00e9"', hashlib.sha256).hexdigest()
    assert field_digest(SALT, "café") == expected
    when = hmac.new(
        bytes.fromhex(SALT), b'"2026-06-15T12:00:00.123456+00:00"', hashlib.sha256
    ).hexdigest()
    assert field_digest(SALT, AT) == when


def test_a_null_value_has_no_salt_and_the_fixed_null_digest() -> None:
    assert NULL_DIGEST == "0" * 64
    assert field_digest(None, None) == NULL_DIGEST
    assert field_digest(SALT, None) == NULL_DIGEST


def test_a_value_without_a_salt_cannot_be_digested() -> None:
    with pytest.raises(ValueError, match="needs its salt"):
        field_digest(None, "a note")


def test_the_salt_keys_the_digest() -> None:
    assert field_digest(SALT, "192.0.2.7") != field_digest(OTHER_SALT, "192.0.2.7")


def test_sealing_draws_a_fresh_16_byte_salt_per_value_and_none_for_null() -> None:
    entry = {"notes": "hello", "ip_address": None, "user_agent": "Till/1.0"}
    first, second = privacy_columns(entry), privacy_columns(entry)
    assert set(first) == set(PRIVACY_COLUMNS)
    assert first["ip_address_salt"] is None
    assert first["ip_address_digest"] == NULL_DIGEST
    for f in ("notes", "user_agent"):
        salt = first[salt_column(f)]
        assert salt is not None
        assert len(bytes.fromhex(salt)) == 16
        assert first[digest_column(f)] == field_digest(salt, entry[f])
        assert second[salt_column(f)] != salt
    assert first["notes_salt"] != first["user_agent_salt"]


def test_a_missing_personal_field_seals_as_null() -> None:
    columns = privacy_columns({})
    assert all(columns[salt_column(f)] is None for f in PERSONAL_FIELDS)
    assert all(columns[digest_column(f)] == NULL_DIGEST for f in PERSONAL_FIELDS)


# -- what verify-ledger says about personal fields ---------------------------------------


def test_an_entry_as_sealed_has_no_personal_field_problem() -> None:
    assert personal_field_problem(sealed()) is None
    assert personal_field_problem(privacy_columns({"notes": "n"}) | {"notes": "n"}) is None


def test_an_entry_whose_values_were_all_erased_has_no_problem() -> None:
    entry = sealed(ip_address="192.0.2.7")
    for f in PERSONAL_FIELDS:
        entry = erased(entry, f)
    assert personal_field_problem(entry) is None


@pytest.mark.parametrize("field", PERSONAL_FIELDS)
def test_an_edited_personal_value_is_reported_by_name(field: str) -> None:
    entry = sealed(ip_address="192.0.2.7")
    problem = personal_field_problem(entry | {field: "edited"})
    assert problem == f"its {field} differs from what was sealed"


@pytest.mark.parametrize("field", PERSONAL_FIELDS)
def test_a_salt_left_without_its_value_is_reported(field: str) -> None:
    entry = sealed(ip_address="192.0.2.7")
    problem = personal_field_problem(entry | {field: None})
    assert problem == f"its {field} salt outlived the value"


@pytest.mark.parametrize("field", PERSONAL_FIELDS)
def test_a_value_left_without_its_salt_is_reported(field: str) -> None:
    entry = sealed(ip_address="192.0.2.7")
    assert personal_field_problem(entry | {salt_column(field): None}) == f"its {field} has no salt"


def test_a_salt_that_is_not_hex_is_reported_not_raised() -> None:
    entry = sealed() | {"notes_salt": "not hex"}
    assert personal_field_problem(entry) == "its notes salt is not hex"


def test_a_field_that_was_always_null_hides_no_problem_in_the_fields_after_it() -> None:
    entry = sealed(notes=None)
    assert personal_field_problem(entry | {"user_agent": "edited"}) == (
        "its user_agent differs from what was sealed"
    )


def test_the_first_problem_found_is_reported_in_field_order() -> None:
    entry = sealed(ip_address="192.0.2.7")
    both = entry | {"notes": "edited", "user_agent": "edited"}
    assert personal_field_problem(both) == "its notes differs from what was sealed"
    later = entry | {"user_agent": "edited"}
    assert personal_field_problem(later) == "its user_agent differs from what was sealed"


def test_erased_means_sealed_then_removed_not_always_null() -> None:
    entry = sealed()
    assert entry["ip_address"] is None
    assert not is_erased(entry, "ip_address")  # never had a value
    assert not is_erased(entry, "notes")  # still there
    assert is_erased(erased(entry, "notes"), "notes")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(PERSONAL_FIELDS),
        st.text(max_size=20) | st.integers(),
    )
)
def test_any_sealed_values_verify_and_erase_without_breaking_the_link(
    values: dict[str, Any],
) -> None:
    entry = {**FACTS, **values}
    entry |= privacy_columns(entry)
    for f in PERSONAL_FIELDS:
        entry.setdefault(f, None)
    assert personal_field_problem(entry) is None
    before = entry_hash(GENESIS, entry)
    for f in values:
        entry = erased(entry, f)
        assert is_erased(entry, f)
        assert personal_field_problem(entry) is None
    assert entry_hash(GENESIS, entry) == before
