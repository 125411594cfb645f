"""Fixtures: a throwaway database on each real backend, migrated engines, the fake GitHub."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, insert
from sqlalchemy.engine import URL

from shared import migrate
from shared.db import make_engine
from shared.models import Base, DatasetState
from tests import pgserver
from tests.databases import BACKENDS, ThrowawayDatabases

@pytest.fixture(scope="session", params=BACKENDS)
def databases(request, tmp_path_factory) -> Iterator[ThrowawayDatabases]:
    """The factory of throwaway databases for one backend (every data test runs on all three)."""
    factory = ThrowawayDatabases(request.param, tmp_path_factory)
    yield factory
    factory.drop_all()


@pytest.fixture
def backend(databases) -> str:
    return databases.backend


@pytest.fixture
def empty_db_url(databases) -> URL:
    """A brand-new empty database of its own."""
    return databases.create()


@pytest.fixture(scope="session")
def _migrated_url(databases) -> URL:
    url = databases.create()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def db_url(_migrated_url) -> Iterator[URL]:
    """A migrated database shared by the run's tests on this backend, emptied before each test."""
    engine = make_engine(_migrated_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
        conn.execute(insert(DatasetState).values(id=1, generation=0))
    engine.dispose()
    yield _migrated_url


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def private_postgres():
    """A PostgreSQL server of the test's own, which it may stop and start (see tests/pgserver.py)."""
    if not pgserver.available():
        message = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = pgserver.PrivatePostgres()
    yield server
    server.destroy()


def pytest_terminal_summary(terminalreporter) -> None:
    """One line saying how many tests passed on each database backend, for the CI log."""
    passed = terminalreporter.stats.get("passed", [])
    counts = {backend: sum(f"[{backend}" in r.nodeid or f"-{backend}" in r.nodeid for r in passed)
              for backend in BACKENDS}
    terminalreporter.write_line("passed per database backend: " + ", ".join(f"{b} {n}" for b, n in counts.items()))
