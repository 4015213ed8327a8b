"""The till's SQLite schema, versioned with ``PRAGMA user_version`` and upgraded in
place: an app update must never lose the outbox."""

from collections.abc import Callable

from sqlalchemy import Connection, text

from desktop.engine import customer_cache

# Each step takes the database from version i to i + 1. Append, never edit.
STEPS: list[Callable[[Connection], None]] = []


def step(fn: Callable[[Connection], None]) -> Callable[[Connection], None]:
    STEPS.append(fn)
    return fn


@step
def _v1(conn: Connection) -> None:
    conn.exec_driver_sql("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.exec_driver_sql(
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,
            op_id TEXT NOT NULL UNIQUE,
            card_number TEXT NOT NULL,
            body TEXT NOT NULL,
            staff_pin_id INTEGER,
            client_time TEXT NOT NULL,
            offline INTEGER NOT NULL,
            snapshot_age_s INTEGER,
            status TEXT NOT NULL DEFAULT 'pending',
            outcome TEXT
        )"""
    )
    conn.exec_driver_sql("CREATE INDEX ix_outbox_status ON outbox (status, seq)")
    conn.exec_driver_sql("CREATE INDEX ix_outbox_card ON outbox (card_number, status)")
    conn.exec_driver_sql(
        "CREATE TABLE cards (card_number TEXT PRIMARY KEY, id INTEGER, customer_id INTEGER, "
        "state TEXT NOT NULL)"
    )
    conn.exec_driver_sql(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, "
        "phone TEXT)"
    )
    conn.exec_driver_sql(
        "CREATE TABLE staff_pins (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "pin_hash TEXT NOT NULL, is_active INTEGER NOT NULL, failed_attempts INTEGER NOT NULL, "
        "locked_until TEXT)"
    )


@step
def _v2(conn: Connection) -> None:
    """Merged card numbers, and when each outbox row was written (for the UI)."""
    conn.exec_driver_sql(
        "CREATE TABLE aliases (card_number TEXT PRIMARY KEY, card_id INTEGER NOT NULL)"
    )
    conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN created_at TEXT")


@step
def _v3(conn: Connection) -> None:
    """Wrong PINs typed here, queued for the server so lockout counts across tills."""
    conn.exec_driver_sql(
        "CREATE TABLE pin_failures (event_id TEXT PRIMARY KEY, staff_pin_id INTEGER NOT NULL, "
        "occurred_at TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0)"
    )


@step
def _v4(conn: Connection) -> None:
    """This store's ledger (voids and order references offline), when an applied op is
    in the pulled snapshot (``settled``), and acknowledgement of the attention list."""
    conn.exec_driver_sql(
        "CREATE TABLE transactions (id INTEGER PRIMARY KEY, card_id INTEGER NOT NULL, "
        "type TEXT NOT NULL, stamps_delta INTEGER NOT NULL, points_delta INTEGER NOT NULL, "
        "order_reference TEXT, related_transaction_id INTEGER, reward_id TEXT, "
        "created_at TEXT NOT NULL)"
    )
    conn.exec_driver_sql("CREATE INDEX ix_transactions_card ON transactions (card_id, id)")
    conn.exec_driver_sql(
        "CREATE INDEX ix_transactions_related ON transactions (related_transaction_id)"
    )
    conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN settled INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN acknowledged_at TEXT")
    conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN acknowledged_by TEXT")


@step
def _v5(conn: Connection) -> None:
    """Progressive PIN lockout (common/pins.py): lockouts since a manager's unlock and
    the day's wrong entries, pulled with the PIN (NULL from an older server: none)."""
    for column in ("lockout_level INTEGER", "daily_failures INTEGER", "daily_since TEXT"):
        conn.exec_driver_sql(f"ALTER TABLE staff_pins ADD COLUMN {column}")


@step
def _v6(conn: Connection) -> None:
    """Customers minimised (desktop/engine/customer_cache.py): a short name, a masked
    email and keyed digests instead of the email, name and phone. Rows already held
    are converted in place; the old table's pages are zeroed (secure_delete) as it goes."""
    conn.exec_driver_sql("PRAGMA secure_delete = ON")
    rows = conn.exec_driver_sql("SELECT id, email, name, phone FROM customers").all()
    conn.exec_driver_sql("DROP TABLE customers")
    conn.exec_driver_sql(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email_hint TEXT, "
        "email_key TEXT, phone_key TEXT)"
    )
    conn.exec_driver_sql("CREATE INDEX ix_customers_email_key ON customers (email_key)")
    conn.exec_driver_sql("CREATE INDEX ix_customers_phone_key ON customers (phone_key)")
    kept = customer_cache.minimised(
        customer_cache.lookup_key(conn), ("id", "email", "name", "phone"), rows
    )
    if kept:
        conn.exec_driver_sql(
            "INSERT INTO customers (id, name, email_hint, email_key, phone_key) "
            "VALUES (?, ?, ?, ?, ?)",
            kept,
        )


@step
def _v7(conn: Connection) -> None:
    """How an item of the attention list was resolved (re-applied or dismissed, by whom,
    why), decided here or by the owner and pulled back, so the till shows it."""
    for column in ("resolution_action", "resolution_reason", "resolved_by"):
        conn.exec_driver_sql(f"ALTER TABLE outbox ADD COLUMN {column} TEXT")


def version(conn: Connection) -> int:
    return int(conn.execute(text("PRAGMA user_version")).scalar_one())


def upgrade(conn: Connection, target: int | None = None) -> int:
    """Apply the missing steps, each with its version bump, in one transaction."""
    goal = len(STEPS) if target is None else target
    current = version(conn)
    for index in range(current, goal):
        STEPS[index](conn)
        conn.exec_driver_sql(f"PRAGMA user_version = {index + 1}")
    return goal
