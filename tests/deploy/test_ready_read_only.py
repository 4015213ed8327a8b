"""/health/ready is false on an instance whose database refuses writes: a standby after
a failover (or an address pointing at one) would answer every push with 500, so the
balancer must take the instance out. A hot standby's sessions are read-only exactly as
those of a database set to ``default_transaction_read_only``; that setting stands in
for the standby where no replicated cluster runs (the topology test checks a real one)."""

import pytest
from sqlalchemy.engine import make_url

from tests.dbs import _admin
from tests.deploy.test_health import _probe


@pytest.mark.postgres
def test_a_read_only_database_is_not_ready(pg_url):
    name = make_url(pg_url).database
    _admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')

    _, ready = _probe(pg_url)

    assert ready.status_code == 503
    body = ready.json()
    assert body["code"] == "DATABASE_READ_ONLY"
    assert body["detail"] == {"in_recovery": False, "transaction_read_only": True}


@pytest.mark.postgres
def test_the_same_database_taking_writes_is_ready(pg_url):
    _, ready = _probe(pg_url)

    assert ready.status_code == 200
