"""``/docs``: Swagger UI, whose script and style come from a CDN (jsdelivr).

No packaged Swagger UI is installed here, and a new dependency only for it was not
worth its risk: so the page says in plain HTML, shown even when the script never loads,
that a server without internet shows no interactive docs, and where the description
itself is (``/openapi.json``, served by this server).
"""

from fastapi import FastAPI
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


def install_docs(app: FastAPI) -> None:
    """The app is made with ``docs_url=None``; this adds ``/docs`` with the note."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        )
        body = bytes(page.body).decode()
        note = OFFLINE_NOTE.format(openapi_url=openapi_url)
        return HTMLResponse(body.replace("<body>", f"<body>\n{note}", 1))

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
