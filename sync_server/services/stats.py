"""Program and merchant figures, with 'today' in the calling store's time zone."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.ledger import TransactionType as T
from sync_server.models import Card, LedgerEntry, Store
from sync_server.repositories.ledger import count_by_type_since


@dataclass(frozen=True, slots=True)
class Today:
    stamps: int
    points_earned: int
    redemptions: int
    enrollments: int
    transactions: int


@dataclass(frozen=True, slots=True)
class CardTotals:
    total_cards: int
    active_cards: int
    total_stamps_earned: int
    total_stamps_redeemed: int
    total_points_earned: int
    total_points_redeemed: int
    total_points_voided: int
    outstanding_points: int


def start_of_day(now: datetime, timezone: str) -> datetime:
    tz = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(tz).date(), time(), tzinfo=tz)


def card_totals(session: Session, merchant_id: int) -> CardTotals:
    row = session.execute(
        select(
            func.count(Card.id),
            func.count(Card.id).filter(Card.is_active.is_(True)),
            func.coalesce(func.sum(Card.total_stamps_earned), 0),
            func.coalesce(func.sum(Card.stamps_redeemed), 0),
            func.coalesce(func.sum(Card.total_points_earned), 0),
            func.coalesce(func.sum(Card.points_redeemed), 0),
            func.coalesce(func.sum(Card.total_points_voided), 0),
            func.coalesce(func.sum(Card.points_balance), 0),
        ).where(Card.merchant_id == merchant_id)
    ).one()
    return CardTotals(*(int(v) for v in row))


def cards_active_since(session: Session, merchant_id: int, since: datetime) -> int:
    stmt = select(func.count(Card.id)).where(
        Card.merchant_id == merchant_id, Card.last_activity_at >= since
    )
    return int(session.scalar(stmt) or 0)


def today(session: Session, merchant_id: int, now: datetime, timezone: str) -> Today:
    by_type = count_by_type_since(session, merchant_id, start_of_day(now, timezone))
    return Today(
        stamps=by_type.get(T.STAMP_EARNED, (0, 0, 0))[0],
        points_earned=sum(by_type.get(t, (0, 0, 0))[2] for t in (T.POINTS_EARNED, T.WELCOME_BONUS)),
        redemptions=sum(
            by_type.get(t, (0, 0, 0))[0] for t in (T.STAMP_REDEEMED, T.POINTS_REDEEMED)
        ),
        enrollments=by_type.get(T.CARD_CREATED, (0, 0, 0))[0],
        transactions=sum(v[0] for v in by_type.values()),
    )


@dataclass(frozen=True, slots=True)
class StoreFigures:
    store_id: int
    store_name: str
    enrollments: int
    stamps_earned: int
    points_earned: int
    redemptions: int
    transactions: int


def per_store(session: Session, merchant_id: int) -> list[StoreFigures]:
    """All-time figures for each store of the merchant, from the ledger."""
    rows = session.execute(
        select(
            Store.id,
            Store.name,
            func.count(LedgerEntry.id).filter(LedgerEntry.type == T.CARD_CREATED),
            func.count(LedgerEntry.id).filter(LedgerEntry.type == T.STAMP_EARNED),
            func.coalesce(
                func.sum(LedgerEntry.points_delta).filter(
                    LedgerEntry.type.in_([T.POINTS_EARNED, T.WELCOME_BONUS])
                ),
                0,
            ),
            func.count(LedgerEntry.id).filter(
                LedgerEntry.type.in_([T.STAMP_REDEEMED, T.POINTS_REDEEMED])
            ),
            func.count(LedgerEntry.id),
        )
        .outerjoin(LedgerEntry, LedgerEntry.store_id == Store.id)
        .where(Store.merchant_id == merchant_id)
        .group_by(Store.id, Store.name)
        .order_by(Store.id)
    ).all()
    return [StoreFigures(int(r[0]), r[1], *(int(v) for v in r[2:])) for r in rows]


def thirty_days_ago(now: datetime) -> datetime:
    return now - timedelta(days=30)
