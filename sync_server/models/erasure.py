"""The erasure log: which customers were erased, when and by whom, and nothing else.

A backup restored after an erasure brings the person back; replaying this log
(``loyalty-server reapply-erasures``) erases them again. It holds ids only, never the
personal data it stands for."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, UTCDateTime


class CustomerErasure(Base):
    __tablename__ = "customer_erasures"
    __table_args__ = (Index("ix_customer_erasures_merchant_id", "merchant_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    # No foreign keys to customers or users: a log kept outside the database is
    # replayed onto a restored copy that may not hold the same rows.
    customer_id: Mapped[int]
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who: an owner's login (user id) through the API; NULL for an operator at the CLI.
    erased_by_user_id: Mapped[int | None]
    via: Mapped[str] = mapped_column(String(16), doc="api | cli")
    card_policy: Mapped[str] = mapped_column(String(8), doc="close | keep, as applied")
