"""Fixtures: a throwaway database on each real backend, migrated engines, the fake GitHub."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, delete, insert, text
from sqlalchemy.engine import URL, make_url

from shared import migrate
from shared.db import make_engine
from shared.models import Base, DatasetState
from tests import pgserver

SERVER_URLS = {
    "postgresql": os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mariadb": os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}
BACKENDS = ["sqlite", "postgresql", "mariadb"]


def _unavailable(backend: str, error: Exception) -> None:
    message = f"{backend} server does not answer at {SERVER_URLS[backend]}: {error}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class ThrowawayDatabases:
    """Creates empty databases on a backend and drops them all at the end of the run."""

    def __init__(self, backend: str, tmp_path_factory: pytest.TempPathFactory):
        self.backend = backend
        self.tmp = tmp_path_factory
        self.created: list[str] = []
        self.admin = None
        if backend != "sqlite":
            self.admin = create_engine(SERVER_URLS[backend], isolation_level="AUTOCOMMIT", pool_size=1)

    def create(self) -> URL:
        name = f"syncer_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return make_url(f"sqlite:///{self.tmp.mktemp('db') / 'portfolio.db'}")
        try:
            with self.admin.connect() as conn:
                if self.backend == "postgresql":
                    conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
                else:
                    conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
        except Exception as error:  # noqa: BLE001 - any connection problem means "server down"
            _unavailable(self.backend, error)
        self.created.append(name)
        return make_url(SERVER_URLS[self.backend]).set(database=name)

    def drop_all(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            for name in self.created:
                if self.backend == "postgresql":
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                else:
                    conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        self.admin.dispose()


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
