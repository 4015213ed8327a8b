"""A local stand-in for Apple's push service: a real HTTP/2 server over TLS on loopback.

TLS rather than cleartext HTTP/2 (h2c): httpx negotiates HTTP/2 only through TLS's ALPN,
as it does with api.push.apple.com, so the production sender runs here unchanged. The
certificate is made per test run (``make_tls``); the sender trusts it through the
client context. Each request is recorded (path, headers, body) and answered with the
status the test set for its device token (200 unless told otherwise; 410 with Apple's
``Unregistered`` reason).
"""

import contextlib
import ipaddress
import json
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType

import h2.config
import h2.connection
import h2.events
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_REASONS = {410: "Unregistered", 400: "BadDeviceToken", 403: "InvalidProviderToken"}


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def device_token(self) -> str:
        return self.path.removeprefix("/3/device/")


@dataclass
class Tls:
    server: ssl.SSLContext
    client: ssl.SSLContext


def make_tls() -> Tls:
    """A CA and a certificate for 127.0.0.1 signed by it (P-256: quick to make)."""
    now = datetime.now(UTC)
    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "APNs stand-in test CA")])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), ca_key, now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    leaf = (
        _builder(leaf_name, ca_name, leaf_key.public_key(), ca_key, now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.set_alpn_protocols(["h2"])
    chain = leaf.public_bytes(serialization.Encoding.PEM)
    key = leaf_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _load_chain(server, chain, key)
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return Tls(server=server, client=client)


@dataclass
class ApnsStandIn:
    tls: Tls
    statuses: dict[str, int] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    _listener: socket.socket | None = None
    _open: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> "ApnsStandIn":
        """Listens (again, on the same port after a stop) and serves in threads."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the listener and every open connection closed (a client gets errors)."""
        if self._listener is not None:
            _close(self._listener)  # shutdown wakes the thread blocked in accept()
            self._listener = None
        with self._lock:
            for conn in self._open:
                _close(conn)
            self._open.clear()

    def pushes_to(self, device_token: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.device_token == device_token]

    def __enter__(self) -> "ApnsStandIn":
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:  # closed by stop()
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            conn = self.tls.server.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            _close(raw)
            return
        with self._lock:
            self._open.append(conn)
        h2conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        h2conn.initiate_connection()
        streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        try:
            conn.sendall(h2conn.data_to_send())
            while data := conn.recv(65535):
                for event in h2conn.receive_data(data):
                    self._on_event(h2conn, event, streams)
                conn.sendall(h2conn.data_to_send())
        except (OSError, ssl.SSLError):
            pass  # the client went away, or stop() closed the socket
        finally:
            _close(conn)

    def _on_event(
        self,
        h2conn: h2.connection.H2Connection,
        event: h2.events.Event,
        streams: dict[int, tuple[dict[str, str], bytearray]],
    ) -> None:
        if isinstance(event, h2.events.RequestReceived):
            headers = {_text(k): _text(v) for k, v in event.headers or []}
            streams[event.stream_id] = (headers, bytearray())
        elif isinstance(event, h2.events.DataReceived):
            streams[event.stream_id][1].extend(event.data or b"")
            h2conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            headers, body = streams.pop(event.stream_id)
            recorded = Recorded(headers.get(":path", ""), headers, bytes(body))
            with self._lock:
                self.requests.append(recorded)
            self._answer(h2conn, event.stream_id, self.statuses.get(recorded.device_token, 200))

    @staticmethod
    def _answer(h2conn: h2.connection.H2Connection, stream_id: int, status: int) -> None:
        answer = [(":status", str(status)), ("apns-id", str(uuid.uuid4()))]
        if status == 200:
            h2conn.send_headers(stream_id, answer, end_stream=True)
            return
        body = json.dumps({"reason": _REASONS.get(status, "InternalServerError")}).encode()
        h2conn.send_headers(stream_id, [*answer, ("content-type", "application/json")])
        h2conn.send_data(stream_id, body, end_stream=True)


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    now: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _load_chain(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """ssl loads a chain from files only: written to a private temporary directory."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as directory:
        cert, key = Path(directory, "cert.pem"), Path(directory, "key.pem")
        cert.write_bytes(cert_pem)
        key.write_bytes(key_pem)
        context.load_cert_chain(cert, key)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _close(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not connected, or already shut
        conn.shutdown(socket.SHUT_RDWR)
    conn.close()
