"""Throwaway databases on each real backend, for the fixtures and for tests that need a database of their own."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

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
