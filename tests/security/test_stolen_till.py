"""A stolen till: whoever copies its data dir (database, WAL, shared memory, any other
file) but not the OS keyring learns nothing about the merchant's customers, nor the
merchant's QR signing key; with the key, a till opens the copy as it was
(docs/security.md, "A stolen till PC")."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import text

from desktop.engine import cache_key
from desktop.engine.terminal import Terminal, keyring_account
from desktop.engine.till import Confirmed
from desktop.engine.tokens import MemoryTokens
from tests.store_api.conftest import API

BASE = "https://testserver"
CUSTOMERS = [
    ("amelie.durand@exemple.fr", "Amélie Durand", "+33612345678"),
    ("bob.marchetti@example.com", "Roberto Marchetti", "+33698765432"),
    ("chloe.nguyen@example.org", "Chloé Nguyen", "0611223344"),
]
AT_THE_TILL = [  # enrolled while the till is offline: they sit in the outbox
    ("dominique.lefevre@exemple.fr", "Dominique Lefèvre", "+33755501234"),
    ("etienne.okafor@example.net", "Étienne Okafor", "0788990011"),
]


class Network(httpx.BaseTransport):
    """The shop's connection, which the test can cut."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.up = inner, True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("network down", request=request)
        return self.inner.handle_request(request)


def _needles(qr_key: str) -> dict[str, bytes]:
    """Every personal value (each name also word by word, 4 chars and up) and the QR
    key, in UTF-8 and UTF-16 both ways; the key also as its raw bytes."""
    words: set[str] = set()
    for email, name, phone in CUSTOMERS + AT_THE_TILL:
        words |= {email, name, phone, email.split("@")[0]}
        words |= {part for part in name.split() if len(part) >= 4}
    found = {}
    for word in words | {qr_key}:
        for codec in ("utf-8", "utf-16-le", "utf-16-be"):
            found[f"{word!r} ({codec})"] = word.encode(codec)
    found["QR key (raw bytes)"] = bytes.fromhex(qr_key)
    return found


def _every_byte(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


def _cards(terminal: Terminal) -> list[tuple[str, str]]:
    with terminal.store.reading() as conn:
        rows = conn.execute(text("SELECT card_number, state FROM cards ORDER BY card_number"))
        return [(r[0], r[1]) for r in rows]


def test_a_copy_of_the_data_dir_without_the_keyring_reveals_no_customer(
    client, a, tmp_path, file_keyring
):
    """Planted: the Terminal opening its store without a key (encryption off): the
    emails, names and phones are found in till.db / till.db-wal and the test fails."""
    for email, name, phone in CUSTOMERS:
        made = client.post(
            f"{API}/cards/enroll",
            json={"email": email, "customer_name": name, "customer_phone": phone},
            headers=a.owner,
        )
        assert made.status_code == 201, made.text
    network = Network(client._transport)
    data_dir = tmp_path / "till"
    terminal = Terminal(data_dir, transport=network)  # token and key: the OS keyring
    try:
        code = client.post("/api/v1/terminals/pairing-codes", headers=a.owner).json()["code"]
        terminal.client.pair(BASE, code, "Front")
        assert terminal.client.sync_once().online
        network.up = False
        assert terminal.client.sync_once().online is False
        for email, name, phone in AT_THE_TILL:
            assert isinstance(terminal.till.enroll(email, name, phone, a.pins[0]), Confirmed)
        assert len(terminal.store.entries()) == len(AT_THE_TILL)
        qr_key = terminal.store.get_meta("qr_key")
        assert qr_key
        cards = _cards(terminal)
        assert len(cards) >= len(CUSTOMERS) + len(a.cards)

        stolen = tmp_path / "stolen"  # taken as it is, the till running (WAL and all)
        shutil.copytree(data_dir, stolen)
    finally:
        terminal.close()

    files = dict(_every_byte(stolen))
    assert {p.name for p in files} >= {"till.db", "till.db-wal"}
    leaks = [
        f"{what} in {path.name}"
        for path, content in files.items()
        for what, needle in _needles(qr_key).items()
        if needle in content
    ]
    assert leaks == []

    # With the key (from the till's keyring entry), the copy opens as it was.
    kept = cache_key.key_store(data_dir, keyring_account(data_dir))
    opened = Terminal(stolen, tokens=MemoryTokens(), cache_keys=kept)
    try:
        assert _cards(opened) == cards
        assert [e.op.customer.email for e in opened.store.entries()] == [
            email for email, _, _ in AT_THE_TILL
        ]
    finally:
        opened.close()
