"""Prometheus metrics of one app: ops by outcome and reason, push/pull latency, requests,
and the active terminals counted from the database at scrape time.

Each app owns its registry (no global one). Under ``loyalty-server serve`` the worker
processes write their samples to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any
worker aggregates them all; the terminal gauge is read from the database, so every
instance reports the same, right value.
"""

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from sync_server.models.sync import Terminal
from sync_server.sync.messages import PushResponse

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000)
SYNC_ROUTES = {"/api/v1/sync/push": "push", "/api/v1/sync/pull": "pull"}


class Metrics:
    def __init__(self, engine: Engine, active_window: timedelta) -> None:
        self.multiprocess = MULTIPROC_ENV in os.environ
        self.registry = CollectorRegistry()
        r = self.registry
        self.ops = Counter(
            "loyalty_ops",
            "Card operations by source (push, api), outcome and reason code.",
            ["source", "outcome", "reason"],
            registry=r,
        )
        self.sync_seconds = Histogram(
            "loyalty_sync_request_seconds",
            "Time to answer a sync request, from its first byte in to the response out.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.push_batch_ops = Histogram(
            "loyalty_push_batch_ops",
            "Operations per push batch.",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "loyalty_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.divergence = Counter(
            "loyalty_sync_divergence",
            "Buckets a till re-pulled because its digest differed from the server's.",
            ["entity"],
            registry=r,
        )
        self.terminals = ActiveTerminals(engine, active_window)
        r.register(self.terminals)

    def count_push(self, response: PushResponse) -> None:
        self.push_batch_ops.observe(len(response.results))
        for result in response.results:
            self.count_op("push", result.status, result.code)

    def count_op(self, source: str, outcome: str, reason: str | None) -> None:
        self.ops.labels(source, outcome, reason or "none").inc()

    def count_divergence(self, buckets: dict[str, list[int]]) -> None:
        for entity, numbers in buckets.items():
            self.divergence.labels(entity).inc(len(numbers))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        endpoint = SYNC_ROUTES.get(route)
        if endpoint is not None:
            self.sync_seconds.labels(endpoint).observe(seconds)

    def exposition(self) -> bytes:
        if not self.multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self.terminals)
        return generate_latest(registry)


class ActiveTerminals(Collector):
    """Terminals by state, counted in the database when scraped (a till's last call is
    stamped on its row at most once a minute, see ``auth.tokens``)."""

    def __init__(self, engine: Engine, window: timedelta) -> None:
        self.engine = engine
        self.window = window

    def collect(self) -> Iterator[Metric]:
        since = datetime.now(UTC) - self.window
        paired = select(func.count()).select_from(Terminal).where(Terminal.revoked_at.is_(None))
        active = paired.where(Terminal.last_seen_at >= since)
        try:
            with self.engine.connect() as conn:
                counts = conn.scalar(active), conn.scalar(paired)
        except SQLAlchemyError as exc:
            log.warning("terminal gauges skipped: database unavailable (%s)", type(exc).__name__)
            return
        minutes = int(self.window.total_seconds() // 60)
        yield GaugeMetricFamily(
            "loyalty_active_terminals",
            f"Paired terminals that called the server in the last {minutes} minutes.",
            value=counts[0] or 0,
        )
        yield GaugeMetricFamily(
            "loyalty_paired_terminals", "Terminals paired and not revoked.", value=counts[1] or 0
        )
