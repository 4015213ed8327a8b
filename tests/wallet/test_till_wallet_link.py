"""The till's "Add to wallet" link: a paired till asks for a card's link and gets a
short-lived URL whose token names the card's pass; nothing else gets one."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from common import protocol
from sync_server.config import Settings
from sync_server.models import WalletPass
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.links import read_link_token
from tests.hostile.values import hostile_text
from tests.support.shop import make_shop
from tests.support.till import Till, pair
from tests.wallet.conftest import FakeSigner

SECRET = "test-wallet-secret-not-for-production"
BASE = "https://loyalty.example"
PROGRAM = "/api/v1/store/loyalty/program"
ENROLL = "/api/v1/store/loyalty/cards/enroll"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url, wallet_secret=SECRET, public_base_url=BASE, wallet_link_minutes=10
    )


def link_path(card_number: str) -> str:
    return f"/api/v1/sync/cards/{quote(card_number, safe='')}/wallet-link"


def ask(till: Till, card_number: str) -> Any:
    headers = till.headers | protocol.till_headers()
    return till.client.get(link_path(card_number), headers=headers)


def enroll(client: Any, owner_headers: dict[str, str], email: str) -> str:
    made = client.post(ENROLL, json={"email": email}, headers=owner_headers)
    assert made.status_code == 201, made.text
    return str(made.json()["card_number"])


def turn_wallets(client: Any, owner_headers: dict[str, str], *, apple: bool, google: bool) -> None:
    body = {"apple_wallet_enabled": apple, "google_wallet_enabled": google}
    assert client.put(PROGRAM, json=body, headers=owner_headers).status_code == 200


def pass_count(session_factory: Any) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(WalletPass)) or 0)


class UncalledGoogle:
    """A configured Google client; asking for a till's link never calls Google."""

    def upsert_class(self, class_id: str, body: Any) -> None:
        raise AssertionError("Google called")

    def create_object(self, object_id: str, body: Any) -> None:
        raise AssertionError("Google called")

    def patch_object(self, object_id: str, body: Any) -> None:
        raise AssertionError("Google called")


@pytest.fixture
def shop(app: Any, client: Any, session_factory: Any) -> Any:
    """A shop with Apple Wallet on, on a server where both wallets are configured."""
    app.state.wallet_edges = WalletEdges(signer=FakeSigner(), google=UncalledGoogle())
    made = make_shop(session_factory, "Wallets")
    turn_wallets(client, made.owner_headers, apple=True, google=False)
    return made


def test_a_paired_till_gets_a_link_whose_token_names_the_cards_pass(client, session_factory, shop):
    """Planted: the token made from the card id instead of the pass serial -> the token
    reads back to something no pass has; the expiry taken as now -> the token reads None."""
    till = pair(client, shop.owner_headers)
    number = enroll(client, shop.owner_headers, "ada@example.com")
    before = datetime.now(UTC)

    answer = ask(till, number)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["url"].startswith(f"{BASE}/wallet/add/")
    token = body["url"].removeprefix(f"{BASE}/wallet/add/")
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(minutes=9) < expires_at <= before + timedelta(minutes=10, seconds=1)
    serial = read_link_token(SECRET.encode(), token, datetime.now(UTC))
    with session_factory() as session:
        wallet_pass = session.scalars(select(WalletPass)).one()
        assert serial == wallet_pass.serial_number
    assert read_link_token(SECRET.encode(), token, expires_at) is None  # gone when it says


def test_asking_twice_reuses_the_cards_one_pass(client, session_factory, shop):
    """Planted: ensure_pass replaced by a fresh WalletPass each time -> the second request
    breaks the unique card_id (500) or makes a second pass."""
    till = pair(client, shop.owner_headers)
    number = enroll(client, shop.owner_headers, "ada@example.com")
    first, second = ask(till, number), ask(till, number)
    assert (first.status_code, second.status_code) == (200, 200)
    assert pass_count(session_factory) == 1


def test_another_merchants_card_is_unknown_like_any_unknown_card(client, session_factory, shop):
    """Planted: the card looked up by number across merchants -> 200 with a link."""
    other = make_shop(session_factory, "Elsewhere")
    turn_wallets(client, other.owner_headers, apple=True, google=True)
    theirs = enroll(client, other.owner_headers, "bob@example.com")
    till = pair(client, shop.owner_headers)

    for number in (theirs, "1000000000000009"):
        answer = ask(till, number)
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "CARD_NOT_FOUND"
    assert pass_count(session_factory) == 0


def test_wallets_off_for_the_program_is_a_stable_refusal(client, session_factory, shop):
    """Planted: the program's switches not checked -> 200 with a link."""
    turn_wallets(client, shop.owner_headers, apple=False, google=False)
    till = pair(client, shop.owner_headers)
    number = enroll(client, shop.owner_headers, "ada@example.com")

    answer = ask(till, number)

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "WALLETS_OFF"
    assert "owner" in answer.json()["message"]
    assert pass_count(session_factory) == 0


def test_one_wallet_on_is_enough(client, shop):
    """Planted: both switches required (and instead of or) -> 409 WALLETS_OFF."""
    turn_wallets(client, shop.owner_headers, apple=False, google=True)
    till = pair(client, shop.owner_headers)
    assert ask(till, enroll(client, shop.owner_headers, "ada@example.com")).status_code == 200


def test_a_server_without_a_wallet_secret_says_wallets_are_not_set_up(
    client, session_factory, shop, app
):
    """Planted: the secret not checked -> AttributeError on None, a 500."""
    app.state.settings = app.state.settings.model_copy(update={"wallet_secret": None})
    till = pair(client, shop.owner_headers)
    answer = ask(till, enroll(client, shop.owner_headers, "ada@example.com"))
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "WALLETS_NOT_SET_UP"
    assert pass_count(session_factory) == 0


@pytest.mark.parametrize(
    ("apple", "google", "edges"),
    [
        (True, False, WalletEdges(google=UncalledGoogle())),  # Apple on, no certificates
        (False, True, WalletEdges(signer=FakeSigner())),  # Google on, no service account
    ],
)
def test_a_wallet_on_but_not_configured_gives_no_dead_link(
    client, session_factory, shop, app, apple, google, edges
):
    """The customer's page would have nothing to offer. Planted: the edges not checked
    (only the switches) -> 200 with a link to a page that says it does not work."""
    app.state.wallet_edges = edges
    turn_wallets(client, shop.owner_headers, apple=apple, google=google)
    till = pair(client, shop.owner_headers)
    answer = ask(till, enroll(client, shop.owner_headers, "ada@example.com"))
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "WALLETS_NOT_SET_UP"
    assert "not set up" in answer.json()["message"]
    assert pass_count(session_factory) == 0


def test_only_a_paired_till_may_ask(client, session_factory, shop):
    """Planted: the route taking ActorDep instead of the till's dependency -> the owner
    gets 200; the revoked check is the shared token resolver's."""
    till = pair(client, shop.owner_headers)
    number = enroll(client, shop.owner_headers, "ada@example.com")

    as_owner = client.get(link_path(number), headers=shop.owner_headers)
    assert as_owner.status_code == 403
    assert as_owner.json()["code"] == "FORBIDDEN"
    assert client.get(link_path(number)).status_code == 401

    revoked = client.post(
        f"/api/v1/terminals/{till.terminal_id}/revoke", headers=shop.owner_headers
    )
    assert revoked.status_code == 200
    answer = ask(till, number)
    assert answer.status_code == 401
    assert answer.json()["code"] == "UNAUTHORIZED"
    assert pass_count(session_factory) == 0


def test_a_deactivated_card_gets_no_link(client, session_factory, shop):
    """Planted: is_active not checked -> 200 and a pass made for a closed card."""
    till = pair(client, shop.owner_headers)
    made = client.post(ENROLL, json={"email": "ada@example.com"}, headers=shop.owner_headers)
    card = made.json()
    closed = client.post(
        f"/api/v1/store/loyalty/cards/{card['id']}/deactivate",
        json={"staff_pin": shop.pin},
        headers=shop.owner_headers,
    )
    assert closed.status_code == 200, closed.text
    answer = ask(till, card["card_number"])
    assert (answer.status_code, answer.json()["code"]) == (409, "CARD_INACTIVE")
    assert pass_count(session_factory) == 0


hostile_numbers = st.one_of(
    hostile_text(),
    st.integers(min_value=2**63 - 2, max_value=2**70).map(str),
    st.sampled_from(["\x00", "\ud800", "9" * 33, "-1", "0", str(2**63), str(2**64)]),
)


def test_hostile_card_numbers_never_answer_5xx_nor_make_a_pass(client, session_factory, shop):
    """Planted: the path's max_length removed and the number cast to int for a lookup
    (BigInteger) -> 2^63 overflows on PostgreSQL; a surrogate reaching the driver -> 500."""
    till = pair(client, shop.owner_headers)

    @hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(number=hostile_numbers)
    def probe(number: str) -> None:
        encoded = quote(number.encode("utf-8", "surrogatepass"), safe="")
        if not encoded:
            return
        answer = till.client.get(
            f"/api/v1/sync/cards/{encoded}/wallet-link",
            headers=till.headers | protocol.till_headers(),
        )
        assert answer.status_code < 500, (number, answer.text)
        if answer.status_code != 200:
            assert answer.json()["code"] in {"CARD_NOT_FOUND", "VALIDATION_ERROR", "NOT_FOUND"}

    probe()
    assert pass_count(session_factory) == 0


def test_the_link_opens_the_customers_add_to_wallet_page(client, shop):
    """The till's link and the customer's page meet: the path after the public address
    is served here, and offers the pass. Planted: the link made under /wallet/link/ ->
    404; the signer not required (edges unchecked) with no signer -> the page's 404."""
    till = pair(client, shop.owner_headers)
    url = ask(till, enroll(client, shop.owner_headers, "ada@example.com")).json()["url"]
    page = client.get(url.removeprefix(BASE))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
