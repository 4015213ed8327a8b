"""Hostile input never breaks the till (issue #11): every scanned or typed string, every
pulled page and every server answer gets a verdict the UI can show in words, through
the engine, never a traceback. A malformed page changes nothing in the local cache, and
a push answer settles only the ops it names with a valid outcome.

The server is a fake behind ``httpx.MockTransport`` (tests/support/hostile_server.py);
the strategies are ours: lone surrogates, NUL, long strings, other scripts' digits,
ints past 2^63, NaN, wrong types, missing fields, near-valid QR payloads.
"""

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.operations import AddStamp
from common.outcome import Rejected
from common.qr import encode_qr
from desktop.engine.card_view import CardView
from desktop.engine.local_store import LocalStore
from desktop.engine.lookup import CardMatch
from desktop.engine.manager_api import ManagerApi, ManagerApiError
from desktop.engine.sync_client import PairingFailed, SyncClient
from desktop.engine.terminal import Terminal
from desktop.engine.tokens import MemoryTokens
from tests.support.hostile_server import (
    ALIAS,
    KEY,
    NUMBER,
    OTHER,
    SERVER_TIME,
    json_answer,
    seeded_till,
    snapshot,
    valid_page,
)

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies -------------------------------------------------------------------------

lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
ODD = ["\x00", "\x07", "\x1b", "\x7f", "\u200f", "\u202e", "\ufeff", "😀", "\uff11", "\u0661"]
odd_text = st.lists(
    st.one_of(st.sampled_from(ODD), lone_surrogates, st.characters(), st.sampled_from("0123 -:")),
    max_size=40,
).map("".join)
long_text = st.tuples(st.sampled_from(["1", "a", "\x00", "😀", "LOY1:"]), st.integers(1000, 10_000))
hostile_values = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            1.5,
            "",
            "\x00",
            "a\x00b",
            "x" * 10_000,
            "😀",
            [],
            {},
            [1],
            {"a": 1},
            2**63,
            -(2**63) - 1,
            2**64,
            10**30,
            float("nan"),
            float("inf"),
            float("-inf"),
            "2026-13-45",
            "not a date",
            "2026-01-10T12:00:00",  # no zone
            "9999-12-31T23:59:59+00:00",
            "0001-01-01T00:00:00+00:00",
        ]
    ),
    lone_surrogates,
    st.integers(),
    st.floats(),
    st.text(max_size=12),
)


@st.composite
def near_valid_payloads(draw: st.DrawFn) -> str:
    parts = encode_qr(draw(st.sampled_from([NUMBER, OTHER, ALIAS])), KEY).split(":")
    index = draw(st.integers(0, 2))
    at = draw(st.integers(0, len(parts[index])))
    parts[index] = parts[index][:at] + draw(odd_text) + parts[index][at + 1 :]
    return ":".join(parts)


typed_strings = st.one_of(
    odd_text,
    long_text.map(lambda pair: pair[0] * pair[1]),
    near_valid_payloads(),
    st.sampled_from(["", " ", NUMBER, ALIAS, "ann", "Ann", "%", "_", "\\", "LOY", "loy1:"]),
    st.text(),
)


@st.composite
def hostile_pages(draw: st.DrawFn) -> Any:
    """A well-formed page with one thing made hostile: a top-level field, a field of
    the program, store or settings, an entity, a column name, a row or a cell."""
    page: Any = valid_page(cursor="c2")
    value = draw(hostile_values)
    delete = draw(st.booleans())
    where = draw(st.sampled_from(["body", "top", "meta", "entity", "column", "row", "cell"]))
    tables = page["tables"]
    if where == "body":
        return value
    if where == "top":
        _set(page, draw(st.sampled_from(sorted(page))), value, delete)
    elif where == "meta":
        part = page[draw(st.sampled_from(["program", "store", "settings"]))]
        _set(part, draw(st.sampled_from(sorted(part))), value, delete)
    elif where == "entity":
        name = draw(st.sampled_from([*sorted(tables), "coupons", "", "../x", "\x00"]))
        _set(tables, name, value, delete)
    else:
        name = draw(st.sampled_from(sorted(n for n in tables if tables[n]["rows"])))
        table = tables[name]
        j = draw(st.integers(0, len(table["columns"]) - 1))
        if where == "column":
            _set(table["columns"], j, value, delete)
        elif where == "row":
            _set(table["rows"], 0, value, delete)
        else:
            _set(table["rows"][0], j, value, delete)
    return page


def _set(container: Any, key: Any, value: Any, delete: bool) -> None:
    if delete and isinstance(container, dict):
        container.pop(key, None)
    elif delete:
        del container[key]
    else:
        container[key] = value


RAW_ANSWERS = [
    httpx.Response(200, content=b""),
    httpx.Response(200, content=b"<html><body>502 Bad Gateway</body></html>"),
    httpx.Response(200, content=b'{"cursor": "c2", "has_more": fal'),
    httpx.Response(200, content=b"null"),
    httpx.Response(200, content=b"[]"),
    httpx.Response(200, content=b'"ok"'),
    httpx.Response(200, content=b'{"a": "\\ud800"}'),
    httpx.Response(500, content=b"<html>Internal Server Error</html>"),
    httpx.Response(502, content=b"<html>Bad Gateway</html>"),
    httpx.Response(503, content=b""),
    httpx.Response(500, content=b"[1, 2]"),
    httpx.Response(500, content=b'{"message": {"nested": true}}'),
    httpx.Response(422, json={"code": "VALIDATION_ERROR", "message": "Invalid.", "detail": "x"}),
]
raw_answers = st.sampled_from(RAW_ANSWERS)


# -- what must hold ---------------------------------------------------------------------


def _works_on_every_card(terminal: Terminal) -> None:
    """What the screen does with the pulled data: search, show, scan, history, staff.
    (A page may say the merchant has no program: the till is then not ready, and the
    window says it is still receiving the shop's cards instead of searching.)"""
    terminal.staff()
    terminal.store_history()
    terminal.attention()
    if not terminal.ready:
        return
    with terminal.store.engine.connect() as conn:
        numbers = [r[0] for r in conn.exec_driver_sql("SELECT card_number FROM cards")]
    for number in [*numbers, ALIAS]:
        found = terminal.search(number)
        assert isinstance(found, list | Rejected)
        assert isinstance(terminal.view(number), CardView | None)
        scanned = terminal.till.card_number_from_scan(f"LOY1:{number}:AAAAAAAAAA")
        assert isinstance(scanned, str | Rejected)
        terminal.card_history(number)


def _once(answer: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    """This answer to the first pull, then a well-formed last page (a hostile page that
    says ``has_more`` must not make the till ask forever)."""
    answers = iter([answer])
    return lambda _: next(answers, None) or json_answer(valid_page("c3"))


def _round_gives_a_verdict(terminal: Terminal, before: dict[str, Any]) -> None:
    state = terminal.client.sync_once()
    if state.online:
        _works_on_every_card(terminal)
        return
    assert isinstance(state.error, str)
    assert state.error.strip()
    assert snapshot(terminal) == before, "a refused page changed the till's data"
    _works_on_every_card(terminal)


def test_a_hostile_pulled_page_is_refused_whole_with_words_or_lands_usable():
    """Caught before the fix (400 examples): out of ``sync_once``, so out of the sync
    thread, which died: a row shorter than its columns or a dict in a cell (sqlite3
    ProgrammingError), an int past 2^63 (OverflowError), a null name or PIN hash
    (IntegrityError), a missing ``has_more`` or ``cursor`` (KeyError), odd column names
    (ValueError), a body or entity that is a list, a number or null (TypeError,
    AttributeError), a ``server_time`` that is not a string (TypeError). Stored, then
    failing every later search or action: a program missing a field (KeyError), a QR
    key that is not hex, a time zone that is not one, a time that is not ISO, a
    transaction type the till does not know (ValueError)."""
    with seeded_till() as (terminal, server):

        @SETTINGS
        @given(page=hostile_pages())
        def check(page: Any) -> None:
            server.pull = _once(json_answer(page))
            _round_gives_a_verdict(terminal, snapshot(terminal))

        check()


def test_a_hostile_http_answer_to_a_pull_changes_nothing():
    """Caught before the fix: an empty 200, an HTML page with 200, a truncated body or a
    lone surrogate escape (ValueError), a 200 of ``[]``, ``null`` or ``"ok"``
    (TypeError), a 500 whose JSON is a list (AttributeError): all out of ``sync_once``."""
    with seeded_till() as (terminal, server):

        @SETTINGS
        @given(answer=raw_answers)
        def check(answer: httpx.Response) -> None:
            server.pull = _once(httpx.Response(answer.status_code, content=answer.content))
            _round_gives_a_verdict(terminal, snapshot(terminal))

        check()


def test_a_hostile_second_page_keeps_the_first_and_refuses_the_rest():
    """Pages are written one by one: the well-formed first stands with its cursor, the
    hostile second changes nothing and the round says why."""
    with seeded_till() as (terminal, server):

        @SETTINGS
        @given(page=hostile_pages())
        def check(page: Any) -> None:
            first = valid_page(cursor="p1", has_more=True)
            answers = iter([json_answer(first), json_answer(page)])
            server.pull = lambda _: next(answers, json_answer(valid_page("p3")))
            state = terminal.client.sync_once()
            if not state.online:
                assert isinstance(state.error, str)
                assert terminal.store.get_meta("cursor") == "p1"
            _works_on_every_card(terminal)

        check()


# -- push -------------------------------------------------------------------------------

GOOD = {
    "applied": ({"status": "applied", "transaction_ids": [9001]}, "applied"),
    "rejected": (
        {"status": "rejected", "code": "CARD_INACTIVE", "message": "Inactive."},
        "rejected",
    ),
    "dup_applied": ({"status": "duplicate", "original_status": "applied"}, "applied"),
    "dup_rejected": ({"status": "duplicate", "original_status": "rejected"}, "rejected"),
    "reused": ({"status": "rejected", "code": "OP_ID_REUSED", "message": "Reused."}, "conflict"),
    "odd_detail": ({"status": "applied", "detail": {"x": float("nan"), "y": 2**70}}, "applied"),
}
BAD: list[Callable[[str], Any]] = [
    lambda op_id: {"op_id": op_id, "status": "settled"},
    lambda op_id: {"op_id": op_id, "status": "APPLIED"},
    lambda op_id: {"op_id": op_id, "status": None},
    lambda op_id: {"op_id": op_id},
    lambda op_id: {"status": "applied"},
    lambda op_id: {"op_id": 7, "status": "applied"},
    lambda op_id: {"op_id": [op_id], "status": "applied"},
    lambda op_id: {"op_id": op_id, "status": "duplicate"},
    lambda op_id: {"op_id": op_id, "status": "duplicate", "original_status": "pending"},
    lambda op_id: {"op_id": op_id, "status": "applied", "transaction_ids": "9001"},
    lambda op_id: {"op_id": op_id, "status": "applied", "transaction_ids": [float("nan")]},
    lambda op_id: {"op_id": op_id, "status": "applied", "transaction_ids": [2**64]},
    lambda op_id: {"op_id": op_id, "status": "applied", "transaction_ids": [True]},
    lambda op_id: {"op_id": op_id, "status": "rejected", "code": 5},
    lambda op_id: {"op_id": op_id, "status": "rejected", "message": ["x"]},
    lambda op_id: {"op_id": op_id + "\x00", "status": "applied"},
    lambda op_id: [op_id, "applied"],
    lambda op_id: None,
]
plans = st.lists(
    st.one_of(st.sampled_from(sorted(GOOD)), st.integers(0, len(BAD) - 1), st.just("none")),
    min_size=1,
    max_size=4,
)
wrappers = st.one_of(
    st.just("ok"),
    raw_answers,
    hostile_values.map(lambda v: {"results": v}),
    st.just({"server_time": SERVER_TIME}),
)


class PushPlan:
    """Answers the pushed ops as planned, and notes what each op should end up as."""

    def __init__(self, plan: list[Any], wrapper: Any, strangers: int) -> None:
        self.plan, self.wrapper, self.strangers = plan, wrapper, strangers
        self.expected: dict[str, str] = {}
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        assert self.calls < 5, "the till sent the same batch again and again in one round"
        ops = json.loads(request.content)["ops"]
        results = []
        for i, op in enumerate(ops):
            choice = self.plan[i] if i < len(self.plan) else "none"
            named = self.wrapper == "ok" and isinstance(choice, str) and choice in GOOD
            self.expected[op["op_id"]] = GOOD[choice][1] if named else "pending"
            if isinstance(choice, int):
                results.append(BAD[choice](op["op_id"]))
            elif choice in GOOD:
                results.append({"op_id": op["op_id"], "seq": op["seq"], **GOOD[choice][0]})
        results += [
            {"op_id": str(uuid.uuid4()), "seq": 1, "status": "applied"}
            for _ in range(self.strangers)
        ]
        if self.wrapper == "ok":
            return json_answer({"server_time": SERVER_TIME, "results": results})
        if isinstance(self.wrapper, httpx.Response):
            return httpx.Response(self.wrapper.status_code, content=self.wrapper.content)
        return json_answer(self.wrapper)


def test_a_push_answer_settles_only_the_ops_it_names_with_a_valid_outcome():
    """Caught before the fix (300 examples): an unknown status ('settled') was stored as
    the op's status, so the op left the outbox never answered; a result naming no op
    we sent, or a 200 naming none, made the till send the same batch again in an
    endless loop; NaN in an outcome was stored as JSON SQLite cannot read
    (OperationalError); a body without ``results``, results that are not a list of
    objects, a result without ``op_id`` or ``status``, an empty 200 (KeyError,
    TypeError, JSONDecodeError, IntegrityError) all raised out of ``sync_once``."""
    with seeded_till() as (terminal, server):

        @SETTINGS
        @given(plan=plans, wrapper=wrappers, strangers=st.integers(0, 2))
        def check(plan: list[Any], wrapper: Any, strangers: int) -> None:
            for _ in plan:
                terminal.store.append(
                    AddStamp(card_number=NUMBER),
                    client_time=terminal.till.now(),
                    staff_pin_id=None,
                    offline=True,
                    snapshot_age_s=0,
                )
            answer = PushPlan(plan, wrapper, strangers)
            server.push = answer
            state = terminal.client.sync_once()
            for op_id, status in answer.expected.items():
                entry = terminal.store.entry(op_id)
                assert entry is not None
                assert entry.status == status, (op_id, entry.outcome)
            if "pending" in answer.expected.values():
                assert not state.online
                assert isinstance(state.error, str)
            _works_on_every_card(terminal)

        check()


# -- typed and scanned strings ----------------------------------------------------------


def test_every_typed_or_scanned_string_gets_matches_or_a_refusal():
    """Caught before the fix: a QR payload with a non-ASCII tag raised TypeError; a search
    holding a lone surrogate raised UnicodeEncodeError from SQLite; a 10,000-character
    query raised 'LIKE or GLOB pattern too complex'."""
    with seeded_till() as (terminal, _):

        @settings(max_examples=300, deadline=None)
        @given(text=typed_strings)
        def check(text: str) -> None:
            found = terminal.search(text)
            assert isinstance(found, list | Rejected)
            if isinstance(found, list):
                assert all(isinstance(m, CardMatch) for m in found)
            assert isinstance(terminal.till.card_number_from_scan(text), str | Rejected)
            assert isinstance(terminal.view(text), CardView | None)
            terminal.card_history(text)

        check()


@pytest.mark.parametrize("pin", ["", "\x00", "\ud800", "１２３４", "1" * 10_000, "😀😀😀😀"])
def test_a_hostile_pin_gets_a_refusal(pin):
    """Caught before the fix: a lone surrogate raised UnicodeEncodeError in argon2."""
    with seeded_till() as (terminal, _):
        assert isinstance(terminal.check_pin(5, pin), Rejected)


# -- manager area and pairing -------------------------------------------------------------


def _manager(answer: httpx.Response) -> ManagerApi:
    transport = httpx.MockTransport(
        lambda _: httpx.Response(answer.status_code, content=answer.content)
    )
    return ManagerApi(httpx.Client(base_url="https://x", transport=transport), 1, 1, "owner")


@pytest.mark.parametrize("answer", RAW_ANSWERS)
@pytest.mark.parametrize("call", ["program", "settings", "terminals", "pairing_code"])
def test_a_hostile_answer_in_the_manager_area_is_a_refusal_in_words(answer, call):
    """Caught before the fix: a 422 whose ``detail`` is a string raised AttributeError; a
    200 of ``{"a": ...}`` raised KeyError out of the field reading."""
    api = _manager(answer)
    with pytest.raises(ManagerApiError, match=r"\w"):
        getattr(api, call)()
    api.close()


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {},
        {"device_token": 5, "terminal_id": 1, "store_id": 1, "merchant_id": 1, "card_node": 7},
        {
            "device_token": "t",
            "terminal_id": 2**64,
            "store_id": 1,
            "merchant_id": 1,
            "card_node": 7,
        },
        {"device_token": "t", "terminal_id": 1, "store_id": 1, "merchant_id": 1, "card_node": -1},
        {
            "device_token": "t\x00",
            "terminal_id": 1,
            "store_id": 1,
            "merchant_id": 1,
            "card_node": 7,
        },
    ],
)
def test_a_hostile_pairing_answer_pairs_nothing(body, tmp_path):
    """Caught before the fix: any of these raised KeyError or TypeError
    out of ``pair``, or stored a token without ids (an int token, a node of -1)."""
    store = LocalStore(tmp_path / "till.db")
    tokens = MemoryTokens()
    client = SyncClient(store, tokens, transport=httpx.MockTransport(lambda _: json_answer(body)))
    with pytest.raises(PairingFailed, match="not a loyalty server"):
        client.pair("https://loyalty.shop.example", "ABCDE-FGHJK")
    assert tokens.get() is None
    assert store.get_meta("card_node") is None
    store.close()
