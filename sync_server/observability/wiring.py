"""Attach metrics and the request middleware to an app (called by the app factory)."""

from datetime import timedelta

from fastapi import FastAPI

from sync_server.config import Settings
from sync_server.observability.metrics import Metrics
from sync_server.observability.requests import RequestObserver


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Add after the error handlers' middleware: the outermost middleware sees every
    response, a 413 included."""
    metrics = Metrics(app.state.engine, timedelta(minutes=settings.active_terminal_minutes))
    app.state.metrics = metrics
    app.add_middleware(RequestObserver, metrics=metrics)
