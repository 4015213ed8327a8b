"""The customer's side of Add to wallet: a short-lived signed link from the till's QR opens
a page offering the Apple pass and the Google save link.

Pages for a phone's browser: the link's token is in the URL, so the pages are never
cached and send no Referer to the wallets they link to. A refusal is a plain HTML page
for a browser and the API's JSON error for any other client, both with the same code."""

from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from sync_server.api.deps import NowDep, SessionDep, SettingsDep, WalletEdgesDep
from sync_server.api.errors import error_body
from sync_server.wallet import apple_download
from sync_server.wallet.apple_download import AddPage

router = APIRouter(prefix="/wallet/add", tags=["wallet (customer pages)"])

PKPASS = "application/vnd.apple.pkpass"
INVALID_CODE = "WALLET_LINK_INVALID"
LinkToken = Annotated[str, Path(min_length=1, max_length=300)]
_PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
_ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": f"Expired or forged link ({INVALID_CODE}); an HTML page for a browser",
        "content": {
            "application/json": {"schema": _ERROR},
            "text/html": {"schema": {"type": "string"}},
        },
    },
    422: {
        "description": "A token longer than any link's",
        "content": {"application/json": {"schema": _ERROR}},
    },
}


@router.get("/{token}", response_class=HTMLResponse, responses=_NOT_FOUND)
def add_to_wallet_page(
    request: Request,
    token: LinkToken,
    session: SessionDep,
    settings: SettingsDep,
    edges: WalletEdgesDep,
    now: NowDep,
) -> Response:
    page = apple_download.add_page(session, settings, edges, token, now)
    if page is None:
        return _not_found(request)
    return HTMLResponse(_page_html(page, token), headers=_PRIVATE)


@router.get(
    "/{token}/pass.pkpass",
    response_class=Response,
    responses={200: {"content": {PKPASS: {}}, "description": "The card's pass"}, **_NOT_FOUND},
)
def download_pass(
    request: Request,
    token: LinkToken,
    session: SessionDep,
    settings: SettingsDep,
    edges: WalletEdgesDep,
    now: NowDep,
) -> Response:
    pkpass = apple_download.download(session, settings, edges, token, now)
    if pkpass is None:
        return _not_found(request)
    headers = {**_PRIVATE, "Content-Disposition": 'attachment; filename="card.pkpass"'}
    return Response(pkpass, media_type=PKPASS, headers=headers)


def _page_html(page: AddPage, token: str) -> str:
    name = escape(page.program_name)
    links = []
    if page.apple:
        href = escape(f"/wallet/add/{token}/pass.pkpass", quote=True)
        links.append(f'<p><a class="wallet" href="{href}">Add to Apple Wallet</a></p>')
    if page.google_url:
        href = escape(page.google_url, quote=True)
        links.append(f'<p><a class="wallet" href="{href}">Save to Google Wallet</a></p>')
    return _document(
        f"{name} loyalty card",
        f"<h1>{name}</h1><p>Your loyalty card, in your phone's wallet.</p>{''.join(links)}"
        "<p><small>This link works for a few minutes only.</small></p>",
    )


def _not_found(request: Request) -> Response:
    message = "This link does not work; it may have expired: ask at the till for a new one."
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(error_body(INVALID_CODE, message), status_code=404, headers=_PRIVATE)
    body = _document(
        "Link not valid",
        "<h1>This link does not work</h1>"
        "<p>It may have expired: ask at the till for a new one.</p>"
        f"<p><small>Code: {INVALID_CODE}</small></p>",
    )
    return HTMLResponse(body, status_code=404, headers={**_PRIVATE, "X-Error-Code": INVALID_CODE})


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>body{{font-family:sans-serif;margin:2em auto;"
        "max-width:28em;padding:0 1em}a.wallet{display:block;padding:.8em;border-radius:.5em;"
        "background:#000;color:#fff;text-align:center;text-decoration:none}</style>"
        f"</head><body>{body}</body></html>"
    )
