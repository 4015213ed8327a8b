"""Resolving the attention list at the till (issue #14, point 5): the engine takes the
item off its list and queues one ``attention.resolve`` op in the same transaction, so
a resolution made offline waits in the outbox and reaches the server exactly once."""

import uuid

from sqlalchemy import func, select

from bench.server_process import free_port
from common.operations import AddStamp, ResolutionDecision
from desktop.engine.history import resolution_words
from desktop.engine.till import Confirmed, Till
from sync_server.models.sync import SyncOp
from tests.terminal.test_acknowledging_at_the_till import (
    API,
    ATTENTION,
    World,
    _flagged,
    _sync_until,
)
from tests.terminal.test_acknowledging_at_the_till import world as world

DISMISS = ResolutionDecision(action="dismiss", reason="she paid the difference in cash")


def _resolutions(world: World) -> int:
    with world.factory() as session:
        stmt = select(func.count(SyncOp.id)).where(SyncOp.op_type == "attention.resolve")
        return int(session.scalar(stmt) or 0)


def test_a_dismissal_made_offline_leaves_the_list_at_once_and_lands_once(world):
    """Planted bug: LocalStore.resolve without its once-per-item guard -> the second
    resolve of the same item queued a second op (refused on the server, 2 ops)."""
    flagged = _flagged(world)
    world.point_at(f"http://127.0.0.1:{free_port()}")
    assert not world.terminal.client.sync_once().online

    assert world.terminal.resolve(flagged, DISMISS, world.pin_id)
    again = world.terminal.resolve(flagged, DISMISS, world.pin_id)

    assert not again
    assert world.terminal.attention() == []
    assert world.terminal.client.state.pending == 1
    world.point_at(world.url)
    assert world.terminal.client.sync_once().online
    assert world.terminal.client.sync_once().online
    item = world.items()[flagged]
    assert (item["resolution_action"], item["resolved_by"]) == ("dismiss", "Sam")
    assert item["resolution_reason"] == DISMISS.reason
    assert _resolutions(world) == 1
    assert world.terminal.attention() == []


def _history_line(world: World, op_id: str) -> str | None:
    """The refused op's row in the store's history, as the till words it."""
    entry = world.terminal.store.entry(op_id)
    assert entry is not None
    return resolution_words(entry)


def test_a_resolution_made_here_shows_in_the_history_at_once(world):
    """A stamp the server refused (the card was blocked at another counter) stays in
    the till's history as refused; once dismissed here, the row says how, by whom and
    why, before any sync. Planted bug: LocalStore.resolve not recording the decision ->
    no words in the row."""
    card = world.http.post(f"{API}/cards/enroll", json={"email": "b@x.example"}).json()
    number = card["card_number"]
    _sync_until(world, lambda _: world.terminal.store.card_id(number) is not None)
    blocked = world.http.post(f"{API}/cards/{card['id']}/deactivate", json={})
    assert blocked.status_code == 200, blocked.text
    done = Till(world.terminal.store).perform(AddStamp(card_number=number), world.pin_id)
    assert isinstance(done, Confirmed)
    world.terminal.client.sync_once()
    [refused] = world.terminal.attention()

    assert world.terminal.resolve(refused.op_id, DISMISS, world.pin_id)

    [row] = [i for i in world.terminal.card_history(number) if i.status == "rejected"]
    assert row.resolution == f"dismissed by Sam: {DISMISS.reason}"
    assert _history_line(world, refused.op_id) == row.resolution


def test_the_owners_resolution_reaches_the_till_that_raised_the_item(world):
    """Resolved in the back office (the API), the item leaves this till's list and its
    history says how and by whom at the next pull. Planted bugs: the pull not sending
    the resolution columns, or the till not writing them -> no words."""
    flagged = _flagged(world)
    item = world.items()[flagged]
    answer = world.http.post(
        f"{ATTENTION}/{item['id']}/resolve",
        json={"resolution_id": str(uuid.uuid4()), "action": "dismiss", "reason": "paid cash"},
    )
    assert answer.status_code == 200, answer.text

    _sync_until(world, lambda _: world.terminal.attention() == [])

    assert world.terminal.attention() == []
    line = _history_line(world, flagged)
    assert line is not None
    assert line.startswith("dismissed by ")
    assert line.endswith(": paid cash")
