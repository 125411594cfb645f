"""The read-only database role the README describes is enough for the API, and can write nothing."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import DBAPIError

from api import create_app
from shared import migrate
from shared.config import ApiSettings
from shared.db import make_engine
from shared.models import Language
from tests.api.data import owner, publish, readme, release, repository

# The tables the API reads (and so the README's grants); never http_cache or sync_lock.
API_TABLES = [
    "dataset_state",
    "repositories",
    "languages",
    "repository_languages",
    "contributors",
    "repository_contributors",
    "repository_extras",
    "sync_runs",
    "worker_heartbeats",
    "owners",
    "pins",
    "readmes",
    "releases",
    "refresh_requests",
    "webhook_deliveries",
]
PATHS = [
    "/api/v1/repos",
    "/api/v1/repos/alice/a",
    "/api/v1/languages",
    "/api/v1/contributors",
    "/api/v1/owners",
    "/api/v1/owners/alice",
    "/api/v1/status",
]
README = Path(__file__).parents[2] / "README.md"


@pytest.fixture
def role_url(backend, empty_db_url):
    """A migrated database and the URL of a new role with only the README's grants on it."""
    if backend == "sqlite":
        pytest.skip("SQLite has no roles; its read-only mode is tested in test_read_only.py")
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    publish(engine, repository(1, "alice/a"), owner(1, "alice", 1), readme(1, "<p>a</p>"), release(1, "v1"))
    engine.dispose()
    role, password, database = f"api_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex, empty_db_url.database
    admin = create_engine(empty_db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if backend == "postgresql":
            conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
            conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {role}'))
            conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
            conn.execute(text(f"GRANT SELECT ON {', '.join(API_TABLES)} TO {role}"))
            conn.execute(text(f"ALTER ROLE {role} SET default_transaction_read_only = on"))
        else:
            conn.execute(text(f"CREATE USER '{role}'@'%' IDENTIFIED BY '{password}'"))
            for table in API_TABLES:
                conn.execute(text(f"GRANT SELECT ON `{database}`.`{table}` TO '{role}'@'%'"))
    yield empty_db_url.set(username=role, password=password)
    with admin.connect() as conn:
        if backend == "postgresql":
            conn.execute(text(f'REVOKE ALL ON DATABASE "{database}" FROM {role}'))
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        else:
            conn.execute(text(f"DROP USER '{role}'@'%'"))
    admin.dispose()


@pytest.fixture
def role_engine(role_url):
    engine = make_engine(role_url, read_only=True)
    yield engine
    engine.dispose()


def test_the_readme_grants_select_on_exactly_the_tables_the_api_reads():
    grant = re.search(r"GRANT SELECT ON (dataset_state.*?) TO portfolio_api;", README.read_text(), re.S)

    assert grant is not None
    assert re.split(r",\s*", grant.group(1)) == API_TABLES


def test_the_api_answers_every_endpoint_through_the_read_only_role(role_engine):
    client = create_app(ApiSettings(), role_engine).test_client()

    assert [client.get(path).status_code for path in PATHS + ["/healthz"]] == [200] * (len(PATHS) + 1)


def test_the_read_only_role_cannot_write(role_url):
    plain = create_engine(role_url)  # not even the engine's read-only transactions in the way
    try:
        with pytest.raises(DBAPIError, match=r"(?i)denied|read-only"), plain.begin() as conn:
            conn.execute(insert(Language).values(name="Forbidden"))
    finally:
        plain.dispose()


def test_the_read_only_role_cannot_read_the_syncers_http_cache(role_url):
    plain = create_engine(role_url)
    try:
        with pytest.raises(DBAPIError, match=r"(?i)denied"), plain.connect() as conn:
            conn.execute(text("SELECT * FROM http_cache"))
    finally:
        plain.dispose()
