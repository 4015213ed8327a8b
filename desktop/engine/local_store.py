"""The till's own SQLite: pulled snapshot, outbox and sync state, in one file.

WAL with ``synchronous=FULL``: an op the cashier saw confirmed is on disk. Every write
transaction begins IMMEDIATE, so the seq of a new op is taken under the write lock.
Given the till's key, the file is SQLCipher-encrypted (``cache_cipher``): a clear one
left by an older version is sealed on first open.
"""

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3  # type: ignore[import-untyped]
from pydantic import TypeAdapter
from sqlalchemy import Connection, Engine, bindparam, create_engine, event, text

from common.card import CardState
from common.operations import (
    AcknowledgeAttention,
    AttentionOperation,
    Operation,
    ResolutionDecision,
    ResolveAttention,
    TillOperation,
)
from desktop.engine import cache_cipher, customer_cache, local_schema, pull_apply
from desktop.engine.checkpoint import BACKSTOP_PAGES, Checkpointer

if TYPE_CHECKING:
    from desktop.engine.cache_key import CacheKey

OPERATION: TypeAdapter[Operation | AttentionOperation] = TypeAdapter(TillOperation)
_DATES = {"stamps_day"}
_TIMES = {"last_stamp_at", "last_points_at", "last_redemption_at", "last_activity_at"}


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    op_id: str
    op: Operation | AttentionOperation
    staff_pin_id: int | None
    client_time: datetime
    offline: bool
    snapshot_age_s: int | None
    status: str
    outcome: dict[str, Any] | None
    settled: bool = False
    created_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    # How it was resolved: "reapply" | "dismiss", why, by whom (this till or the server).
    resolution_action: str | None = None
    resolution_reason: str | None = None
    resolved_by: str | None = None


def card_state_from_row(row: dict[str, Any]) -> CardState:
    """A pulled card row (JSON) as the rules' CardState."""
    values: dict[str, Any] = {}
    for f in fields(CardState):
        raw = row.get(f.name)
        if raw is not None and f.name in _DATES:
            raw = date.fromisoformat(raw)
        elif raw is not None and f.name in _TIMES:
            raw = datetime.fromisoformat(raw)
        if raw is not None or f.name in _DATES | _TIMES:
            values[f.name] = raw
    return CardState(**values)


class LocalStore:
    """Args:
    key: the till's database key (``cache_key``); None keeps the file unencrypted
        (tests of the store alone, the benchmark's baseline).
    """

    def __init__(
        self,
        path: Path,
        local_now: Callable[[], datetime] | None = None,
        key: "CacheKey | None" = None,
    ) -> None:
        self.local_now = local_now or (lambda: datetime.now(UTC))
        self.path = path
        self.key = key
        path.parent.mkdir(parents=True, exist_ok=True)
        if key is not None:
            cache_cipher.seal_plain(path, key)
        # Reads take a plain (deferred) transaction: WAL lets them run beside a writer.
        # Writes begin IMMEDIATE on their own engine, so a write never upgrades a read
        # lock halfway (SQLITE_BUSY) and the seq of a new op is taken under the lock.
        self.engine: Engine = self._engine()
        self._writer: Engine = self._engine()
        _configure(self.engine, "BEGIN")
        _configure(self._writer, "BEGIN IMMEDIATE")
        self.checkpointer = self._checkpointer()  # WAL checkpoints off the op path
        # Meta (program, settings, clock offset…) is read on every action and written
        # only by pulls: cached, dropped after every write transaction.
        self._meta: dict[str, Any] = {}
        self._reader = threading.local()
        self._meta_generation = 0
        with self.transaction() as conn:
            local_schema.upgrade(conn)

    def _engine(self) -> Engine:
        if self.key is None:
            return create_engine(f"sqlite:///{self.path}")
        # The key is read at each new connection: after a wipe replaced it, the pools
        # are emptied and every connection opens with the new one.
        return create_engine(
            f"sqlite:///{self.path}",
            module=sqlcipher3,
            creator=lambda: cache_cipher.connect(self.path, self.key, check_same_thread=False),
        )

    def _checkpointer(self) -> Checkpointer:
        return Checkpointer(self.path, connect=lambda: cache_cipher.connect(self.path, self.key))

    def close(self) -> None:
        self.checkpointer.close()
        self.engine.dispose()
        self._writer.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        written: dict[str, bool] = {}
        try:
            with self._writer.begin() as conn:
                conn.info["meta_written"] = written
                yield conn
        finally:
            self.checkpointer.nudge()
            if written:
                self._meta_generation += 1
                self._meta = {}

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """One read transaction for everything read inside it on this thread: a card's
        projection sees one consistent snapshot, and pays for one connection."""
        current: Connection | None = getattr(self._reader, "conn", None)
        if current is not None:
            yield current
            return
        with self.engine.connect() as conn:
            self._reader.conn = conn
            try:
                yield conn
            finally:
                self._reader.conn = None

    # -- meta -------------------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        """The stored value (shared: do not mutate it), or ``default``."""
        if key in self._meta:
            cached = self._meta[key]
            return default if cached is None else cached
        generation = self._meta_generation
        with self.reading() as conn:
            raw = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": key}).scalar()
        value = json.loads(raw) if raw is not None else None
        if generation == self._meta_generation:  # no write landed meanwhile
            self._meta[key] = value
        return default if value is None else value

    @staticmethod
    def set_meta(conn: Connection, key: str, value: Any) -> None:
        conn.info.setdefault("meta_written", {})["yes"] = True
        conn.execute(
            text(
                "INSERT INTO meta (key, value) VALUES (:k, :v) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            {"k": key, "v": json.dumps(value, default=str)},
        )

    def wipe(self) -> None:
        """Everything this till holds, gone (an unpaired till keeps no customer data);
        the key replaced too, so no copy of the file taken before can be read with
        what the till keeps."""
        with self.transaction() as conn:
            for table in (
                "cards",
                "customers",
                "staff_pins",
                "aliases",
                "transactions",
                "outbox",
                "pin_failures",
                "meta",
            ):
                conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            conn.info["meta_written"]["yes"] = True
        raw = self._writer.raw_connection()
        try:
            _truncate_wal(raw)
            if self.key is not None:
                self.key = self.key.replaced()
                raw.driver_connection.execute(f"PRAGMA rekey = {self.key.literal()}")  # type: ignore[union-attr]
        finally:
            raw.close()
        if self.key is not None:  # connections holding the old key are let go
            self.checkpointer.close()
            self.engine.dispose()
            self._writer.dispose()
            self.checkpointer = self._checkpointer()

    def next_serial(self) -> int:
        """This till's next card-number serial, taken under the write lock and stored
        before use, so a crash can skip a serial but never hand one out twice."""
        with self.transaction() as conn:
            raw = conn.execute(text("SELECT value FROM meta WHERE key = 'next_serial'")).scalar()
            serial = json.loads(raw) if raw is not None else 1
            self.set_meta(conn, "next_serial", serial + 1)
        return int(serial)

    # -- snapshot ---------------------------------------------------------------------

    def apply_pull_page(self, page: dict[str, Any], settle: bool = False) -> int:
        """A pulled page and its cursor land together, or not at all: a pull cut off
        halfway is simply asked again from the last stored cursor. ``settle``: the page
        ends a round, so settle the outbox in the same transaction (one commit, not
        two, per incremental pull). Returns the rows the page carried."""
        with self.transaction() as conn:
            conn.info[customer_cache.ERASED] = False
            if page.get("reset"):
                for table in ("cards", "customers", "staff_pins", "aliases", "transactions"):
                    conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            received = pull_apply.write(conn, page)
            erased = conn.info.pop(customer_cache.ERASED)
            for key in ("program", "settings", "store", "qr_key", "server_time"):
                if key in page:
                    self.set_meta(conn, key, page[key])
            if "store" in page:  # a till the owner moved serves its new store from now
                self.set_meta(conn, "store_id", page["store"]["id"])
            if "server_time" in page:
                self.set_meta(conn, "pulled_at", page["server_time"])
                # The till's clock may be hours off: keep how far, to date ops in server
                # time (the server corrects again with sent_at, so both sides agree).
                offset = datetime.fromisoformat(page["server_time"]) - self.local_now()
                self.set_meta(conn, "clock_offset_s", offset.total_seconds())
            self.set_meta(conn, "cursor", page["cursor"])
            if settle:
                _settle(conn)
        if erased:  # an erased person's data must not wait in the WAL for a checkpoint
            raw = self._writer.raw_connection()
            try:
                _truncate_wal(raw)
            finally:
                raw.close()
        return received

    def settle_pulled(self) -> None:
        """After a complete pull round: see ``_settle``."""
        with self.transaction() as conn:
            _settle(conn)

    def resolve_number(self, conn: Connection, card_number: str) -> str:
        """A merged (alias) number as the surviving card's number."""
        number = conn.execute(
            text(
                "SELECT c.card_number FROM aliases a JOIN cards c ON c.id = a.card_id "
                "WHERE a.card_number = :n"
            ),
            {"n": card_number},
        ).scalar()
        return str(number) if number else card_number

    def card_id(self, card_number: str) -> int | None:
        """The server's id of a pulled card (None for a card enrolled here, unpushed)."""
        with self.reading() as conn:
            number = self.resolve_number(conn, card_number)
            found = conn.execute(
                text("SELECT id FROM cards WHERE card_number = :n"), {"n": number}
            ).scalar()
        return int(found) if found is not None else None

    def snapshot_card(self, card_number: str) -> CardState | None:
        with self.reading() as conn:
            number = self.resolve_number(conn, card_number)
            raw = conn.execute(
                text("SELECT state FROM cards WHERE card_number = :n"), {"n": number}
            ).scalar()
        return card_state_from_row(json.loads(raw)) if raw is not None else None

    # -- outbox -----------------------------------------------------------------------

    def append(
        self,
        op: Operation,
        *,
        client_time: datetime,
        staff_pin_id: int | None,
        offline: bool,
        snapshot_age_s: int | None,
    ) -> OutboxEntry:
        """Write the op before the cashier is told 'done'; seq and op_id are final here,
        so a crash and restart can never push it twice under another id."""
        with self.transaction() as conn:
            return _insert(conn, op, client_time, staff_pin_id, offline, snapshot_age_s)

    def entries(
        self, status: str | None = "pending", card_number: str | None = None
    ) -> list[OutboxEntry]:
        sql = "SELECT * FROM outbox WHERE 1 = 1"
        params: dict[str, Any] = {}
        if status is not None:
            sql += " AND status = :status"
            params["status"] = status
        if card_number is not None:
            sql += " AND card_number = :card"
            params["card"] = card_number
        with self.reading() as conn:
            rows = conn.execute(text(sql + " ORDER BY seq"), params).mappings().all()
        return [_entry(r) for r in rows]

    def unsettled(self, card_number: str) -> list[OutboxEntry]:
        """Ops the pulled card does not show yet: pending ones, and answered ones whose
        effect has not come back in a pull (so the card never jumps back meanwhile).
        Ops made under a number since merged into this card count too."""
        with self.reading() as conn:
            number = self.resolve_number(conn, card_number)
            numbers = {number, card_number} | set(
                conn.execute(
                    text(
                        "SELECT a.card_number FROM aliases a JOIN cards c ON c.id = a.card_id "
                        "WHERE c.card_number = :n"
                    ),
                    {"n": number},
                ).scalars()
            )
            rows = (
                conn.execute(
                    text(
                        "SELECT * FROM outbox WHERE card_number IN :cards AND settled = 0 "
                        "AND status IN ('pending', 'applied') ORDER BY seq"
                    ).bindparams(bindparam("cards", expanding=True)),
                    {"cards": sorted(numbers)},
                )
                .mappings()
                .all()
            )
        return [_entry(r) for r in rows]

    def unsettled_of_type(self, op_type: str) -> list[OutboxEntry]:
        with self.reading() as conn:
            rows = (
                conn.execute(
                    text(
                        "SELECT * FROM outbox WHERE settled = 0 AND status IN ('pending', "
                        "'applied') AND json_extract(body, '$.type') = :t ORDER BY seq"
                    ),
                    {"t": op_type},
                )
                .mappings()
                .all()
            )
        return [_entry(r) for r in rows]

    def unsynced_entries(self, card_number: str | None, limit: int) -> list[OutboxEntry]:
        """This till's newest ops not yet in the pulled ledger, and the refused ones."""
        with self.reading() as conn:
            rows = (
                conn.execute(
                    text(
                        "SELECT * FROM outbox WHERE (settled = 0 OR status IN ('rejected', "
                        "'conflict')) AND (:card IS NULL OR card_number = :card) "
                        "ORDER BY seq DESC LIMIT :limit"
                    ),
                    {"card": card_number, "limit": limit},
                )
                .mappings()
                .all()
            )
        return [_entry(r) for r in rows]

    def entry(self, op_id: str) -> OutboxEntry | None:
        with self.reading() as conn:
            row = (
                conn.execute(text("SELECT * FROM outbox WHERE op_id = :id"), {"id": op_id})
                .mappings()
                .first()
            )
        return _entry(row) if row is not None else None

    def prune(self, before: datetime) -> dict[str, int]:
        """Forget what is dated before ``before`` and no longer needed (common/retention):
        settled ops, except refusals nobody acknowledged; the store's pulled history;
        wrong-PIN events already sent. Pending ops are never touched. Freed pages are
        reused, so the file stops growing at what the window holds."""
        at = {"before": before.isoformat()}
        statements = {
            "outbox": "DELETE FROM outbox WHERE settled = 1 AND status != 'pending' "  # noqa: S608 - fixed text
            f"AND NOT ({_ON_THE_LIST} AND acknowledged_at IS NULL) "
            "AND julianday(coalesce(created_at, client_time)) < julianday(:before)",
            "transactions": "DELETE FROM transactions "
            "WHERE julianday(created_at) < julianday(:before)",
            "pin_failures": "DELETE FROM pin_failures "
            "WHERE sent = 1 AND julianday(occurred_at) < julianday(:before)",
        }
        with self.transaction() as conn:
            return {
                table: conn.execute(text(sql), at).rowcount for table, sql in statements.items()
            }

    def attention(self, include_acknowledged: bool = False) -> list[OutboxEntry]:
        """Ops the server refused, or applied with a warning (an offline over-spend),
        newest first, until a manager acknowledges them."""
        with self.reading() as conn:
            rows = (
                conn.execute(
                    text(
                        f"SELECT * FROM outbox WHERE {_ON_THE_LIST} "  # noqa: S608 - fixed text
                        "AND (:all OR acknowledged_at IS NULL) ORDER BY seq DESC"
                    ),
                    {"all": include_acknowledged},
                )
                .mappings()
                .all()
            )
        return [_entry(r) for r in rows]

    def attention_count(self) -> int:
        with self.reading() as conn:
            return int(
                conn.execute(
                    text(
                        f"SELECT count(*) FROM outbox WHERE {_ON_THE_LIST} "  # noqa: S608 - fixed text
                        "AND acknowledged_at IS NULL"
                    )
                ).scalar_one()
            )

    def acknowledge(
        self,
        op_ids: list[str],
        *,
        staff_pin_id: int,
        by: str,
        client_time: datetime,
        offline: bool,
        note: str | None = None,
    ) -> list[OutboxEntry]:
        """Mark these attention items acknowledged here and queue one
        ``attention.acknowledge`` op each for the server, in one transaction. Items not
        on the list (or already acknowledged) are left alone. Returns the queued ops."""
        queued = []
        with self.transaction() as conn:
            for op_id in op_ids:
                marked = conn.execute(
                    text(
                        f"UPDATE outbox SET acknowledged_at = :t, acknowledged_by = :by WHERE "  # noqa: S608 - fixed text
                        f"op_id = :id AND acknowledged_at IS NULL AND {_ON_THE_LIST}"
                    ),
                    {"t": self.local_now().isoformat(), "by": by, "id": op_id},
                )
                if marked.rowcount:
                    ack = AcknowledgeAttention(op_id=uuid.UUID(op_id), note=note)
                    queued.append(_insert(conn, ack, client_time, staff_pin_id, offline, None))
        return queued

    def resolve(
        self,
        op_id: str,
        decision: ResolutionDecision,
        *,
        staff_pin_id: int,
        by: str,
        client_time: datetime,
        offline: bool,
    ) -> OutboxEntry | None:
        """Take an item off the list here and queue its ``attention.resolve`` op, in one
        transaction (so an offline resolution is never lost nor queued twice). None if
        the item is not on the list. The resolving op's own id makes it once-only on the
        server; a re-apply's adjustment comes back in the pull."""
        with self.transaction() as conn:
            marked = conn.execute(
                text(
                    "UPDATE outbox SET acknowledged_at = coalesce(acknowledged_at, :t), "  # noqa: S608 - fixed text
                    "acknowledged_by = coalesce(acknowledged_by, :by), "
                    "resolution_action = :action, resolution_reason = :reason, "
                    "resolved_by = :by WHERE "
                    f"op_id = :id AND {_ON_THE_LIST} AND NOT EXISTS (SELECT 1 FROM outbox o "
                    "WHERE json_extract(o.body, '$.type') = 'attention.resolve' "
                    "AND json_extract(o.body, '$.op_id') = :id)"
                ),
                {
                    "t": self.local_now().isoformat(),
                    "by": by,
                    "id": op_id,
                    "action": decision.action,
                    "reason": decision.reason,
                },
            )
            if not marked.rowcount:
                return None
            op = ResolveAttention(op_id=uuid.UUID(op_id), **decision.model_dump())
            return _insert(conn, op, client_time, staff_pin_id, offline, None)

    def record_outcomes(self, results: list[dict[str, Any]]) -> None:
        """A duplicate is the first outcome told again: store what the first delivery got."""
        with self.transaction() as conn:
            for r in results:
                status = r["status"]
                if status == "duplicate":
                    status = r.get("original_status") or "applied"
                elif status == "rejected" and r.get("code") in ("OP_ID_REUSED", "SEQ_REUSED"):
                    status = "conflict"  # a bug to show, not a rule the cashier broke
                conn.execute(
                    text("UPDATE outbox SET status = :s, outcome = :o WHERE op_id = :id"),
                    {"s": status, "o": json.dumps(r), "id": str(r["op_id"])},
                )


# An outbox row on the attention list: refused, or applied with a warning.
_ON_THE_LIST = "(status IN ('rejected', 'conflict') OR json_extract(outcome, '$.code') IS NOT NULL)"


def _insert(
    conn: Connection,
    op: Operation | AttentionOperation,
    client_time: datetime,
    staff_pin_id: int | None,
    offline: bool,
    snapshot_age_s: int | None,
) -> OutboxEntry:
    """A new op at the end of the outbox (the caller holds the write transaction)."""
    op_id = str(uuid.uuid4())
    seq = int(conn.execute(text("SELECT coalesce(max(seq), 0) + 1 FROM outbox")).scalar_one())
    conn.execute(
        text(
            "INSERT INTO outbox (seq, op_id, card_number, body, staff_pin_id, client_time, "
            "offline, snapshot_age_s, created_at) VALUES (:seq, :op_id, :card, :body, "
            ":pin, :t, :offline, :age, :t)"
        ),
        {
            "seq": seq,
            "op_id": op_id,
            "card": ""
            if isinstance(op, AcknowledgeAttention | ResolveAttention)
            else op.card_number,
            "body": json.dumps(op.model_dump(mode="json")),
            "pin": staff_pin_id,
            "t": client_time.isoformat(),
            "offline": int(offline),
            "age": snapshot_age_s,
        },
    )
    return OutboxEntry(
        seq, op_id, op, staff_pin_id, client_time, offline, snapshot_age_s, "pending", None
    )


def _settle(conn: Connection) -> None:
    """An applied op is in the pulled snapshot once its ledger entries are, since the
    server wrote them and the card row in one transaction, which one round delivers
    whole. Refused ops never count."""
    conn.exec_driver_sql(
        "UPDATE outbox SET settled = 1 WHERE settled = 0 AND status IN ('rejected', 'conflict')"
    )
    rows = conn.execute(
        text("SELECT seq, outcome FROM outbox WHERE settled = 0 AND status = 'applied'")
    ).all()
    select_known = text("SELECT count(*) FROM transactions WHERE id IN :ids")
    for seq, outcome in rows:
        ids = [int(i) for i in json.loads(outcome or "{}").get("transaction_ids") or []]
        if ids:
            found = conn.execute(
                select_known.bindparams(bindparam("ids", expanding=True)), {"ids": ids}
            ).scalar_one()
            if int(found) < len(ids):
                continue
        conn.execute(text("UPDATE outbox SET settled = 1 WHERE seq = :s"), {"s": seq})


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _entry(r: Any) -> OutboxEntry:
    return OutboxEntry(
        seq=r["seq"],
        op_id=r["op_id"],
        op=OPERATION.validate_json(r["body"]),
        staff_pin_id=r["staff_pin_id"],
        client_time=datetime.fromisoformat(r["client_time"]),
        offline=bool(r["offline"]),
        snapshot_age_s=r["snapshot_age_s"],
        status=r["status"],
        outcome=json.loads(r["outcome"]) if r["outcome"] else None,
        settled=bool(r["settled"]),
        created_at=_when(r["created_at"]),
        acknowledged_at=_when(r["acknowledged_at"]),
        acknowledged_by=r["acknowledged_by"],
        resolution_action=r["resolution_action"],
        resolution_reason=r["resolution_reason"],
        resolved_by=r["resolved_by"],
    )


def _configure(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted customer data is zeroed
        cursor.execute("PRAGMA busy_timeout=10000")
        # Checkpoints run on the store's checkpointer thread; inline only as a backstop.
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cursor.execute("PRAGMA journal_size_limit=16777216")  # 16 MB kept after a big pull
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def _truncate_wal(raw: Any) -> None:
    """Deleted rows still stand in the WAL until a checkpoint copies the (zeroed,
    secure_delete) pages back and truncates it: do it now, not some day later."""
    raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
