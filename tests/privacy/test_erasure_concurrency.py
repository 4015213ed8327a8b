"""An erasure and a write to the same card at once, on PostgreSQL with two connections:
the row locks, not the order the requests happen to run in, decide that nothing
written about the person survives the erasure."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from common.operations import AddStamp
from common.outcome import Rejected
from sync_server.actor import RequestMeta, Role, StoreActor
from sync_server.services.operations import OpRequest, apply_operation
from sync_server.services.staff_pins import PinEntry
from tests.privacy.scenario import AGENT, NAME, NEEDLES, build_world, found_anywhere
from tests.store_api.conftest import PIN

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgresql"])]

_WAITING = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def _until_someone_waits_for_a_lock(factory: sessionmaker[Session], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    with factory() as session:
        while session.execute(_WAITING).scalar_one() == 0:
            assert time.monotonic() < deadline, "the erasure never waited for the card's lock"
            session.rollback()  # a fresh snapshot of pg_stat_activity
            time.sleep(0.02)


def test_a_note_written_while_the_erasure_waits_for_the_card_is_erased_too(
    client, session_factory, settings
):
    """Planted bug: the ledger entries collected before the card is locked (the stamp
    committed meanwhile keeps its note and user agent)."""
    world = build_world(client, session_factory)
    p, a = world.person, world.a
    actor = StoreActor(a.id, a.stores[0], Role.MERCHANT_OWNER)
    op = AddStamp(card_number=p.card_number, notes=f"late note for {NAME}")
    request = OpRequest(actor, op, PinEntry(PIN), RequestMeta(user_agent=AGENT), datetime.now(UTC))
    with session_factory() as writer, ThreadPoolExecutor(1) as pool:
        applied = apply_operation(writer, request, settings)  # the card stays locked
        assert not isinstance(applied, Rejected), applied
        erasing = pool.submit(client.delete, f"/api/v1/customers/{p.customer_id}", headers=a.owner)
        _until_someone_waits_for_a_lock(session_factory, 30)
        writer.commit()
        erased = erasing.result(timeout=60)

    assert erased.status_code == 200, erased.text
    assert found_anywhere(session_factory, (*NEEDLES, AGENT)) == []
