"""`syncer run` as a real process: it starts, syncs in its window, keeps a heartbeat and stops cleanly."""

from __future__ import annotations

import signal
import time
import socket
from datetime import datetime, time as clock, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shared import migrate
from shared.config import GitHubSettings, Secret
from shared.db import make_engine
from shared.models import SyncLock, SyncRun, WorkerHeartbeat
from syncer.service import sync_now
from tests.helpers import dump_dataset, expected_repositories, run_syncer, stored_repositories, syncer_env
from tests.worker.processes import TOKEN, mark_synced, window_ahead, worker_env

ONLY_SQLITE = pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
SQLITE_AND_POSTGRESQL = pytest.mark.parametrize("databases", ["sqlite", "postgresql"], indirect=True)


def runs(engine) -> list[SyncRun]:
    with Session(engine) as session:
        return list(session.scalars(select(SyncRun).order_by(SyncRun.id)))


def heartbeat(engine, pid: int) -> WorkerHeartbeat:
    with Session(engine) as session:
        return session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.pid == pid)).one()


def logged_time(line: str) -> datetime:
    """The instant in a "next sync at 2025-01-02 03:04:05 UTC" log line."""
    stamp = line.split("next sync at ", 1)[1][:19]
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("UTC"))


def test_syncs_at_start_up_when_there_is_no_dataset(empty_db_url, fake, start_worker):
    worker = start_worker(worker_env(empty_db_url, fake, LOG_LEVEL="DEBUG"))
    started = worker.wait_for("scheduler started; next sync at")
    assert "right away: no dataset yet" in started
    worker.wait_for("sync starting")
    worker.wait_for("sync success")
    status, _ = worker.stop()
    assert status == 0, worker.log
    assert worker.count("scheduler started") == 1
    assert TOKEN not in worker.log
    engine = make_engine(empty_db_url)  # the worker brought the empty database's schema to head
    try:
        assert stored_repositories(engine) == expected_repositories(fake.snapshot())
        assert [(r.trigger, r.status) for r in runs(engine)] == [("schedule", "success")]
    finally:
        engine.dispose()


@SQLITE_AND_POSTGRESQL
def test_syncs_in_a_window_a_few_seconds_ahead_then_tomorrow(db_url, engine, fake, start_worker):
    mark_synced(engine, ago=timedelta(hours=1))
    window, opens, closes = window_ahead(opens_in=4, lasts=3)
    worker = start_worker(worker_env(db_url, fake, SYNC_WINDOW=window))
    first = logged_time(worker.wait_for("scheduler started; next sync at"))
    assert opens <= first < closes and "right away" not in worker.log
    assert abs(heartbeat(engine, worker.pid).next_run_at - first) < timedelta(seconds=1)
    worker.wait_for("sync success", timeout=20)
    tomorrow = logged_time(worker.wait_for(": next sync at", timeout=5))
    assert opens + timedelta(days=1) <= tomorrow < closes + timedelta(days=1)
    deadline = time.monotonic() + 3  # recorded as the sync ends, not at the next beat (30 s away)
    while abs(heartbeat(engine, worker.pid).next_run_at - tomorrow) >= timedelta(seconds=1):
        assert time.monotonic() < deadline, "the next sync was not recorded when the sync ended"
        time.sleep(0.1)
    status, _ = worker.stop()
    assert status == 0, worker.log
    [run] = runs(engine)
    assert run.status == "success" and opens <= run.started_at < closes + timedelta(seconds=2)


def test_heartbeat_names_a_next_run_inside_the_window_and_the_stop(db_url, engine, fake, start_worker):
    mark_synced(engine, ago=timedelta(hours=1))
    now = datetime.now(timezone.utc)
    with Session(engine) as session, session.begin():
        for name, seen in (("gone-host:1", now - timedelta(days=8)), ("recent-host:2", now - timedelta(days=1))):
            session.add(WorkerHeartbeat(id=name, host=name.split(":")[0], pid=int(name[-1]), started_at=seen,
                                        last_seen_at=seen, stopped_at=seen))
    oslo = ZoneInfo("Europe/Oslo")
    worker = start_worker(worker_env(db_url, fake, SYNC_TIMEZONE="Europe/Oslo", SYNC_WINDOW="02:00-05:00",
                                     WORKER_HEARTBEAT_SECONDS="0.3"))
    assert "daily window 02:00-05:00 Europe/Oslo" in worker.wait_for("scheduler started")
    with Session(engine) as session:  # workers unseen for a week are forgotten, recent ones kept
        assert {h.host for h in session.scalars(select(WorkerHeartbeat))} == {"recent-host", socket.gethostname()}
    first = heartbeat(engine, worker.pid)
    assert first.id == f"{first.host}:{worker.pid}" and first.stopped_at is None
    assert first.heartbeat_seconds == 1  # 0.3 s, rounded up: the API judges freshness by it
    assert clock(2) <= first.next_run_at.astimezone(oslo).time() < clock(5)
    time.sleep(1.5)
    later = heartbeat(engine, worker.pid)
    assert later.last_seen_at > first.last_seen_at and later.next_run_at == first.next_run_at
    status, _ = worker.stop(signal.SIGINT)
    assert status == 0, worker.log
    stopped = heartbeat(engine, worker.pid)
    assert stopped.stopped_at is not None and stopped.next_run_at is None


@ONLY_SQLITE
def test_time_zone_defaults_to_the_machines(db_url, engine, fake, start_worker):
    mark_synced(engine, ago=timedelta(hours=1))
    env = worker_env(db_url, fake, TZ="Europe/Oslo")
    del env["SYNC_TIMEZONE"]
    worker = start_worker(env)
    started = worker.wait_for("scheduler started")
    assert started.endswith("02:00-05:00 Europe/Oslo; refresh every 900 s") and (" CET;" in started or " CEST;" in started)
    assert worker.stop()[0] == 0


@SQLITE_AND_POSTGRESQL
def test_two_workers_race_for_the_lock_one_syncs_the_other_skips(db_url, engine, fake, start_worker):
    fake.latency = 0.15  # the first sync lasts a few seconds
    first = start_worker(worker_env(db_url, fake))
    first.wait_for("sync starting")
    second = start_worker(worker_env(db_url, fake))
    skipped = second.wait_for("sync skipped")
    assert f"pid {first.pid} on " in skipped
    first.wait_for("sync success", timeout=30)
    second.wait_for(": next sync at")  # it keeps running, waiting for its window
    assert second.process.poll() is None
    assert [r.pid for r in runs(engine)] == [first.pid]
    assert first.stop()[0] == 0 and second.stop()[0] == 0


def test_sigterm_during_a_sync_leaves_the_dataset_intact_and_exits_0(db_url, engine, fake, start_worker):
    settings = GitHubSettings(api_url=fake.url, token=Secret(TOKEN), owners=("alice",))
    assert sync_now(engine, settings, trigger="once").ok
    before = dump_dataset(engine)
    for repo in fake.snapshot():
        fake.push(repo["id"])  # the next sync would fetch every repository again
    mark_synced(engine, ago=timedelta(days=2))
    fake.latency = 0.2
    fake.reset_log()
    worker = start_worker(worker_env(db_url, fake))
    assert "right away: the last sync was 48.0 h ago" in worker.wait_for("scheduler started")
    worker.wait_for("sync starting")
    deadline = time.monotonic() + 20
    while not any(r.path.endswith("/languages") for r in fake.requests):  # the sync is in flight
        assert time.monotonic() < deadline, worker.log
        time.sleep(0.05)
    status, seconds = worker.stop(signal.SIGTERM)
    assert status == 0, worker.log
    assert seconds < 5
    assert "sync abandoned" in worker.log
    assert dump_dataset(engine) == before
    assert [r.status for r in runs(engine)] == ["success", "abandoned"]
    with Session(engine) as session:
        assert session.scalars(select(SyncLock)).all() == []


@ONLY_SQLITE
def test_a_run_missed_while_frozen_is_logged_and_tomorrow_planned(db_url, engine, fake, start_worker):
    mark_synced(engine, ago=timedelta(hours=1))
    window, opens, closes = window_ahead(opens_in=6, lasts=1)  # a late run is allowed 1 s
    worker = start_worker(worker_env(db_url, fake, SYNC_WINDOW=window))
    worker.wait_for("scheduler started")
    worker.process.send_signal(signal.SIGSTOP)
    time.sleep((closes - datetime.now(opens.tzinfo)).total_seconds() + 2)
    worker.process.send_signal(signal.SIGCONT)
    assert "was missed" in worker.wait_for("the sync due at")  # the other jobs' missed turns are logged too
    assert opens + timedelta(days=1) <= logged_time(worker.wait_for(": next sync at")) < closes + timedelta(days=1)
    status, _ = worker.stop()
    assert status == 0, worker.log
    assert runs(engine) == []


@ONLY_SQLITE
def test_a_failing_sync_is_logged_and_the_worker_keeps_running(empty_db_url, fake, start_worker):
    engine = make_engine(empty_db_url)  # a database of its own: the test drops a table other tests need
    try:
        migrate.upgrade(engine)
        mark_synced(engine, ago=timedelta(hours=1))
        window, _, _ = window_ahead(opens_in=6, lasts=1)
        worker = start_worker(worker_env(empty_db_url, fake, SYNC_WINDOW=window))
        worker.wait_for("scheduler started")
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE sync_lock"))
        failed = worker.wait_for("the sync failed: database error")
        assert "sync_lock" in failed and "Traceback" not in worker.log
        worker.wait_for(": next sync at")
        assert worker.process.poll() is None
        assert worker.stop()[0] == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("setting", "value"),
    [("SYNC_WINDOW", "02:00-25:00"), ("SYNC_TIMEZONE", "Mars/Olympus_Mons"), ("GITHUB_OWNERS", "")],
)
def test_wrong_settings_are_one_line_and_exit_2(tmp_path, setting, value):
    env = syncer_env(**{"GITHUB_OWNERS": "alice", setting: value})
    result = run_syncer("run", env=env, cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing touched the database


@ONLY_SQLITE
def test_whatever_raises_after_registering_the_heartbeat_is_torn_down(db_url, engine, fake, monkeypatch):
    from shared.config import ScheduleSettings
    from syncer.worker import Worker

    mark_synced(engine, ago=timedelta(hours=1))
    worker = Worker(engine, GitHubSettings(api_url=fake.url, owners=("alice",)), ScheduleSettings())

    def broken(_first_sync):
        raise RuntimeError("scheduling failed")

    monkeypatch.setattr(worker, "schedule_jobs", broken)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    try:
        with pytest.raises(RuntimeError, match="scheduling failed"):
            worker.work()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    stopped = heartbeat(engine, worker.pid)
    assert stopped.stopped_at is not None and stopped.next_run_at is None
    assert worker.stop.is_set()
