"""`syncer run`: the long-running worker that syncs once a day inside the window until it is stopped.

Its life, top to bottom: bring the schema to head, register a heartbeat, schedule the syncs and
the heartbeat, serve until SIGTERM or SIGINT, let a sync in flight abandon (it rolls back and
releases the lock), mark the heartbeat stopped.

The stop signals are blocked in every thread and taken by one thread with sigwait(): no signal
handler interrupts the scheduler halfway through its own work.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import SQLAlchemyError

from shared import migrate
from shared.clock import utcnow
from shared.config import GitHubSettings, ScheduleSettings
from shared.db import transaction
from shared.models import DatasetState, WorkerHeartbeat
from syncer.lock import LockHeld
from syncer.schedule import WindowTrigger, zone_name
from syncer.service import sync_now

log = logging.getLogger(__name__)

SYNC_JOB = "sync"
HEARTBEAT_JOB = "heartbeat"
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
HEARTBEAT_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class FirstSync:
    """When the worker syncs first after it starts, and why then."""

    at: datetime
    reason: str  # for the start-up log line; "" when it is simply the next window


def run_worker(engine: Engine, github: GitHubSettings, schedule: ScheduleSettings) -> None:
    """Run the worker until SIGTERM or SIGINT."""
    Worker(engine, github, schedule).work()


class Worker:
    """One `syncer run` process, identified as "host:pid" in its heartbeat."""

    def __init__(self, engine: Engine, github: GitHubSettings, schedule: ScheduleSettings):
        self.engine = engine
        self.github = github
        self.schedule = schedule
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.id = f"{self.host}:{self.pid}"
        self.stop = threading.Event()
        self.started = threading.Event()
        self.executor = ThreadPoolExecutor(max_workers=2)  # the sync and the heartbeat, one of each
        self.scheduler = BlockingScheduler(timezone=schedule.timezone, executors={"default": self.executor})
        self.zone = self.scheduler.timezone  # SYNC_TIMEZONE, else the machine's zone as APScheduler finds it
        self.trigger = WindowTrigger(schedule.window, self.zone)
        self.first_sync: FirstSync | None = None

    def work(self) -> None:
        """The whole life of the process; whatever raises once the heartbeat is registered, teardown runs."""
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # before any thread starts: all inherit it
        threading.Thread(target=self.wait_for_stop_signal, name="stop-signal", daemon=True).start()
        migrate.upgrade(self.engine)
        self.first_sync = self.plan_first_sync()
        self.register_birth(self.first_sync.at)
        try:
            self.schedule_jobs(self.first_sync.at)
            self.scheduler.start()  # blocks until wait_for_stop_signal shuts the scheduler down
        finally:
            self.teardown()

    def teardown(self) -> None:
        """Let a sync in flight abandon (it has seen the stop event, rolls back and releases the
        lock), then mark the heartbeat stopped."""
        self.stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.executor.shutdown(wait=True)
        try:
            self.register_death()
        except SQLAlchemyError as error:
            log.error("could not mark the heartbeat stopped: %s", str(error).splitlines()[0])
        log.info("worker stopped")

    # -- start-up ------------------------------------------------------------------------------

    def plan_first_sync(self) -> FirstSync:
        """Right away when there is no dataset or it is older than SYNC_MAX_AGE_HOURS, else in the window."""
        now = datetime.now(self.zone)
        with transaction(self.engine) as session:
            state = session.get(DatasetState, 1)
        synced_at = state.synced_at if state else None
        if synced_at is None:
            return FirstSync(now, "right away: no dataset yet")
        if now - synced_at > self.schedule.max_age:
            hours = (now - synced_at) / timedelta(hours=1)
            return FirstSync(now, f"right away: the last sync was {hours:.1f} h ago")
        # The window the last sync ran in is done for the day, also across restarts.
        return FirstSync(self.trigger.get_next_fire_time(synced_at, now), "")

    def register_birth(self, first_sync: datetime) -> None:
        """Record this worker's heartbeat; forget workers not seen for a week."""
        now = utcnow()
        with transaction(self.engine) as session:
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen_at < now - HEARTBEAT_RETENTION))
            session.merge(
                WorkerHeartbeat(id=self.id, host=self.host, pid=self.pid, started_at=now, last_seen_at=now,
                                next_run_at=first_sync, stopped_at=None,
                                heartbeat_seconds=math.ceil(self.schedule.heartbeat_interval))
            )

    def schedule_jobs(self, first_sync: datetime) -> None:
        window_seconds = int(self.schedule.window.length.total_seconds())
        heartbeat_seconds = self.schedule.heartbeat_interval
        # A run late by less than the window is long still happens; missed runs are coalesced.
        self.scheduler.add_job(self.sync, self.trigger, id=SYNC_JOB, name="sync", next_run_time=first_sync,
                               misfire_grace_time=max(1, window_seconds), coalesce=True, max_instances=1)
        self.scheduler.add_job(self.beat, "interval", seconds=heartbeat_seconds, id=HEARTBEAT_JOB,
                               name="heartbeat", misfire_grace_time=max(1, int(heartbeat_seconds)),
                               coalesce=True, max_instances=1)
        self.scheduler.add_listener(self.on_started, EVENT_SCHEDULER_STARTED)
        self.scheduler.add_listener(self.on_job_ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    def on_started(self, _event) -> None:
        reason = f" ({self.first_sync.reason})" if self.first_sync and self.first_sync.reason else ""
        log.info("scheduler started; next sync at %s%s; daily window %s %s", self.when(self.next_sync()),
                 reason, self.schedule.window, zone_name(self.zone))
        self.started.set()

    # -- the jobs ------------------------------------------------------------------------------

    def sync(self) -> None:
        """The sync job: one sync under the lock, skipped when another sync holds it."""
        if self.stop.is_set():
            return
        log.info("sync starting")
        try:
            sync_now(self.engine, self.github, trigger="schedule", stop=self.stop)  # logs its summary
        except LockHeld as held:
            log.warning("sync skipped: %s", held)

    def beat(self) -> None:
        """The heartbeat job: this worker is alive and syncs next at ..."""
        self.write_heartbeat(last_seen_at=utcnow(), next_run_at=self.next_sync())

    def on_job_ended(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("the %s due at %s was missed: the worker was busy or the machine asleep",
                        event.job_id, self.when(event.scheduled_run_time))
        elif event.code == EVENT_JOB_ERROR and isinstance(event.exception, SQLAlchemyError):
            log.error("the %s failed: database error: %s", event.job_id, str(event.exception).splitlines()[0])
        elif event.code == EVENT_JOB_ERROR:
            log.error("the %s crashed", event.job_id, exc_info=event.exception)
        if event.job_id == SYNC_JOB and not self.stop.is_set():
            # Asked of the trigger (it answers the same every time), not of the job: a run that ends
            # at once is reported before the scheduler has stored the job's next run time.
            upcoming = self.trigger.get_next_fire_time(event.scheduled_run_time, datetime.now(self.zone))
            log.info("next sync at %s", self.when(upcoming))
            self.record_next_sync(upcoming)

    # -- stopping ------------------------------------------------------------------------------

    def wait_for_stop_signal(self) -> None:
        """SIGTERM or SIGINT: a sync in flight abandons, the scheduler's loop ends (once it has begun)."""
        signum = signal.sigwait(STOP_SIGNALS)
        log.info("%s received: stopping", signal.Signals(signum).name)
        self.stop.set()
        self.started.wait()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def register_death(self) -> None:
        now = utcnow()
        self.write_heartbeat(last_seen_at=now, stopped_at=now, next_run_at=None)

    # -- helpers -------------------------------------------------------------------------------

    def record_next_sync(self, upcoming: datetime | None) -> None:
        """As soon as a sync ends, readers see the next one (not the moment that just passed)."""
        try:
            self.write_heartbeat(last_seen_at=utcnow(), next_run_at=upcoming)
        except SQLAlchemyError as error:
            log.warning("could not record the next sync time: %s", str(error).splitlines()[0])

    def write_heartbeat(self, **values) -> None:
        with transaction(self.engine) as session:
            session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.id == self.id).values(**values))

    def next_sync(self) -> datetime | None:
        job = self.scheduler.get_job(SYNC_JOB)
        return job.next_run_time if job else None

    def when(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%Y-%m-%d %H:%M:%S %Z}"

