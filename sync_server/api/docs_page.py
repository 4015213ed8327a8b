"""``/docs``: Swagger UI, whose script and style come from a CDN (jsdelivr).

No packaged Swagger UI is installed here, and a new dependency only for it was not
worth its risk: so the page says in plain HTML, shown even when the script never loads,
that a server without internet shows no interactive docs, and where the description
itself is (``/openapi.json``, served by this server).
"""

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
OFFLINE_NOTE = (
    '<p style="font-family: sans-serif; margin: 1em 2em; color: #555">'
    "This page loads Swagger UI from the internet (cdn.jsdelivr.net). On a network "
    "without internet it stays empty below this line: the API description is "
    '<a href="{openapi_url}">{openapi_url}</a>, served by this server.</p>'
)


# The endpoints are module-level functions reading the app from the request, not
# closures made per app: FastAPI keeps every endpoint it has seen in process-wide caches
# keyed by the function (fastapi.dependencies.models, 4096 entries), so a closure over
# ``app`` kept each app ever created alive, with its routes, schemas and engine: ~2.5 MB
# an app, ~5 GB by the end of the test suite, which makes one app per test.
router = APIRouter(include_in_schema=False)


@router.get(DOCS_URL)
def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    openapi_url = app.openapi_url or "/openapi.json"
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} - API docs",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
    )
    body = bytes(page.body).decode()
    note = OFFLINE_NOTE.format(openapi_url=openapi_url)
    return HTMLResponse(body.replace("<body>", f"<body>\n{note}", 1))


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


def install_docs(app: FastAPI) -> None:
    """The app is made with ``docs_url=None``; this adds ``/docs`` with the note."""
    app.include_router(router)
