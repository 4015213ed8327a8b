"""The production APNs sender: what it sends Apple (HTTP/2, topic, an empty payload, a
provider token APNs accepts), checked at the local HTTP/2 stand-in."""

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_server.config import Settings
from sync_server.wallet.apns import ApnsTokenAuth, HttpApnsSender, sender_from_settings
from tests.wallet.apns_standin import ApnsStandIn, make_tls
from tests.wallet.conftest import PASS_TYPE_ID, TEAM_ID

KEY_ID = "ABC123DEFG"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def apns() -> Iterator[ApnsStandIn]:
    with ApnsStandIn(make_tls(), statuses={"left-the-wallet": 410}) as standin:
        yield standin


def _decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _verify(token: str, public_key: ec.EllipticCurvePublicKey) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """Header and claims of an ES256 JWT whose signature verifies with ``public_key``."""
    header, claims, signature = token.split(".")
    raw = _decode(signature)
    assert len(raw) == 64  # JWS: r || s, not DER
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(_decode(header)), json.loads(_decode(claims))


def test_the_provider_token_is_the_es256_jwt_apns_expects_and_verifies_with_the_key():
    """Planted: the signature left in DER -> 64-byte check fails; the key id put in the
    claims instead of the header -> fails."""
    key = ec.generate_private_key(ec.SECP256R1())
    token = ApnsTokenAuth(key, KEY_ID, TEAM_ID, clock=Clock()).token()

    header, claims = _verify(token, key.public_key())

    assert header == {"alg": "ES256", "kid": KEY_ID}
    assert claims == {"iss": TEAM_ID, "iat": int(T0.timestamp())}


def test_the_token_is_reused_for_50_minutes_then_renewed_before_the_hour():
    """APNs refuses tokens renewed more than every 20 minutes and older than an hour.
    Planted: renewed at every push -> the second token differs; never renewed -> the
    token after 50 minutes is the first."""
    key, clock = ec.generate_private_key(ec.SECP256R1()), Clock()
    auth = ApnsTokenAuth(key, KEY_ID, TEAM_ID, clock=clock)
    first = auth.token()
    clock.now = T0 + timedelta(minutes=49)
    same = auth.token()
    clock.now = T0 + timedelta(minutes=50)
    renewed = auth.token()

    assert same == first
    assert renewed != first
    assert _verify(renewed, key.public_key())[1]["iat"] == int(clock.now.timestamp())


def test_a_pass_update_is_an_empty_background_push_over_http2_to_the_device(apns):
    """Planted: apns-topic from the wrong value (team id) -> fails; a JSON body other
    than {} -> fails; http2=False -> the stand-in (h2 only) never records it."""
    key = ec.generate_private_key(ec.SECP256R1())
    sender = HttpApnsSender(apns.url, ApnsTokenAuth(key, KEY_ID, TEAM_ID), verify=apns.tls.client)

    status = sender.send_empty("a1b2c3", PASS_TYPE_ID)

    [request] = apns.pushes_to("a1b2c3")
    assert status == 200
    assert (request.headers[":method"], request.headers[":scheme"]) == ("POST", "https")
    assert request.path == "/3/device/a1b2c3"
    assert request.headers["apns-topic"] == PASS_TYPE_ID
    assert request.headers["apns-push-type"] == "background"
    assert request.headers["apns-priority"] == "5"
    assert request.body == b"{}"
    scheme, token = request.headers["authorization"].split(" ")
    assert scheme == "bearer"
    assert _verify(token, key.public_key())[0]["kid"] == KEY_ID
    sender.close()


def test_a_device_that_left_answers_410_and_an_unreachable_apns_raises(apns):
    """The worker drops the registration on 410 and keeps the push owed on OSError."""
    sender = HttpApnsSender(apns.url, None, verify=apns.tls.client)
    assert sender.send_empty("left-the-wallet", PASS_TYPE_ID) == 410
    nowhere = HttpApnsSender("https://127.0.0.1:9", None, verify=apns.tls.client, timeout_s=5)
    with pytest.raises(OSError):
        nowhere.send_empty("a1b2c3", PASS_TYPE_ID)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=st.text(min_size=1, max_size=80))
def test_a_hostile_push_token_stays_one_path_segment(apns, token):
    """A device registers any token it likes: '/', '?', '#', '..', NUL or a lone
    surrogate must neither reach another path nor crash the sender.
    Planted: the token put in the path unquoted -> another path, or an error."""
    sender = HttpApnsSender(apns.url, None, verify=apns.tls.client)
    before = len(apns.requests)

    assert sender.send_empty(token, PASS_TYPE_ID) == 200

    [request] = apns.requests[before:]
    segment = request.path.removeprefix("/3/device/")
    assert not set("/?#") & set(segment)
    assert unquote(segment, errors="surrogatepass") == token
    sender.close()


def test_the_sender_is_made_from_settings_only_when_apple_is_configured(tmp_path: Path):
    """Planted: the key id check dropped -> a sender without a usable token."""
    key = ec.generate_private_key(ec.SECP256R1())
    p8 = tmp_path / "AuthKey.p8"
    p8.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    configured = dict(apple_pass_type_id=PASS_TYPE_ID, apple_team_id=TEAM_ID)

    assert sender_from_settings(Settings()) is None
    assert sender_from_settings(Settings(**configured, apple_apns_key_file=p8)) is None
    made = sender_from_settings(
        Settings(**configured, apple_apns_key_file=p8, apple_apns_key_id=KEY_ID)
    )
    assert isinstance(made, HttpApnsSender)


def test_a_key_file_that_is_not_an_apns_key_is_refused_at_start(tmp_path: Path):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p8 = tmp_path / "AuthKey.p8"
    p8.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="not an APNs key"):
        sender_from_settings(
            Settings(
                apple_pass_type_id=PASS_TYPE_ID,
                apple_team_id=TEAM_ID,
                apple_apns_key_file=p8,
                apple_apns_key_id=KEY_ID,
            )
        )
