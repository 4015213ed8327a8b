"""OpenAPI links: which answer feeds which next call (the card an enrollment opened, the
PIN just created, the pairing code just issued), so a client, and schemathesis's stateful
phase, can chain calls the way a shop does."""

from typing import Any

STORE = "/api/v1/store/loyalty"
CARD = f"{STORE}/cards/{{card_id}}"
PIN = f"{STORE}/pins/{{pin_id}}"


def _ref(method: str, path: str) -> str:
    """A JSON pointer to an operation of this document."""
    return f"#/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}"


def _to(method: str, path: str, **parameters: str) -> dict[str, Any]:
    return {"operationRef": _ref(method, path), "parameters": parameters}


def _with_body(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"operationRef": _ref(method, path), "requestBody": body}


def links(status: int, **targets: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """``responses`` entry: the success answer of a route, with its links."""
    return {status: {"links": targets}}


def _card_links(card_id: str) -> dict[str, dict[str, Any]]:
    return {
        "GetCard": _to("get", CARD, card_id=card_id),
        "CardTransactions": _to("get", f"{CARD}/transactions", card_id=card_id),
        "AdjustPoints": _to("post", f"{CARD}/points/adjust", card_id=card_id),
        "DeactivateCard": _to("post", f"{CARD}/deactivate", card_id=card_id),
        "ReactivateCard": _to("post", f"{CARD}/reactivate", card_id=card_id),
        "AddStamp": _with_body("post", f"{STORE}/stamp", {"card_id": card_id}),
        "EarnPoints": _with_body(
            "post", f"{STORE}/points/earn", {"card_id": card_id, "purchase_amount_cents": 1000}
        ),
    }


ENROLLED = links(201, **_card_links("$response.body#/id"))
LISTED_CARDS = links(200, **_card_links("$response.body#/cards/0/id"))
OPERATED = links(200, **_card_links("$response.body#/card_id"))
PIN_CREATED = links(
    201,
    UpdatePin=_to("patch", PIN, pin_id="$response.body#/id"),
    UnlockPin=_to("post", f"{PIN}/unlock", pin_id="$response.body#/id"),
    DeletePin=_to("delete", PIN, pin_id="$response.body#/id"),
)
CODE_ISSUED = links(
    201, PairTill=_with_body("post", "/api/v1/sync/pair", {"code": "$response.body#/code"})
)
PAIRED = links(
    200,
    RevokeTill=_to(
        "post", "/api/v1/terminals/{terminal_id}/revoke", terminal_id="$response.body#/terminal_id"
    ),
)
ATTENTION = links(
    200,
    Acknowledge=_to(
        "post",
        "/api/v1/terminals/attention/{item_id}/acknowledge",
        item_id="$response.body#/items/0/id",
    ),
    Resolve=_to(
        "post",
        "/api/v1/terminals/attention/{item_id}/resolve",
        item_id="$response.body#/items/0/id",
    ),
)
