"""Resolving the attention list at the till (issue #14, point 5): the engine takes the
item off its list and queues one ``attention.resolve`` op in the same transaction, so
a resolution made offline waits in the outbox and reaches the server exactly once."""

from sqlalchemy import func, select

from bench.server_process import free_port
from common.operations import ResolutionDecision
from sync_server.models.sync import SyncOp
from tests.terminal.test_acknowledging_at_the_till import World, _flagged
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
