"""A demo shop whose ledger holds personal data: entries with notes, an IP address and
a user agent, written through the server's own operation path at chosen times."""

from datetime import datetime

from sqlalchemy import select

from common.operations import EarnPoints
from sync_server import demo
from sync_server.actor import RequestMeta, Role, StoreActor
from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Card, LedgerEntry, Store, User
from sync_server.services import operations

IP = "203.0.113.7"
AGENT = "LoyaltyTill/1.4 (Windows 11)"


def note(i: int) -> str:
    return f"customer {i} asked us not to call before noon"


def shop_with_personal_entries(url: str, times: list[datetime]) -> list[int]:
    """Seed the demo, then one earn per time with a note, IP and user agent; returns
    those entries' ids in order."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=url)
    ids = []
    with factory() as session:
        info = demo.seed_demo(session, settings)
        session.commit()
        owner = session.scalars(select(User).where(User.email == demo.OWNER_EMAIL)).one()
        store = session.scalars(select(Store).order_by(Store.id)).first()
        assert store is not None
        actor = StoreActor(info.merchant_id, store.id, Role.MERCHANT_OWNER, user_id=owner.id)
        numbers = session.scalars(select(Card.card_number).order_by(Card.id)).all()
        for i, at in enumerate(times):
            op = EarnPoints(
                card_number=numbers[i % len(numbers)],
                purchase_amount_cents=500 + i,
                order_reference=f"PRIV-{i}",
                notes=note(i),
            )
            meta = RequestMeta(ip_address=IP, user_agent=AGENT)
            result = operations.apply_operation(
                session, operations.OpRequest(actor, op, None, meta, at), settings
            )
            assert isinstance(result, operations.OpApplied), result
            session.commit()
            ids.append(
                session.scalars(
                    select(LedgerEntry.id).where(LedgerEntry.order_reference == f"PRIV-{i}")
                ).one()
            )
    engine.dispose()
    return ids
