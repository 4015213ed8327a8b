"""Claims on work that is done outside the database (a call to APNs or Google): who
does it, among every worker process of every instance."""

from sqlalchemy import text
from sqlalchemy.orm import Session


def try_claim(session: Session, namespace: int, key: int) -> bool:
    """PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback,
    which assigns no transaction id, so no till's pull waits on it while the work is
    done. SQLite: this transaction's writes are serialised already, so always True."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    locked = session.execute(
        text("SELECT pg_try_advisory_xact_lock(:ns, CAST(:key AS integer))"),
        {"ns": namespace, "key": key % 2_147_483_647},
    ).scalar_one()
    return bool(locked)
