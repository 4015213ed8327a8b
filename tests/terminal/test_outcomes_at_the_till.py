"""How the till reads the server's answer to a push (push_answer.outcomes) and records
it (LocalStore.record_outcomes): what is kept of an outcome, what is ignored (the op
then stays pending and goes again), and the statuses written to the outbox.

Planted bugs each test was seen failing on (mutmut's names): ``_id`` accepting 2^63
(``<=``); ``_outcome`` reading no default for ``transaction_ids``, the ``message``
from a wrong key, ``seq`` under a wrong name, letting an op id that is not a string
through (``and`` for ``or``); ``record_outcomes`` writing ``REJECTED``/``CONFLICT`` or
not mapping a duplicate to its first status (``and`` for ``or``)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from common.operations import AddStamp
from desktop.engine.local_store import LocalStore
from desktop.engine.push_answer import outcomes

NUMBER = "1000000000000016"


def _answer(**fields: Any) -> dict[str, Any]:
    return {"op_id": "a", "status": "applied", "transaction_ids": [7], **fields}


def test_an_outcome_is_kept_with_the_fields_the_till_reads():
    result = _answer(
        status="rejected",
        transaction_ids=[],
        seq=3,
        code="OFFLINE_LIMIT_EXCEEDED",
        message="Too many offline redemptions.",
        detail={"limit": "count"},
        card={"points_balance": 4},
        ignored="x",
    )

    assert outcomes({"results": [result]}, {"a"}) == [
        {
            "op_id": "a",
            "status": "rejected",
            "transaction_ids": [],
            "code": "OFFLINE_LIMIT_EXCEEDED",
            "message": "Too many offline redemptions.",
            "seq": 3,
            "card": {"points_balance": 4},
            "detail": {"limit": "count"},
        }
    ]


def test_an_outcome_without_transaction_ids_has_none():
    result = {"op_id": "a", "status": "applied"}

    assert outcomes({"results": [result]}, {"a"}) == [
        {"op_id": "a", "status": "applied", "transaction_ids": [], "code": None, "message": None}
    ]


def test_transaction_ids_are_positive_64_bit_integers():
    def kept(ids: list[Any]) -> bool:
        return outcomes({"results": [_answer(transaction_ids=ids)]}, {"a"}) != []

    assert kept([1, 2**63 - 1])
    assert not kept([2**63])
    assert not kept([0])
    assert not kept([True])
    assert not kept([1.0])


def test_a_duplicate_is_kept_with_what_the_op_got_the_first_time():
    first = _answer(status="duplicate", original_status="rejected", transaction_ids=[])
    unknown = _answer(op_id="b", status="duplicate", original_status="duplicate")

    assert outcomes({"results": [first, unknown]}, {"a", "b"}) == [
        {**{k: first[k] for k in ("op_id", "status", "transaction_ids", "original_status")}}
        | {"code": None, "message": None}
    ]


@pytest.mark.parametrize(
    "result",
    [
        _answer(op_id=1),
        _answer(op_id=["a"]),
        _answer(status="done"),
        _answer(status=None),
        _answer(op_id=None, status="done"),
        _answer(transaction_ids="7"),
        _answer(code=5),
        "a",
        None,
    ],
    ids=repr,
)
def test_an_outcome_the_till_cannot_read_is_ignored(result: Any):
    assert outcomes({"results": [result]}, {"a"}) == []


@pytest.mark.parametrize("body", [None, [], "results", {"results": None}, {"results": {}}])
def test_a_body_that_is_no_push_answer_gives_no_outcomes(body: Any):
    assert outcomes(body, {"a"}) is None


def test_only_the_ops_sent_are_answered_once_each():
    answers = [_answer(), _answer(transaction_ids=[8]), _answer(op_id="stranger")]

    assert [o["transaction_ids"] for o in outcomes({"results": answers}, {"a"}) or []] == [[7]]


def _outbox(tmp_path, n: int) -> tuple[LocalStore, list[str]]:
    store = LocalStore(tmp_path / "till.db")
    ids = [
        store.append(
            AddStamp(card_number=NUMBER),
            client_time=datetime.now(UTC),
            staff_pin_id=None,
            offline=True,
            snapshot_age_s=None,
        ).op_id
        for _ in range(n)
    ]
    return store, ids


def test_recorded_outcomes_set_each_ops_status(tmp_path):
    """A reused op id or seq is the till's own bug: ``conflict``, not a refusal."""
    store, ids = _outbox(tmp_path, 6)
    try:
        store.record_outcomes(
            [
                {"op_id": ids[0], "status": "applied", "transaction_ids": [1]},
                {"op_id": ids[1], "status": "rejected", "code": "CARD_INACTIVE"},
                {"op_id": ids[2], "status": "rejected", "code": "OP_ID_REUSED"},
                {"op_id": ids[3], "status": "rejected", "code": "SEQ_REUSED"},
                {"op_id": ids[4], "status": "duplicate", "original_status": "rejected"},
                {"op_id": ids[5], "status": "duplicate"},
            ]
        )

        statuses = {e.op_id: e.status for e in store.entries(status=None)}
        assert [statuses[i] for i in ids] == [
            "applied",
            "rejected",
            "conflict",
            "conflict",
            "rejected",
            "applied",
        ]
        assert store.entry(ids[1]).outcome["code"] == "CARD_INACTIVE"
        assert {e.op_id for e in store.attention()} == {ids[1], ids[2], ids[3], ids[4]}
    finally:
        store.close()
