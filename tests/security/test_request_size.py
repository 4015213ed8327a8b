"""Bodies over ``max_body_bytes`` get 413 BODY_TOO_LARGE before any route parses them,
whether the client declares the size (tests/store_api/test_errors.py) or streams a
chunked body with no Content-Length."""

from collections.abc import Iterator

from sqlalchemy import func, select

from sync_server.models.sync import SyncOp
from tests.store_api.conftest import API
from tests.support.till import pair


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        chunk = b" " * min(size, total - sent)
        sent += len(chunk)
        yield chunk


def test_a_chunked_body_over_the_limit_is_413(client, settings, a):
    response = client.post(
        f"{API}/stamp",
        content=_chunks(settings.max_body_bytes + 1),
        headers={**a.owner, "Content-Type": "application/json"},
    )

    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413
    assert response.json()["code"] == "BODY_TOO_LARGE"


def test_a_chunked_push_over_the_limit_applies_nothing(client, settings, session_factory, a):
    till = pair(client, a.owner)
    head = b'{"sent_at": "2026-01-01T00:00:00+00:00", "pin_failures": [], "ops": ['

    def stream() -> Iterator[bytes]:
        yield head
        yield from _chunks(settings.max_body_bytes)
        yield b"]}"

    response = client.post(
        "/api/v1/sync/push",
        content=stream(),
        headers={**till.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SyncOp)) == 0
