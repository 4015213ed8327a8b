"""The bodies of Google Wallet's LoyaltyClass and LoyaltyObject (walletobjects v1),
made from the program and what the pass shows (common/wallet_pass.py): pure, so the
object PATCHed, the object created and the one a save link carries are the same.

Ids are ``<issuer id>.<suffix>`` with only letters, digits, ``.``, ``_`` and ``-``; the
object's suffix is the pass's random serial, so the id says nothing about the card."""

from dataclasses import dataclass
from typing import Any

from common.wallet_pass import PassContent


@dataclass(frozen=True, slots=True)
class ClassLook:
    """What the program's class shows; the logo and colour only when configured."""

    issuer_name: str
    program_name: str
    logo_uri: str | None = None
    hex_background_color: str | None = None


def class_id(issuer_id: str, merchant_id: int) -> str:
    return f"{issuer_id}.loyalty-merchant-{merchant_id}"


def object_id(issuer_id: str, serial_number: str) -> str:
    return f"{issuer_id}.{serial_number}"


def loyalty_class(class_ref: str, look: ClassLook) -> dict[str, Any]:
    # UNDER_REVIEW: Google lets issuers use a class once it is submitted; DRAFT classes
    # cannot be saved by the public.
    body: dict[str, Any] = {
        "id": class_ref,
        "issuerName": look.issuer_name,
        "programName": look.program_name,
        "reviewStatus": "UNDER_REVIEW",
    }
    if look.logo_uri:
        body["programLogo"] = {
            "sourceUri": {"uri": look.logo_uri},
            "contentDescription": _text(look.program_name),
        }
    if look.hex_background_color:
        body["hexBackgroundColor"] = look.hex_background_color
    return body


def loyalty_object(object_ref: str, class_ref: str, content: PassContent) -> dict[str, Any]:
    """The card's object; its barcode is the card's signed QR payload, never a balance."""
    body: dict[str, Any] = {
        "id": object_ref,
        "classId": class_ref,
        "state": "ACTIVE" if content.is_active else "INACTIVE",
        "barcode": {
            "type": "QR_CODE",
            "value": content.barcode_message,
            "alternateText": content.card_number,
        },
        "textModulesData": [_next_reward_module(content.next_reward)],
    }
    primary, secondary = _balances(content)
    if primary is not None:
        body["loyaltyPoints"] = primary
    if secondary is not None:
        body["secondaryLoyaltyPoints"] = secondary
    return body


def _balances(content: PassContent) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Points first where the program has them (hybrid: stamps second), else stamps."""
    stamps = None
    if content.stamps is not None and content.stamps_target is not None:
        stamps = {
            "label": "Stamps",
            "balance": {"string": f"{content.stamps} / {content.stamps_target}"},
        }
    if content.points is not None:
        return {"label": "Points", "balance": {"int": content.points}}, stamps
    return stamps, None


def _next_reward_module(next_reward: str | None) -> dict[str, str]:
    # Always present (with a dash when nothing is ahead): a PATCH replaces the list, so
    # an emptied list would leave Google showing the old reward.
    return {"id": "next_reward", "header": "Next reward", "body": next_reward or "-"}


def _text(value: str) -> dict[str, Any]:
    return {"defaultValue": {"language": "en", "value": value}}
