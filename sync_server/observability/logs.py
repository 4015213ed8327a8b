"""Logging: one JSON object per line (or plain text), the request id on every record.

Nothing here ever formats a header, a body or a query string: callers pass the few
fields worth keeping (``extra={"fields": {...}}``), so a PIN, a password, a device token
or a pairing code has no way into a log line.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sync_server.config import Settings

# Set by the request middleware; each request runs in its own task, so its own context.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestContext(logging.Filter):
    """Stamps the current request id on every record, whoever logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid is not None:
            entry["request_id"] = rid
        entry.update(_fields(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {"request_id": getattr(record, "request_id", None), **_fields(record)}
        tail = " ".join(f"{k}={v}" for k, v in extras.items() if v is not None)
        head, sep, rest = line.partition("\n")  # keep a traceback below the fields
        return f"{head} {tail}{sep}{rest}" if tail else line


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn to apply in the supervisor and in every
    worker. uvicorn's access log stays off: it would print query strings."""
    formatter = JsonFormatter if settings.log_format == "json" else PlainFormatter
    level = settings.log_level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": f"{__name__}.RequestContext"}},
        "formatters": {"main": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "main",
                "filters": ["request"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            # At INFO, SQLAlchemy would log every statement with its parameters.
            "sqlalchemy": {"level": "WARNING"},
            "alembic": {"level": "WARNING"},  # chatty on every readiness check
        },
    }
