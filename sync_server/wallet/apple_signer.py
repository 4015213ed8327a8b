"""Signs a pass's manifest with the merchant's pass certificate (detached PKCS#7).

The files are read once, when the app is made: a missing or unreadable certificate is
a one-line ConfigError at startup rather than a 500 when the first customer taps "Add to
Apple Wallet"."""

import logging
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from sync_server.config import ConfigError, Settings
from sync_server.wallet.ports import PassSigner

log = logging.getLogger(__name__)

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class CertificateSigner:
    pass_type_identifier: str
    team_identifier: str
    certificate: x509.Certificate
    key: SigningKey
    wwdr: x509.Certificate

    def sign(self, manifest: bytes) -> bytes:
        # cryptography adds the authenticated attributes (contentType, signingTime,
        # messageDigest) by default; Wallet rejects a signature without signingTime.
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(manifest)
            .add_signer(self.certificate, self.key, hashes.SHA256())
            .add_certificate(self.wwdr)
            .sign(
                serialization.Encoding.DER,
                [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
            )
        )


def signer_from_settings(settings: Settings) -> PassSigner | None:
    """The signer when Apple passes are configured (docs/wallets.md), else None."""
    files = {
        "apple_pass_cert_file": settings.apple_pass_cert_file,
        "apple_pass_key_file": settings.apple_pass_key_file,
        "apple_wwdr_cert_file": settings.apple_wwdr_cert_file,
    }
    ids = {
        "apple_pass_type_id": settings.apple_pass_type_id,
        "apple_team_id": settings.apple_team_id,
    }
    wanted = {**files, **ids}
    missing = sorted(name for name, value in wanted.items() if not value)
    if len(missing) == len(wanted):
        return None
    if missing:
        log.warning("Apple Wallet passes stay off: %s not set", ", ".join(missing))
        return None
    password = settings.apple_pass_key_password
    return load_signer(
        pass_type_id=str(settings.apple_pass_type_id),
        team_id=str(settings.apple_team_id),
        cert_file=Path(str(settings.apple_pass_cert_file)),
        key_file=Path(str(settings.apple_pass_key_file)),
        wwdr_file=Path(str(settings.apple_wwdr_cert_file)),
        key_password=password.get_secret_value().encode() if password else None,
    )


def load_signer(
    *,
    pass_type_id: str,
    team_id: str,
    cert_file: Path,
    key_file: Path,
    wwdr_file: Path,
    key_password: bytes | None = None,
) -> CertificateSigner:
    certificate = _certificate(cert_file, "apple_pass_cert_file")
    wwdr = _certificate(wwdr_file, "apple_wwdr_cert_file")
    key = _key(key_file, key_password)
    if certificate.public_key() != key.public_key():
        raise ConfigError(f"{key_file}: not the key of the certificate {cert_file}")
    uids = certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
    if uids and uids[0].value != pass_type_id:
        raise ConfigError(
            f"{cert_file}: a certificate for {uids[0].value!r}, "
            f"not apple_pass_type_id {pass_type_id!r}"
        )
    return CertificateSigner(pass_type_id, team_id, certificate, key, wwdr)


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from exc


def _certificate(path: Path, setting: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(_read(path, setting))
    except ValueError as exc:
        raise ConfigError(f"{setting}: {path} is not a PEM certificate") from exc


def _key(path: Path, password: bytes | None) -> SigningKey:
    data = _read(path, "apple_pass_key_file")
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        # Never the password or the key in the message: the reason only.
        raise ConfigError(
            f"apple_pass_key_file: {path} is not a PEM private key (or the password is wrong)"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ConfigError(f"apple_pass_key_file: {path} is neither an RSA nor an EC key")
    return key
