"""The cursor epoch: which copy of the database a pull cursor was issued by.

Change stamps are PostgreSQL transaction ids, which only mean something inside the
history that produced them. A dump loaded into a new cluster or into a new database
starts over below the ids the tills hold, so a till would skip every change until the
ids pass its cursor. The epoch names that history: the cluster's system identifier
(``initdb`` draws a new one; a streaming standby and a base backup keep it) and the
database's OID (a database created for a restore gets a new one). A cursor of another
epoch means a full resync.

Left out on purpose: the timeline. A failover and a point-in-time restore both start a
new one, and nothing an unprivileged role can read tells them apart. With synchronous
replication a failover loses nothing a till has seen, and a full resync of every till
after each one would cost a merchant's whole store set at the worst moment. A
point-in-time restore (and an SQLite file copied back, whose epoch is constant) keeps
the epoch: its procedure runs ``loyalty-server resync-tills``, which re-keys every
till's cursor (docs/deploy.md, "The pull cursor after a restore").

Read inside the pull's transaction, never cached in the process: behind a pooler a
client connection can outlive the server it first reached, and one small query per
page costs less than a stale epoch would.
"""

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session

SQLITE_EPOCH = 0

_PG_EPOCH = text(
    "SELECT (SELECT system_identifier FROM pg_control_system()),"
    " (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def current_epoch(session: Session) -> int:
    """This database's epoch: a 62-bit digest of the cluster and database identities."""
    if session.get_bind().dialect.name != "postgresql":
        return SQLITE_EPOCH
    system_identifier, database_oid = session.execute(_PG_EPOCH).one()
    return epoch_of(int(system_identifier), int(database_oid))


def epoch_of(system_identifier: int, database_oid: int) -> int:
    """A digest rather than the pair: the cursor stays short and says nothing of the
    cluster to a till that decodes it."""
    digest = hashlib.sha256(f"{system_identifier}:{database_oid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 2
