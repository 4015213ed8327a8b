"""The JSON document a bulk statement sends PostgreSQL (sync_server/repositories/bulk_sql.py)
holds every row's values as ``json_to_recordset`` reads them back: times with their offset,
text as sent (a lone surrogate a till escaped included), nested JSON as objects."""

import json
from datetime import UTC, date, datetime, timedelta, timezone

from sync_server.repositories.bulk_sql import _document

WHEN = datetime(2026, 11, 30, 17, 5, 1, 123456, tzinfo=UTC)
ROWS = [
    {
        "at": WHEN,
        "local": WHEN.astimezone(timezone(timedelta(hours=2))),
        "day": date(2026, 11, 30),
        "name": "Zoë ☕",
        "body": {"type": "points.earn", "amounts": [1, 2], "note": None},
        "big": 2**53 + 1,
        "flag": True,
        "missing": None,
        "ignored": "not asked for",
    },
]
NAMES = ["at", "local", "day", "name", "body", "big", "flag", "missing"]


def test_every_value_reads_back_as_it_was() -> None:
    """Planted bug: the encoder's bytes sent as they are (no ``.decode()``): psycopg
    would send bytea, which PostgreSQL refuses to cast to json."""
    document = _document(NAMES, ROWS)
    assert isinstance(document, str)
    (row,) = json.loads(document)
    assert set(row) == set(NAMES)
    assert datetime.fromisoformat(row["at"]) == WHEN
    assert datetime.fromisoformat(row["local"]) == WHEN
    assert row["local"].endswith("+02:00")
    assert date.fromisoformat(row["day"]) == date(2026, 11, 30)
    assert row["name"] == "Zoë ☕"
    assert row["body"] == {"type": "points.earn", "amounts": [1, 2], "note": None}
    assert row["big"] == 2**53 + 1
    assert row["flag"] is True
    assert row["missing"] is None


def test_a_lone_surrogate_is_sent_escaped_as_before() -> None:
    """Planted bug: no fallback to ``json.dumps`` when pydantic-core refuses a string it
    cannot encode in UTF-8 (a till's ``"\\ud800"``): the push would answer 500."""
    rows = [{"at": WHEN, "body": {"card_number": "\ud800"}}]
    (row,) = json.loads(_document(["at", "body"], rows))
    assert row["body"] == {"card_number": "\ud800"}
    assert datetime.fromisoformat(row["at"]) == WHEN
