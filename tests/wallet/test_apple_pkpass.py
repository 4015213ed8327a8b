"""A card's .pkpass is what Wallet accepts: the zip layout, a manifest that hashes every
file and nothing else, a detached PKCS#7 signature that openssl verifies against a chain
made here (root -> WWDR-like intermediate -> pass certificate), with signingTime, and a
pass.json that shows the server's balance while its QR carries only the card's payload."""

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from common.wallet_pass import PassContent
from sync_server.config import ConfigError, Settings
from sync_server.wallet.apple_pass import build_pkpass
from sync_server.wallet.apple_signer import load_signer, signer_from_settings
from tests.conftest import IN_CI
from tests.wallet.conftest import AppleChain, FakeSigner

CONTENT = PassContent(
    serial_number="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    program_name="Café Lumière",
    card_number="4821 0093 1175",
    barcode_message="LC1:4821009311750:Zx9-signed",
    is_active=True,
    stamps=3,
    stamps_target=10,
    points=42,
    next_reward="Free coffee in 7 stamps",
)
REQUIRED = {"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png", "logo.png"}


def _build(signer: object, content: PassContent = CONTENT) -> bytes:
    return build_pkpass(
        content,
        signer,  # type: ignore[arg-type]
        web_service_url="https://loyalty.example.test/wallet/apple",
        auth_token="a" * 64,
        organization_name="Lumière SARL",
    )


def _files(pkpass: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(pkpass)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _signer(chain: AppleChain):  # type: ignore[no-untyped-def]
    return load_signer(
        pass_type_id=chain.pass_type_id,
        team_id=chain.team_id,
        cert_file=chain.pass_cert_pem,
        key_file=chain.pass_key_pem,
        wwdr_file=chain.wwdr_pem,
    )


def _verify(
    chain: AppleChain, directory: Path, files: dict[str, bytes], *, wwdr_given: bool = True
) -> subprocess.CompletedProcess[str]:
    for name, data in files.items():
        (directory / name).write_bytes(data)
    certfile = ["-certfile", str(chain.wwdr_pem)] if wwdr_given else []
    return subprocess.run(
        [
            "openssl", "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(directory / "signature"),
            "-content", str(directory / "manifest.json"),
            "-CAfile", str(chain.root_pem),
            *certfile,
            "-purpose", "any",
            "-out", str(directory / "verified"),
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


# Without the binary these skip, except under CI=true, where they must run (as the
# PostgreSQL tests): CI cannot pass without the signature ever being verified.
needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None and not IN_CI, reason="no openssl binary"
)


def test_the_zip_holds_the_pass_its_images_manifest_and_signature_at_the_root() -> None:
    files = _files(_build(FakeSigner()))

    assert set(files) == REQUIRED
    for image in ("icon.png", "icon@2x.png", "logo.png"):
        assert files[image].startswith(b"\x89PNG\r\n\x1a\n")


def test_the_manifest_hashes_every_file_with_sha1_and_names_nothing_else() -> None:
    files = _files(_build(FakeSigner()))
    manifest = json.loads(files["manifest.json"])

    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name]).hexdigest() == digest, name


def test_the_signature_is_made_over_the_manifest_as_shipped() -> None:
    files = _files(_build(FakeSigner()))

    assert files["signature"] == FakeSigner().sign(files["manifest.json"])


@needs_openssl
def test_openssl_verifies_the_signature_against_the_test_chain(
    apple_chain: AppleChain, tmp_path: Path
) -> None:
    files = _files(_build(_signer(apple_chain)))

    verified = _verify(apple_chain, tmp_path, files)

    assert verified.returncode == 0, verified.stderr
    assert (tmp_path / "verified").read_bytes() == files["manifest.json"]


@needs_openssl
def test_openssl_refuses_the_signature_when_the_manifest_was_altered(
    apple_chain: AppleChain, tmp_path: Path
) -> None:
    files = _files(_build(_signer(apple_chain)))
    manifest = json.loads(files["manifest.json"])
    manifest["pass.json"] = "0" * 40
    files["manifest.json"] = json.dumps(manifest).encode()

    verified = _verify(apple_chain, tmp_path, files)

    assert verified.returncode != 0
    assert "verification failure" in verified.stderr.lower()


@needs_openssl
def test_the_signature_carries_the_intermediate_so_the_root_alone_verifies_it(
    apple_chain: AppleChain, tmp_path: Path
) -> None:
    files = _files(_build(_signer(apple_chain)))

    verified = _verify(apple_chain, tmp_path, files, wwdr_given=False)

    assert verified.returncode == 0, verified.stderr


@needs_openssl
def test_the_signature_is_detached_sha256_and_carries_signing_time(
    apple_chain: AppleChain, tmp_path: Path
) -> None:
    (tmp_path / "signature").write_bytes(_files(_build(_signer(apple_chain)))["signature"])
    printed = subprocess.run(
        ["openssl", "cms", "-cmsout", "-print", "-inform", "DER",
         "-in", str(tmp_path / "signature")],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    signed_attributes = printed.split("signedAttrs:")[1].split("signatureAlgorithm:")[0]

    assert "signingTime" in signed_attributes
    assert "sha256" in printed.lower()
    assert "eContent: <ABSENT>" in printed  # detached: the manifest is not inside


def test_pass_json_is_a_store_card_showing_the_balance() -> None:
    document = json.loads(_files(_build(FakeSigner()))["pass.json"])
    card = document["storeCard"]
    values = {f["key"]: f["value"] for part in card.values() for f in part}

    assert document["formatVersion"] == 1
    assert document["passTypeIdentifier"] == FakeSigner().pass_type_identifier
    assert document["teamIdentifier"] == FakeSigner().team_identifier
    assert document["serialNumber"] == CONTENT.serial_number
    assert document["organizationName"] == "Lumière SARL"
    assert document["logoText"] == "Café Lumière"
    assert document["webServiceURL"] == "https://loyalty.example.test/wallet/apple"
    assert document["authenticationToken"] == "a" * 64
    assert values["stamps"] == "3 of 10"
    assert values["points"] == 42
    assert values["next"] == "Free coffee in 7 stamps"
    assert "voided" not in document


def test_the_qr_carries_the_card_payload_and_never_a_balance() -> None:
    document = json.loads(_files(_build(FakeSigner()))["pass.json"])

    assert document["barcodes"] == [
        {
            "format": "PKBarcodeFormatQR",
            "message": CONTENT.barcode_message,
            "messageEncoding": "iso-8859-1",
            "altText": CONTENT.card_number,
        }
    ]


def test_a_deactivated_card_gives_a_voided_pass() -> None:
    inactive = replace(CONTENT, is_active=False)
    document = json.loads(_files(_build(FakeSigner(), inactive))["pass.json"])

    assert document["voided"] is True


def test_a_points_only_program_shows_points_without_stamps() -> None:
    points_only = PassContent(
        serial_number="s1",
        program_name="P",
        card_number="1",
        barcode_message="q",
        is_active=True,
        stamps=None,
        stamps_target=None,
        points=120,
        next_reward="Cake at 150 points",
    )
    card = json.loads(_files(_build(FakeSigner(), points_only))["pass.json"])["storeCard"]

    assert [f["key"] for f in card["primaryFields"]] == ["points"]
    assert all(f["key"] != "stamps" for part in card.values() for f in part)


# --- the signer from settings -------------------------------------------------------


def _apple_settings(chain: AppleChain, **changes: object) -> Settings:
    values: dict[str, object] = {
        "apple_pass_type_id": chain.pass_type_id,
        "apple_team_id": chain.team_id,
        "apple_pass_cert_file": chain.pass_cert_pem,
        "apple_pass_key_file": chain.pass_key_pem,
        "apple_wwdr_cert_file": chain.wwdr_pem,
    }
    return Settings(**(values | changes))  # type: ignore[arg-type]


def test_no_apple_settings_means_no_signer() -> None:
    assert signer_from_settings(Settings()) is None


def test_complete_apple_settings_give_a_signer_for_the_pass_type(apple_chain: AppleChain) -> None:
    signer = signer_from_settings(_apple_settings(apple_chain))

    assert signer is not None
    assert signer.pass_type_identifier == apple_chain.pass_type_id
    assert signer.team_identifier == apple_chain.team_id


def test_a_missing_certificate_file_is_a_one_line_config_error(
    apple_chain: AppleChain, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.pem"

    with pytest.raises(ConfigError) as refused:
        signer_from_settings(_apple_settings(apple_chain, apple_pass_cert_file=missing))

    assert "apple_pass_cert_file" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_file_that_is_not_a_key_is_a_config_error_that_quotes_nothing_of_it(
    apple_chain: AppleChain, tmp_path: Path
) -> None:
    garbage = tmp_path / "key.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNodWg=\n-----END PRIVATE KEY-----\n")

    with pytest.raises(ConfigError) as refused:
        signer_from_settings(_apple_settings(apple_chain, apple_pass_key_file=garbage))

    assert "apple_pass_key_file" in str(refused.value)
    assert "c2VjcmV0" not in str(refused.value)


def test_a_certificate_of_another_pass_type_is_a_config_error(apple_chain: AppleChain) -> None:
    with pytest.raises(ConfigError, match="apple_pass_type_id"):
        signer_from_settings(_apple_settings(apple_chain, apple_pass_type_id="pass.other.id"))


def test_the_app_refuses_to_start_on_an_unreadable_certificate(
    apple_chain: AppleChain, tmp_path: Path
) -> None:
    from sync_server.main import create_app

    with pytest.raises(ConfigError):
        create_app(
            _apple_settings(
                apple_chain,
                apple_wwdr_cert_file=tmp_path / "gone.pem",
                database_url=f"sqlite:///{tmp_path / 'unused.db'}",
            )
        )
