"""What the till's local store keeps that nothing else checked: the note of an
acknowledgement (it goes to the server with the op), and how far the till's clock is
from the server's, learnt from a pulled page (ops are dated in server time).

Planted bugs each test was seen failing on (mutmut's names, ``LocalStore.*``):
``acknowledge`` queueing the op without its note; ``apply_pull_page`` storing the
clock offset under a wrong key (the till dates its ops by its own clock)."""

from datetime import UTC, datetime, timedelta

from common.operations import AddStamp
from desktop.engine.local_store import LocalStore
from desktop.engine.till import Till

NUMBER = "1000000000000016"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_an_acknowledgement_goes_out_with_its_note(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    try:
        op = store.append(
            AddStamp(card_number=NUMBER),
            client_time=datetime.now(UTC),
            staff_pin_id=None,
            offline=True,
            snapshot_age_s=None,
        )
        store.record_outcomes([{"op_id": op.op_id, "status": "rejected", "code": "X"}])

        queued = store.acknowledge(
            [op.op_id],
            staff_pin_id=3,
            by="manager Sam",
            client_time=datetime.now(UTC),
            offline=False,
            note="Called the customer.",
        )

        assert [q.op.note for q in queued] == ["Called the customer."]
        assert store.entry(queued[0].op_id).op.note == "Called the customer."
    finally:
        store.close()


def test_a_pulled_page_tells_how_far_the_tills_clock_is_from_the_servers(tmp_path):
    clock = Clock()
    store = LocalStore(tmp_path / "till.db", local_now=clock)
    try:
        server_time = clock.now + timedelta(hours=2)
        store.apply_pull_page(
            {"cursor": "c1", "reset": False, "changes": {}, "server_time": server_time.isoformat()}
        )

        assert store.get_meta("clock_offset_s") == 7200
        assert Till(store).now() == server_time
    finally:
        store.close()
