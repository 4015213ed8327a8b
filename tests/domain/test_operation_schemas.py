"""Operation bodies parse from JSON by their type, and refuse what they do not know."""

import pytest
from pydantic import TypeAdapter, ValidationError

from common.card_number import SERVER_NODE, display, make_card_number
from common.operations import Operation

NUMBER = make_card_number(SERVER_NODE, 3)
adapter = TypeAdapter(Operation)

BODIES = [
    {"type": "stamp.add"},
    {"type": "stamp.redeem"},
    {"type": "stamp.void", "stamps_to_void": 1},
    {"type": "points.earn", "purchase_amount_cents": 100, "order_reference": "R"},
    {"type": "points.redeem", "reward_id": "coffee"},
    {"type": "points.void", "order_reference": "R"},
    {"type": "points.adjust", "points_delta": -5, "reason": "fix"},
    {"type": "card.enroll", "customer": {"email": "a@example.com", "name": "A"}},
    {"type": "card.deactivate"},
    {"type": "card.reactivate"},
]


@pytest.mark.parametrize("body", BODIES, ids=[b["type"] for b in BODIES])
def test_every_operation_type_parses_and_round_trips(body):
    op = adapter.validate_python({**body, "card_number": NUMBER})
    assert op.type == body["type"]
    assert adapter.validate_python(op.model_dump(mode="json")) == op


def test_the_card_number_is_normalised_and_checked():
    op = adapter.validate_python({"type": "stamp.add", "card_number": display(NUMBER)})
    assert op.card_number == NUMBER
    with pytest.raises(ValidationError):
        adapter.validate_python(
            {
                "type": "stamp.add",
                "card_number": NUMBER[:-1] + "0" if NUMBER[-1] != "0" else NUMBER[:-1] + "1",
            }
        )


@pytest.mark.parametrize(
    "body",
    [
        {"type": "stamp.add", "stamps": 5},
        {"type": "stamp.void"},
        {"type": "points.earn", "purchase_amount_cents": 0},
        {"type": "card.enroll", "customer": {"email": "not-an-email"}},
        {"type": "teleport"},
    ],
)
def test_unknown_fields_missing_targets_and_bad_values_are_refused(body):
    with pytest.raises(ValidationError):
        adapter.validate_python({**body, "card_number": NUMBER})
