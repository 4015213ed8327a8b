"""The hostile suite reaches every endpoint the server publishes: a new route without
a baseline request in tests/hostile/endpoints.py would go unprobed, and this fails."""

import re

from fastapi import FastAPI

from tests.hostile.endpoints import ENDPOINTS

# Probes and documents: no input beyond the path, nothing stored.
UNPROBED = {("GET", "/health"), ("GET", "/health/ready")}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def test_every_published_endpoint_has_a_baseline_request(app: FastAPI) -> None:
    probed = {(e.method, _shape(e.path)) for e in ENDPOINTS}
    published = {
        (method.upper(), _shape(path))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }

    assert published - UNPROBED - probed == set()
