"""Deploy tests run the real server process on SQLite (its PostgreSQL behaviour is the
API suite's concern); they share the suite's migrated template."""

import pytest

from tests.dbs import SqliteTemplates


@pytest.fixture
def sqlite_templates(_sqlite_templates: SqliteTemplates) -> SqliteTemplates:
    return _sqlite_templates
