"""What one sync round tells the till's screen (``SyncClient.sync_once``'s state),
against a fake server (tests/support/hostile_server.py): unpaired, refused by the
server, its ops refused, and pairing with an address typed with a trailing slash.

Planted bugs each test was seen failing on (mutmut's names, ``SyncClient.*``):
``sync_once`` telling an unpaired till ``online=None`` or ``True``, a server error
with no words (``error=None``); ``_publish`` counting no refusals (``rejected=None``);
``pair`` keeping the trailing slash (``rstrip(None)``) in the stored address."""

import json

import httpx
import pytest

from common.operations import AddStamp
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import PairingFailed, SyncClient
from desktop.engine.tokens import MemoryTokens
from tests.support.hostile_server import NUMBER, SERVER_TIME, json_answer, seeded_till


def test_a_till_without_a_token_is_offline_and_asks_to_be_paired(tmp_path):
    client = SyncClient(LocalStore(tmp_path / "till.db"), MemoryTokens())
    try:
        state = client.sync_once()
    finally:
        client.close()
        client.store.close()

    assert state.needs_pairing is True
    assert state.online is False


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_told_in_words_and_the_till_is_offline(status):
    with seeded_till() as (terminal, server):
        server.pull = lambda _: json_answer({"code": "X", "message": "Down."}, status)

        state = terminal.client.sync_once()

    assert state.online is False
    assert state.pulling is False
    assert isinstance(state.error, str)
    assert state.error.strip()


def test_the_ops_the_server_refused_are_counted_for_the_screen():
    def refuse_all(request: httpx.Request) -> httpx.Response:
        ops = json.loads(request.content)["ops"]
        results = [
            {
                "op_id": o["op_id"],
                "seq": o["seq"],
                "status": "rejected",
                "code": "CARD_INACTIVE",
                "message": "This card is deactivated.",
            }
            for o in ops
        ]
        return json_answer({"server_time": SERVER_TIME, "results": results, "pin_failures": []})

    with seeded_till() as (terminal, server):
        server.push = refuse_all
        done = terminal.perform(AddStamp(card_number=NUMBER), None)
        assert not hasattr(done, "code"), done

        state = terminal.client.sync_once()

    assert state.online is True
    assert (state.rejected, state.pending) == (1, 0)


def test_an_address_typed_with_a_trailing_slash_is_kept_without_it(tmp_path):
    asked: list[str] = []

    def pairing(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        body = {
            "device_token": "t",
            "terminal_id": 1,
            "store_id": 2,
            "merchant_id": 3,
            "card_node": 1_000_001,
        }
        return httpx.Response(200, json=body)

    client = SyncClient(
        LocalStore(tmp_path / "till.db"), MemoryTokens(), transport=httpx.MockTransport(pairing)
    )
    try:
        client.pair(" http://127.0.0.1:9/ ", "123456", "Front")

        assert asked == ["http://127.0.0.1:9/api/v1/sync/pair"]
        assert client.store.get_meta("base_url") == "http://127.0.0.1:9"
        assert [client.store.get_meta(k) for k in ("terminal_id", "store_id", "card_node")] == [
            1,
            2,
            1_000_001,
        ]
        assert client.tokens.get() == "t"
    finally:
        client.close()
        client.store.close()


def _pairing_with(answer: dict[str, object], asked: list[dict[str, object]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        asked.append(json.loads(request.content))
        return httpx.Response(200, json=answer)

    return httpx.MockTransport(handle)


GOOD_PAIRING = {
    "device_token": "t",
    "terminal_id": 1,
    "store_id": 2,
    "merchant_id": 3,
    "card_node": 1_000_001,
}


@pytest.mark.parametrize(
    "change",
    [
        {"merchant_id": None},
        {"merchant_id": 0},
        {"store_id": 2**63},
        {"terminal_id": True},
        {"card_node": -1},
        {"card_node": 10**12},
        {"card_node": "1"},
    ],
    ids=repr,
)
def test_a_pairing_answer_out_of_bounds_pairs_nothing(tmp_path, change):
    """Planted: ``_pairing_answer`` reading ``MERCHANT_ID``, or ``or`` for ``and`` in the
    id or node bounds (a till paired with ids it cannot use)."""
    asked: list[dict[str, object]] = []
    tokens = MemoryTokens()
    client = SyncClient(
        LocalStore(tmp_path / "till.db"),
        tokens,
        transport=_pairing_with(GOOD_PAIRING | change, asked),
    )
    try:
        with pytest.raises(PairingFailed):
            client.pair("http://127.0.0.1:9", "123456")
        assert tokens.get() is None
        assert client.store.get_meta("terminal_id") is None
        assert client.state.needs_pairing is True
    finally:
        client.close()
        client.store.close()


def test_a_till_paired_without_a_name_is_called_till(tmp_path):
    """Planted: ``pair``'s default name changed."""
    asked: list[dict[str, object]] = []
    client = SyncClient(
        LocalStore(tmp_path / "till.db"),
        MemoryTokens(),
        transport=_pairing_with(GOOD_PAIRING, asked),
    )
    try:
        client.pair("http://127.0.0.1:9", "123456")
    finally:
        client.close()
        client.store.close()

    assert asked == [{"code": "123456", "name": "Till"}]
    assert client.state.needs_pairing is False
