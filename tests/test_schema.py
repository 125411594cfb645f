"""The schema exists after `syncer db upgrade`, matches the models and stores text exactly."""

from __future__ import annotations

from datetime import datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from shared import migrate
from shared.db import make_engine
from shared.models import Base, DatasetState, Repository
from tests.helpers import run_syncer, syncer_env


def test_db_upgrade_subprocess_creates_every_table_seen_from_a_fresh_connection(empty_db_url):
    result = run_syncer("db", "upgrade", env=syncer_env(empty_db_url))
    assert result.returncode == 0, result.stderr
    assert "upgraded from empty to" in result.stdout

    fresh = create_engine(empty_db_url)  # a plain engine: nothing of ours runs on it
    try:
        tables = set(inspect(fresh).get_table_names())
        with fresh.connect() as conn:
            generation = conn.execute(text("SELECT generation FROM dataset_state WHERE id = 1")).scalar_one()
    finally:
        fresh.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert generation == 0


def _columns(engine) -> dict[str, list[tuple[str, str, bool]]]:
    with engine.connect() as conn:
        inspector = inspect(conn)
        return {
            table: [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]
            for table in inspector.get_table_names()
        }


def test_db_upgrade_twice_changes_nothing_the_second_time(empty_db_url):
    env = syncer_env(empty_db_url)
    assert run_syncer("db", "upgrade", env=env).returncode == 0
    engine = make_engine(empty_db_url)
    before = _columns(engine)
    second = run_syncer("db", "upgrade", env=env)
    assert second.returncode == 0, second.stderr
    assert "already at" in second.stdout
    after = _columns(engine)
    assert migrate.current(engine) == migrate.head()
    engine.dispose()
    assert before == after
    current = run_syncer("db", "current", env=env)
    assert current.returncode == 0 and "up to date" in current.stdout


def test_models_and_migrations_agree(empty_db_url):
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_repository_text_round_trips_exactly(engine):
    description = ("🚀 日本語の説明 — <b>&amp;</b> " * 20)[:350]
    assert len(description) == 350
    pushed = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    with Session(engine) as session, session.begin():
        session.add(
            Repository(
                id=2**40,
                owner_login="alice",
                name="rocket",
                full_name="alice/rocket",
                description=description,
                html_url="https://github.com/alice/rocket",
                homepage=None,
                topics=["émoji", "中文"],
                pushed_at=pushed,
            )
        )
    with Session(make_engine(engine.url)) as session:
        stored = session.scalars(select(Repository)).one()
        assert stored.id == 2**40
        assert stored.description == description
        assert stored.homepage is None
        assert stored.topics == ["émoji", "中文"]
        assert stored.pushed_at == pushed and stored.pushed_at.tzinfo is not None


def test_dataset_state_starts_at_generation_zero(engine):
    with Session(engine) as session:
        state = session.get(DatasetState, 1)
        assert state.generation == 0 and state.synced_at is None


def test_upgrading_an_older_schema_keeps_its_rows(empty_db_url):
    from alembic import command

    from shared.migrate import _config

    engine = make_engine(empty_db_url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0001_initial")
        conn.execute(text(
            "INSERT INTO worker_heartbeats (id, host, pid, started_at, last_seen_at) "
            "VALUES ('box:1', 'box', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ))
    result = run_syncer("db", "upgrade", env=syncer_env(empty_db_url))
    assert result.returncode == 0, result.stderr
    assert "upgraded from 0001_initial to" in result.stdout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, heartbeat_seconds FROM worker_heartbeats")).all() == [("box:1", None)]
    engine.dispose()
