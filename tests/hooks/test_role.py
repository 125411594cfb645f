"""The receiver's database role from the README is enough for it, and can touch nothing published."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import DBAPIError

from shared import migrate
from shared.config import DatabaseSettings, HooksSettings, Secret
from shared.db import make_engine
from shared.models import Language
from syncer.hooks.app import create_app
from syncer.hooks.deliveries import only_webhook_tables, prune
from tests.fakehooks import PATH
from tests.hooks.receiver import OWNERS, SECRET

TABLES = "refresh_requests, webhook_deliveries"


def grant(conn, backend: str, role: str, password: str, database: str) -> None:
    """Exactly the README's grants."""
    if backend == "postgresql":
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {role}'))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT SELECT ON alembic_version TO {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, DELETE ON {TABLES} TO {role}"))
        conn.execute(text(f"GRANT USAGE ON SEQUENCE refresh_requests_id_seq, webhook_deliveries_id_seq TO {role}"))
    else:
        conn.execute(text(f"CREATE USER '{role}'@'%' IDENTIFIED BY '{password}'"))
        conn.execute(text(f"GRANT SELECT ON `{database}`.`alembic_version` TO '{role}'@'%'"))
        for table in TABLES.split(", "):
            conn.execute(text(f"GRANT SELECT, INSERT, DELETE ON `{database}`.`{table}` TO '{role}'@'%'"))


@pytest.fixture
def role_url(backend, empty_db_url):
    """A migrated database and the URL of a new role with only the README's receiver grants."""
    if backend == "sqlite":
        pytest.skip("SQLite has no roles; the receiver's engine guard is tested in test_receiver.py")
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    engine.dispose()
    role, password = f"hooks_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    admin = create_engine(empty_db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        grant(conn, backend, role, password, empty_db_url.database)
    yield empty_db_url.set(username=role, password=password)
    with admin.connect() as conn:
        if backend == "postgresql":
            conn.execute(text(f'REVOKE ALL ON DATABASE "{empty_db_url.database}" FROM {role}'))
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        else:
            conn.execute(text(f"DROP USER '{role}'@'%'"))
    admin.dispose()


def test_the_receiver_works_through_its_role(role_url, hooks):
    engine = only_webhook_tables(make_engine(role_url))
    settings = HooksSettings(secret=Secret(SECRET), owners=OWNERS, database=DatabaseSettings(role_url), port=0)
    client = create_app(settings, engine).test_client()
    push = hooks.push(1000)
    try:
        assert migrate.current(engine) == migrate.head()  # the start-up check
        answers = [client.post(PATH, data=d.body, headers=d.headers).status_code
                   for d in (push, push, hooks.ping(1000), hooks.organization("acme-org", "renamed"))]
        assert answers == [202, 200, 200, 202]
        assert prune(engine, datetime.now(timezone.utc)) == (0, 0)
        assert client.get("/healthz").status_code == 200
    finally:
        engine.dispose()


def test_the_receivers_role_cannot_write_published_tables(role_url):
    plain = create_engine(role_url)
    try:
        with pytest.raises(DBAPIError, match=r"(?i)denied"), plain.begin() as conn:
            conn.execute(insert(Language).values(name="Forbidden"))
        with pytest.raises(DBAPIError, match=r"(?i)denied"), plain.connect() as conn:
            conn.execute(text("SELECT * FROM repositories"))
    finally:
        plain.dispose()
