"""Fixtures for the API: an app on the read-only engine of each backend's test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event

from api import create_app
from shared.config import ApiSettings
from shared.db import make_engine
from tests.api.data import migrated_sqlite


@pytest.fixture
def api_engine(db_url):
    """The kind of engine the API runs on: read-only."""
    engine = make_engine(db_url, read_only=True)
    yield engine
    engine.dispose()


@pytest.fixture
def make_client(api_engine):
    """A test client of a new app (fresh cache) on the read-only engine; settings as keyword arguments."""

    def make(**settings):
        return create_app(ApiSettings(**settings), api_engine).test_client()

    return make


@pytest.fixture
def client(make_client):
    return make_client()


class QueryCounter:
    """Counts the SELECT statements an engine sends (BEGIN and pings are not queries)."""

    def __init__(self, engine):
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append(statement)

    def take(self) -> int:
        count, self.statements = len(self.statements), []
        return count


@pytest.fixture
def queries(api_engine) -> QueryCounter:
    return QueryCounter(api_engine)


@pytest.fixture
def sqlite_url(tmp_path):
    """A migrated SQLite database of the test's own, for the tests that run on one backend only."""
    return migrated_sqlite(tmp_path / "portfolio.db")


@pytest.fixture
def sqlite_engine(sqlite_url) -> Iterator:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()
