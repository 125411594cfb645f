"""Whole-process faults: a sync killed with SIGKILL, the database stopped in the middle of a sync."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import migrate
from shared.db import make_engine
from shared.models import SyncLock, SyncRun
from tests.helpers import (
    dump_dataset, expected_repositories, run_syncer, start_once, stored_repositories, syncer_env, wait_for_requests,
)


def test_sigkill_mid_sync_keeps_the_dataset_and_the_next_run_takes_over_at_once(fake, engine, db_url):
    ids = fake.populate(owners=["alice"], n=30)
    env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN="ghp_process_fault_token")
    assert run_syncer("once", env=env).returncode == 0
    before = dump_dataset(engine)
    for rid in ids[:10]:
        fake.push(rid)
    fake.delete_repo(ids[20])
    fake.latency = 0.05
    fake.reset_log()
    process = start_once(env)
    wait_for_requests(fake, 6)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert dump_dataset(engine) == before
    with Session(engine) as session:
        assert session.scalars(select(SyncLock)).one().pid == process.pid  # the dead holder's lease
    fake.latency = 0.0
    again = run_syncer("once", env=env)
    assert again.returncode == 0, again.stderr  # same host, pid gone: taken over without waiting
    assert "took over the sync lock" in again.stderr
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())
    with Session(engine) as session:
        statuses = [r.status for r in session.scalars(select(SyncRun).order_by(SyncRun.id))]
    assert statuses == ["success", "abandoned", "success"]


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_sigterm_abandons_the_sync_and_publishes_nothing(fake, engine, db_url):
    ids = fake.populate(owners=["alice"], n=30)
    env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN="ghp_process_fault_token")
    assert run_syncer("once", env=env).returncode == 0
    before = dump_dataset(engine)
    for rid in ids:
        fake.push(rid)
    fake.latency = 0.05
    fake.reset_log()
    process = start_once(env)
    wait_for_requests(fake, 6)
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=10)
    assert process.returncode == 1 and "sync abandoned" in stdout
    assert dump_dataset(engine) == before
    with Session(engine) as session:
        assert session.scalars(select(SyncLock)).all() == []


def test_database_stopped_during_a_sync_loses_nothing_and_the_next_run_recovers(fake, private_postgres):
    url = private_postgres.url
    engine = make_engine(url)
    migrate.upgrade(engine)
    ids = fake.populate(owners=["alice"], n=30)
    env = syncer_env(url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN="ghp_process_fault_token")
    assert run_syncer("once", env=env).returncode == 0
    before = dump_dataset(engine)
    engine.dispose()
    for rid in ids[:15]:
        fake.push(rid)
    fake.latency = 0.05
    fake.reset_log()
    process = start_once(env)
    wait_for_requests(fake, 4)
    private_postgres.stop()
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "database" in stdout + stderr
    private_postgres.start()
    private_postgres.wait_until_ready()
    engine = make_engine(url)
    assert dump_dataset(engine) == before
    fake.latency = 0.0
    again = run_syncer("once", env=env)
    assert again.returncode == 0, again.stderr
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())
    engine.dispose()
