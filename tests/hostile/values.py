"""Hostile values, and a JSON writer that can put them on the wire.

Python's ``json`` module already writes what an attacker's client can send and what
Starlette's parser accepts: ``NaN``/``Infinity`` tokens, integers of any size, lone
surrogates as ``\\ud800`` escapes. Two more things need raw text: a number literal
that overflows to infinity on parsing (``1e309``) and an object with a duplicate key.
"""

import base64
import json
import math
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st


@dataclass(frozen=True)
class RawNumber:
    """A number literal written as is (``1e309`` parses to inf, ``-0`` to 0)."""

    text: str


@dataclass(frozen=True)
class DuplicateKeys:
    """An object whose text repeats a key: which value wins depends on the parser."""

    pairs: tuple[tuple[str, Any], ...]


def to_json(value: Any) -> str:
    if isinstance(value, RawNumber):
        return value.text
    if isinstance(value, DuplicateKeys):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value, allow_nan=True)


INT_EDGES = [
    0,
    -1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    -(10**30),
]
FLOAT_EDGES: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    RawNumber("1e309"),
    RawNumber("-1e309"),
    RawNumber("-0"),
    0.5,
    1e20,
    -1e-320,
    RawNumber("1E400"),
]
TEXT_EDGES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "\ud83d",  # half of an emoji
    "\u202e" + "gnp.exe",  # right-to-left override
    "\ufeff",
    "１２３４",  # fullwidth digits
    "١٢٣٤",  # Arabic-Indic digits
    "\x1b[31mred",
    "\r\n",
    "☕" * 50,
    "%00",
    "'; DROP TABLE cards; --",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "a" * 10_001,
    "\x00" * 300,
]
DATETIME_EDGES = [
    "2026-11-29T12:00:00",  # naive
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "2026-02-30T00:00:00Z",
    "2026-11-29T25:00:00Z",
    "2026-11-29T12:00:00+99:00",
    "-infinity",
    "now",
    "2026-11-29",
    "1732900000",
    "2026-11-29T12:00:00.123456789Z",
]
ID_EDGES = [0, -7, 2**31, 2**63, 2**64, -(2**63) - 1, "1", "1 OR 1=1", 1.5, None]


def hostile_text() -> st.SearchStrategy[str]:
    """Edges, plus text mixing the worst code points at random."""
    nasty = st.sampled_from(["\x00", "\ud800", "\udc00", "\x7f", "\u0085", "\u2028", "\U0010ffff"])
    mixed = st.lists(st.one_of(nasty, st.characters()), min_size=1, max_size=40).map("".join)
    return st.one_of(st.sampled_from(TEXT_EDGES), mixed, st.text(max_size=30))


def hostile_number() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(INT_EDGES),
        st.sampled_from(FLOAT_EDGES),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def wrong_type() -> st.SearchStrategy[Any]:
    return st.sampled_from([None, True, False, [], {}, [1], {"a": 1}, "1", "true", "null"])


def hostile_value() -> st.SearchStrategy[Any]:
    """Anything a JSON parser accepts, weighted towards what breaks servers."""
    return st.one_of(
        hostile_text(),
        hostile_number(),
        st.sampled_from(DATETIME_EDGES),
        st.sampled_from(ID_EDGES),
        wrong_type(),
        st.builds(lambda v: DuplicateKeys((("a", 1), ("a", v))), st.integers()),
    )


def hostile_query_value() -> st.SearchStrategy[str]:
    """What a query string can carry: text only, but any text."""
    return st.one_of(
        hostile_text(),
        st.sampled_from([str(i) for i in INT_EDGES] + ["nan", "inf", "1e309", "-0", "0x10"]),
        st.sampled_from(DATETIME_EDGES),
    )


# One representative of each class, for the sweep over every field of every endpoint.
CLASS_REPRESENTATIVES: list[Any] = [
    math.nan,
    math.inf,
    RawNumber("-1e309"),
    2**31,
    2**63,
    -(2**63) - 1,
    -1,
    "a\x00b",
    "\ud800",
    "x" * 10_001,
    "2026-11-29T12:00:00",  # naive
    "9999-12-31T23:59:59-14:00",
    None,
    [],
    {},
    True,
]


def forged_cursor() -> st.SearchStrategy[str]:
    """What a till could hand in as a cursor: the server's format (base64 of JSON, a dot,
    a tag) with hostile positions, a missing or wrong tag, or plain garbage."""
    position = st.fixed_dictionaries(
        {"t": st.sampled_from([1, 2, -1, 2**63])},
        optional={
            "v": st.sampled_from([1, 0, 2, "1", None]),
            "lo": st.sampled_from(INT_EDGES),
            "hi": st.sampled_from([*INT_EDGES, None]),
            "e": st.sampled_from([0, 5, 6, -7, 2**31, 1.5]),
            "k": st.sampled_from([None, [1, 2], [2**64, 1], [-1], "x", [1, 2, 3]]),
            "at": st.sampled_from([0, -1, 2**63, 10**12]),
        },
    )
    encoded = position.map(lambda p: base64.urlsafe_b64encode(json.dumps(p).encode()).decode())
    tag = st.sampled_from(["", ".", ".00", "." + "0" * 32, ".zz", "." + "a" * 5000])
    return st.one_of(
        st.builds(lambda body, t: body + t, encoded, tag),
        st.sampled_from(["", ".", "====", "%%%", "\x00", "e30=", "e30=." + "0" * 32]),
    )
