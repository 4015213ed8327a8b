"""Protocol versions: a till the server cannot speak to hears 426 PROTOCOL_UNSUPPORTED
before anything else is checked, keeps working offline with its outbox, and drains it
once updated. A till from before the header existed is version 1."""

import pytest
from sqlalchemy import func, select

from common import protocol
from sync_server.models import LedgerEntry
from tests.support.shop import make_shop
from tests.support.till import pair

PULL = "/api/v1/sync/pull"
PUSH = "/api/v1/sync/push"
HEALTH = "/health"


@pytest.fixture
def shop(session_factory):
    return make_shop(session_factory)


def _refused(response, received):
    assert response.status_code == 426
    body = response.json()
    assert body["code"] == "PROTOCOL_UNSUPPORTED"
    assert body["detail"] == {
        "received": received,
        "oldest": protocol.OLDEST,
        "newest": protocol.NEWEST,
    }
    assert response.headers[protocol.HEADER] == f"{protocol.OLDEST}-{protocol.NEWEST}"


@pytest.mark.parametrize(
    ("declared", "received"),
    [
        (str(protocol.NEWEST + 1), protocol.NEWEST + 1),
        (str(protocol.OLDEST - 1), protocol.OLDEST - 1),
        ("2" * 7, None),
        ("-1", None),
        ("1.0", None),
        ("", None),
        ("١".encode(), None),  # an Arabic-Indic one: a digit to Python, not to the protocol
        (b"\xff1", None),
    ],
)
def test_an_unsupported_version_is_refused_before_authentication(client, declared, received):
    """No token at all: a server that checked auth first would answer 401, and an old
    till would take that for a revocation and wipe itself."""
    response = client.get(PULL, headers={protocol.HEADER: declared})

    _refused(response, received)


def test_a_refused_push_changes_nothing_and_the_same_push_lands_once_understood(
    client, session_factory, shop
):
    till = pair(client, shop.owner_headers)
    number = client.post(
        "/api/v1/store/loyalty/cards/enroll",
        json={"email": "lea@x.example"},
        headers=shop.owner_headers,
    ).json()["card_number"]
    body = {
        "sent_at": till.now().isoformat(),
        "ops": [
            till.op(
                {"type": "stamp.add", "card_number": number},
                staff_pin_id=shop.pin_ids[shop.store_ids[0]],
            )
        ],
        "pin_failures": [],
    }
    before = _ledger_rows(session_factory)

    refused = client.post(
        PUSH, json=body, headers={**till.headers, protocol.HEADER: str(protocol.NEWEST + 1)}
    )
    unchanged = _ledger_rows(session_factory)
    landed = client.post(PUSH, json=body, headers={**till.headers, **protocol.till_headers()})

    _refused(refused, protocol.NEWEST + 1)
    assert unchanged == before
    assert landed.status_code == 200, landed.text
    assert _ledger_rows(session_factory) == before + 1


def test_a_till_from_before_the_header_speaks_version_one(client, shop):
    till = pair(client, shop.owner_headers)

    assert client.get(PULL, headers=till.headers).status_code == 200


def test_the_current_till_is_served(client, shop):
    till = pair(client, shop.owner_headers)

    response = client.get(PULL, headers={**till.headers, **protocol.till_headers()})

    assert response.status_code == 200


def test_the_store_api_without_the_header_is_served_and_with_a_bad_one_refused(client, shop):
    """Browsers and the owner's scripts send no version; a till's manager area does."""
    program = "/api/v1/store/loyalty/program"

    assert client.get(program, headers=shop.owner_headers).status_code == 200
    _refused(client.get(program, headers={**shop.owner_headers, protocol.HEADER: "0"}), 0)


def test_health_declares_the_range_the_server_speaks(client):
    body = client.get(HEALTH).json()

    assert (body["protocol_oldest"], body["protocol_newest"]) == (protocol.OLDEST, protocol.NEWEST)


def _ledger_rows(session_factory) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)
