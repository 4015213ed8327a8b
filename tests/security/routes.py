"""The app's routes read from FastAPI itself, so a new endpoint is covered by the gate
tests the day it is added, without anyone updating a list."""

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from sync_server.api.deps import get_actor, get_holding_terminal, require_owner, require_person
from sync_server.api.sync import require_terminal

# The held request's till is authenticated and gated in one call (no transaction may
# stay open while it waits): it stands for both gates.
_STANDS_FOR = {get_actor: get_holding_terminal, require_terminal: get_holding_terminal}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _walk(routes: Any) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route), through included routers (kept lazily by FastAPI >= 0.16x)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path, route
        elif hasattr(route, "effective_candidates"):
            yield from _walk(route.effective_candidates())
        elif isinstance(getattr(route, "original_route", None), APIRoute):
            yield route.path, route.original_route


def all_operations(app: FastAPI) -> list[tuple[str, str]]:
    return sorted((m, path) for path, route in _walk(app.routes) for m in route.methods)


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def operations(app: FastAPI, gate: Callable[..., Any]) -> list[tuple[str, str]]:
    """(method, concrete path) of every route whose dependencies include ``gate``."""
    gates = {gate, _STANDS_FOR.get(gate, gate)}
    return sorted(
        (method, _sample(path))
        for path, route in _walk(app.routes)
        if gates & set(_calls(route.dependant))
        for method in route.methods
    )


def open_operations(app: FastAPI) -> list[tuple[str, str]]:
    """Routes that ask for no token at all."""
    return sorted(
        (method, path)
        for path, route in _walk(app.routes)
        if not {get_actor, get_holding_terminal} & set(_calls(route.dependant))
        for method in route.methods
    )


def authenticated(app: FastAPI) -> list[tuple[str, str]]:
    return operations(app, get_actor)


def owner_only(app: FastAPI) -> list[tuple[str, str]]:
    return operations(app, require_owner)


def people_only(app: FastAPI) -> list[tuple[str, str]]:
    """Owner or store manager: staff management, the attention list."""
    return operations(app, require_person)
