"""A real till's store synced by hand over the in-process test client: what the sync
client does on push and pull, without its thread and timers."""

from typing import Any

from desktop.engine.local_store import LocalStore


def push_outbox(store: LocalStore, remote: Any) -> None:
    """Every op of the outbox pushed (``remote``: tests.support.till.Till), outcomes kept."""
    ops = [
        {
            "op_id": e.op_id,
            "seq": e.seq,
            "staff_pin_id": e.staff_pin_id,
            "client_time": e.client_time.isoformat(),
            "offline": e.offline,
            "snapshot_age_s": e.snapshot_age_s,
            "body": e.op.model_dump(mode="json"),
        }
        for e in store.entries()
    ]
    response = remote.push(ops)
    assert response.status_code == 200, response.text
    store.record_outcomes(response.json()["results"])


def pull_into(store: LocalStore, remote: Any) -> None:
    """One whole pull round landed in the store, then the outbox settled."""
    for page in remote.pull_all():
        store.apply_pull_page(page)
    store.settle_pulled()
