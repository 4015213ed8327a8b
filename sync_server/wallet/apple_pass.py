"""A card's Apple Wallet pass (.pkpass): pass.json, images, manifest.json, signature.

The pass shows the server's reconciled balance; its QR carries the card's signed payload,
never a balance (common/wallet_pass.py). Its webServiceURL and authenticationToken let
the phone fetch a newer pass when the worker says it changed."""

import hashlib
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

from common.wallet_pass import PassContent
from sync_server.wallet.ports import PassSigner

# Wallet's three colours; the merchant's branding can come later.
FOREGROUND = "rgb(255, 255, 255)"
BACKGROUND = "rgb(60, 42, 33)"
LABEL = "rgb(231, 200, 160)"
_RGB = (60, 42, 33)
_ACCENT = (231, 200, 160)
# Apple's sizes in points; @2x doubles them.
_IMAGES = {"icon.png": (29, 29), "icon@2x.png": (58, 58), "logo.png": (160, 50)}


def build_pkpass(
    content: PassContent,
    signer: PassSigner,
    *,
    web_service_url: str,
    auth_token: str,
    organization_name: str,
    images: Mapping[str, bytes] | None = None,
) -> bytes:
    """The zipped pass; ``images`` (name -> PNG) replace the generated ones."""
    files: dict[str, bytes] = {name: placeholder_png(*size) for name, size in _IMAGES.items()}
    files.update(images or {})
    document = pass_json(
        content,
        pass_type_id=signer.pass_type_identifier,
        team_id=signer.team_identifier,
        web_service_url=web_service_url,
        auth_token=auth_token,
        organization_name=organization_name,
    )
    files["pass.json"] = json.dumps(document, ensure_ascii=False, indent=1).encode()
    manifest = json.dumps(
        {name: hashlib.sha1(data).hexdigest() for name, data in sorted(files.items())},  # noqa: S324 - Apple's manifest is SHA-1
        indent=1,
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest)
        archive.writestr("signature", signer.sign(manifest))
    return out.getvalue()


def pass_json(
    content: PassContent,
    *,
    pass_type_id: str,
    team_id: str,
    web_service_url: str,
    auth_token: str,
    organization_name: str,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": pass_type_id,
        "teamIdentifier": team_id,
        "serialNumber": content.serial_number,
        "organizationName": organization_name,
        "description": f"{content.program_name} loyalty card",
        "logoText": content.program_name,
        "foregroundColor": FOREGROUND,
        "backgroundColor": BACKGROUND,
        "labelColor": LABEL,
        "webServiceURL": web_service_url,
        "authenticationToken": auth_token,
        "sharingProhibited": True,
        "barcodes": [
            {
                "format": "PKBarcodeFormatQR",
                "message": content.barcode_message,
                "messageEncoding": "iso-8859-1",
                "altText": content.card_number,
            }
        ],
        "storeCard": _store_card(content),
    }
    if not content.is_active:
        document["voided"] = True
    return document


def _store_card(content: PassContent) -> dict[str, list[dict[str, Any]]]:
    primary: list[dict[str, Any]] = []
    secondary: list[dict[str, Any]] = []
    if content.stamps is not None and content.stamps_target is not None:
        primary.append(
            _field("stamps", "Stamps", f"{content.stamps} of {content.stamps_target}", "Stamps: %@")
        )
    if content.points is not None:
        points = _field("points", "Points", content.points, "You now have %@ points")
        (secondary if primary else primary).append(points)
    if content.next_reward:
        secondary.append(_field("next", "Next reward", content.next_reward, "%@"))
    if not content.is_active:
        secondary.append(_field("status", "Card", "Deactivated"))
    back = [
        _field("card", "Card number", content.card_number),
        _field(
            "about",
            "About this card",
            "The balance shown is the shop's, updated after each visit. "
            "Show the code at the till to collect or redeem.",
        ),
    ]
    return {
        "headerFields": [],
        "primaryFields": primary,
        "secondaryFields": secondary,
        "auxiliaryFields": [],
        "backFields": back,
    }


def _field(key: str, label: str, value: str | int, change: str | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {"key": key, "label": label, "value": value}
    if change:
        made["changeMessage"] = change  # the lock-screen note when the value changes
    return made


def placeholder_png(width: int, height: int) -> bytes:
    """A plain PNG made with zlib: the program's colour with a lighter band, enough for
    Wallet to accept the pass until a merchant supplies its own logo."""
    band = range(height * 2 // 5, height * 3 // 5)
    rows = b"".join(b"\x00" + bytes(_ACCENT if y in band else _RGB) * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
