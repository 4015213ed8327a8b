"""Reading the server's answer to a push: the outcomes it gives, with a valid status, to
ops this till sent. Anything else (an unknown status, an op never sent, a result that is
not an object) is ignored, so that op stays pending and goes again: the server answers
a resent op with the outcome it stored the first time.

An outcome is kept with the fields the till reads, JSON-clean (no NaN): SQLite's JSON
functions read it back for the attention list.
"""

import json
from typing import Any

STATUSES = frozenset({"applied", "duplicate", "rejected"})
FIRST_STATUSES = frozenset({"applied", "rejected"})  # what a duplicate was the first time
INT64 = 2**63


def outcomes(body: Any, sent: set[str]) -> list[dict[str, Any]] | None:
    """The valid outcomes for ``sent`` op ids, the first per op; None when the body is
    no push answer at all."""
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        return None
    found: dict[str, dict[str, Any]] = {}
    for result in results:
        outcome = _outcome(result)
        if outcome is not None and outcome["op_id"] in sent:
            found.setdefault(outcome["op_id"], outcome)
    return list(found.values())


def _outcome(result: Any) -> dict[str, Any] | None:
    if not isinstance(result, dict):
        return None
    op_id, status = result.get("op_id"), result.get("status")
    if not isinstance(op_id, str) or status not in STATUSES:
        return None
    if status == "duplicate" and result.get("original_status") not in FIRST_STATUSES:
        return None
    ids = result.get("transaction_ids", [])
    if not (isinstance(ids, list) and all(_id(i) for i in ids)):
        return None
    text = {k: result.get(k) for k in ("code", "message")}
    if not all(v is None or isinstance(v, str) for v in text.values()):
        return None
    kept = {"op_id": op_id, "status": status, "transaction_ids": ids, **text}
    if status == "duplicate":
        kept["original_status"] = result["original_status"]
    for extra in ("seq", "card", "detail"):
        if extra in result and _json_clean(result[extra]):
            kept[extra] = result[extra]
    return kept


def _id(value: Any) -> bool:
    return type(value) is int and 0 < value < INT64


def _json_clean(value: Any) -> bool:
    """Written and read back by SQLite's JSON functions as is: no NaN or Infinity."""
    try:
        json.dumps(value, allow_nan=False)
    except (ValueError, TypeError):
        return False
    return True
