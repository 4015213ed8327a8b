"""A self-made Apple-like certificate chain (root -> WWDR-like intermediate -> pass
certificate), for the tests and the demo: passes signed with it verify with
``openssl cms`` against its root, and no iPhone accepts them (only Apple's root makes a
pass a phone takes). Keys are RSA-2048, certificates last 30 days."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class AppleChain:
    """The PEM files of a chain, named like the settings that take them."""

    root_pem: Path
    wwdr_pem: Path
    pass_cert_pem: Path
    pass_key_pem: Path
    pass_type_id: str
    team_id: str


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def make_apple_chain(directory: Path, pass_type_id: str, team_id: str) -> AppleChain:
    root_key, wwdr_key, pass_key = _key(), _key(), _key()
    root_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "Self-made Root CA (not Apple)")]
    )
    wwdr_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Self-made Worldwide Developer Relations CA"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "G4"),
        ]
    )
    pass_name = x509.Name(
        [
            x509.NameAttribute(NameOID.USER_ID, pass_type_id),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_id}"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, team_id),
        ]
    )
    root = _cert(root_name, root_key, root_name, root_key, ca=True)
    wwdr = _cert(wwdr_name, wwdr_key, root_name, root_key, ca=True)
    leaf = _cert(pass_name, pass_key, wwdr_name, wwdr_key, ca=False)
    files = {
        "root.pem": root.public_bytes(serialization.Encoding.PEM),
        "wwdr.pem": wwdr.public_bytes(serialization.Encoding.PEM),
        "pass-cert.pem": leaf.public_bytes(serialization.Encoding.PEM),
        "pass-key.pem": pass_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    }
    for name, data in files.items():
        path = directory / name
        path.touch(mode=0o600)  # the key: readable by its owner only
        path.write_bytes(data)
    return AppleChain(
        root_pem=directory / "root.pem",
        wwdr_pem=directory / "wwdr.pem",
        pass_cert_pem=directory / "pass-cert.pem",
        pass_key_pem=directory / "pass-key.pem",
        pass_type_id=pass_type_id,
        team_id=team_id,
    )
