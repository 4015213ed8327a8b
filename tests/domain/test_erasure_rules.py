"""Erasing a customer (docs/privacy.md): what an erasure takes out of an op body, what
the merchant's card policy means, and the hash an erased op keeps so that a replay still
gets its stored answer while no stored hash confirms a guessed email."""

import hashlib
import json
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.erasure import (
    CUSTOMER_FIELDS,
    DEFAULT_CARD_POLICY,
    CardPolicy,
    card_policy,
    erased_body_hash,
    scrub_op_body,
)

ENROLL: dict[str, Any] = {
    "type": "card.enroll",
    "card_number": "1000000000429",
    "customer": {"email": "camille@example.com", "name": "Camille Roux", "phone": None},
    "notes": "met at the market",
}
ADJUST: dict[str, Any] = {
    "type": "points.adjust",
    "card_number": "1000000000429",
    "points_delta": -20,
    "reason": "Camille asked to correct it",
}


def plain_body_hash(body: dict[str, Any]) -> str:
    """The hash a pushed op's body is stored with (sync_server/sync/push_records.py)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def test_a_closed_card_is_the_default_policy() -> None:
    assert DEFAULT_CARD_POLICY is CardPolicy.CLOSE
    assert card_policy(None) is CardPolicy.CLOSE


@pytest.mark.parametrize(
    ("setting", "policy"), [("close", CardPolicy.CLOSE), ("keep", CardPolicy.KEEP)]
)
def test_the_merchant_s_setting_names_the_policy(setting: str, policy: CardPolicy) -> None:
    assert card_policy(setting) is policy


def test_an_unknown_setting_is_refused_not_taken_for_the_default() -> None:
    with pytest.raises(ValueError):
        card_policy("forget")


def test_an_erasure_nulls_the_customer_row_s_personal_columns() -> None:
    assert CUSTOMER_FIELDS == ("email", "name", "phone")


def test_scrubbing_nulls_who_the_customer_is_and_any_free_text() -> None:
    assert scrub_op_body(ENROLL) == {
        "type": "card.enroll",
        "card_number": "1000000000429",
        "customer": None,
        "notes": None,
    }
    assert scrub_op_body(ADJUST) == {**ADJUST, "reason": None}
    assert scrub_op_body({"type": "attention.acknowledge", "note": "called her"}) == {
        "type": "attention.acknowledge",
        "note": None,
    }


def test_scrubbing_keeps_what_the_books_and_the_attention_list_read() -> None:
    body = {"type": "points.earn", "card_number": "1", "purchase_amount_cents": 1299}
    assert scrub_op_body(body | {"order_reference": "A-17"}) == body | {"order_reference": "A-17"}


def test_the_erased_hash_is_a_hash_of_the_scrubbed_body_in_a_domain_of_its_own() -> None:
    scrubbed = json.dumps(scrub_op_body(ENROLL), sort_keys=True, separators=(",", ":"))
    expected = hashlib.sha256(f"erased-op-body/1\n{scrubbed}".encode()).hexdigest()
    assert erased_body_hash(ENROLL) == expected
    assert erased_body_hash(ENROLL) != plain_body_hash(scrub_op_body(ENROLL))


def test_a_replay_of_the_op_as_sent_still_matches_its_erased_hash() -> None:
    stored = erased_body_hash(ENROLL)
    replayed = json.loads(json.dumps(ENROLL))
    assert erased_body_hash(replayed) == stored
    # Key order is not part of the body.
    assert erased_body_hash(dict(reversed(list(ENROLL.items())))) == stored


def test_no_erased_hash_confirms_a_guessed_email() -> None:
    guess = ENROLL | {"customer": {"email": "someone@else.org", "name": None, "phone": None}}
    assert erased_body_hash(guess) == erased_body_hash(ENROLL)
    assert plain_body_hash(guess) != plain_body_hash(ENROLL)


def test_an_altered_amount_is_still_told_apart() -> None:
    assert erased_body_hash(ADJUST | {"points_delta": -2000}) != erased_body_hash(ADJUST)


def test_values_json_cannot_hold_are_hashed_by_their_text() -> None:
    op_id = UUID("6f1c0c4e-0000-4000-8000-000000000001")
    body = {"op_id": op_id, "notes": "x"}
    canonical = f'{{"notes":null,"op_id":"{op_id}"}}'
    expected = hashlib.sha256(f"erased-op-body/1\n{canonical}".encode()).hexdigest()
    assert erased_body_hash(body) == expected


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            ["notes", "note", "reason", "customer", "card_number", "points_delta", "type"]
        ),
        _JSON,
    )
)
def test_any_body_scrubs_to_one_without_personal_parts_and_hashes_alike_once_scrubbed(
    body: dict[str, Any],
) -> None:
    scrubbed = scrub_op_body(body)
    assert scrubbed.keys() == body.keys()
    for key in ("notes", "note", "reason", "customer"):
        assert scrubbed.get(key) is None
    for key in ("card_number", "points_delta", "type"):
        assert scrubbed.get(key) == body.get(key)
    assert erased_body_hash(scrubbed) == erased_body_hash(body)
