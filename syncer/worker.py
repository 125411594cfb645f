"""`syncer run`: the long-running worker that keeps the published data fresh until it is stopped.

Its life, top to bottom: bring the schema to head, register a heartbeat, schedule the jobs, serve
until SIGTERM or SIGINT, let a sync in flight abandon (it rolls back and releases the lock), mark
the heartbeat stopped. The jobs: the nightly full sync inside the window (every repository's
details asked again, conditionally), a light refresh every SYNC_REFRESH_INTERVAL (list pages
only), the refresh requests webhooks recorded (polled every second, a burst taken as one), a
retry right after the reset when a full sync ended on the rate limit, and the heartbeat. Syncs
run one at a time; a light one that finds another running skips quietly.

The stop signals are blocked in every thread and taken by one thread with sigwait(): no signal
handler interrupts the scheduler halfway through its own work.
"""

from __future__ import annotations

import logging
import math
import os
import random
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
from shared.models import DatasetState, RunStatus, WorkerHeartbeat
from syncer.fetch import Plan, Target
from syncer.lock import LockHeld
from syncer.refresh_requests import Refresh, mark_done, mark_failed, pending_requests
from syncer.schedule import WindowTrigger, zone_name
from syncer.service import RunReport, sync_now

log = logging.getLogger(__name__)

SYNC_JOB = "sync"
RETRY_JOB = "retry"
REFRESH_JOB = "refresh"
REQUESTS_JOB = "requests"
HEARTBEAT_JOB = "heartbeat"
REQUEST_POLL_SECONDS = 1.0
WHAT_RUNS = {"schedule": "sync", "retry": "sync (again after the rate limit's reset)", "refresh": "refresh",
             "webhook": "targeted sync"}
RETRY_JITTER_SECONDS = (1.0, 10.0)  # after a rate-limit reset, so deployments do not all return at once
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
HEARTBEAT_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class FirstSync:
    """When the worker syncs first after it starts, and why then."""

    at: datetime
    reason: str  # for the start-up log line; "" when it is simply the next window


def targeted_plan(refreshes: list[Refresh]) -> Plan:
    """One targeted sync for these refreshes: their repositories, and the owners asked for whole."""
    targets = tuple(Target(r.owner_login, r.repository_id, r.full_name) for r in refreshes if not r.whole_owner)
    owners = tuple(dict.fromkeys(r.owner_login for r in refreshes if r.whole_owner))
    return Plan.targeted(targets, owners)


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
        self.requests_failing = False
        self.syncing = threading.Lock()  # one sync at a time in this process (the lease does it across)
        self.executor = ThreadPoolExecutor(max_workers=5)  # one thread per job: the heartbeat never waits
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
        if self.schedule.refresh_interval is not None:
            seconds = self.schedule.refresh_interval.total_seconds()
            self.scheduler.add_job(self.refresh, "interval", seconds=seconds, id=REFRESH_JOB, name="refresh",
                                   misfire_grace_time=max(1, int(seconds)), coalesce=True, max_instances=1)
        self.scheduler.add_job(self.take_requests, "interval", seconds=REQUEST_POLL_SECONDS, id=REQUESTS_JOB,
                               name="refresh requests", next_run_time=datetime.now(self.zone),
                               misfire_grace_time=1, coalesce=True, max_instances=1)
        self.scheduler.add_job(self.beat, "interval", seconds=heartbeat_seconds, id=HEARTBEAT_JOB,
                               name="heartbeat", misfire_grace_time=max(1, int(heartbeat_seconds)),
                               coalesce=True, max_instances=1)
        self.scheduler.add_listener(self.on_started, EVENT_SCHEDULER_STARTED)
        self.scheduler.add_listener(self.on_job_ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    def on_started(self, _event) -> None:
        reason = f" ({self.first_sync.reason})" if self.first_sync and self.first_sync.reason else ""
        refresh = self.schedule.refresh_interval
        every = f"; refresh every {refresh.total_seconds():g} s" if refresh else "; no refresh between"
        log.info("scheduler started; next sync at %s%s; daily window %s %s%s", self.when(self.next_sync()),
                 reason, self.schedule.window, zone_name(self.zone), every)
        self.started.set()

    # -- the jobs ------------------------------------------------------------------------------

    def sync(self, trigger: str = "schedule") -> None:
        """The nightly job (and its retry): a full sync asking every repository again, conditionally."""
        plan = Plan.full_sync(self.github, recheck=self.github.token is not None)
        report = self.run_sync(plan, trigger, wait=True)
        if report is not None and report.resume_at is not None and not self.stop.is_set():
            self.retry_after(report.resume_at)

    def retry(self) -> None:
        self.sync(trigger="retry")

    def refresh(self) -> None:
        """The light refresh: every owner's list pages, conditionally (free when nothing changed)."""
        self.run_sync(Plan.refresh(self.github), "refresh", wait=False)

    def take_requests(self) -> None:
        """The refresh requests webhooks recorded: one targeted sync for all that are due; when it
        fails and took several, each is synced alone, so only those that fail by themselves wait."""
        if self.stop.is_set():
            return
        try:
            with transaction(self.engine) as session:
                due = pending_requests(session, utcnow())
        except SQLAlchemyError as error:  # polled every second: say it once, not every second
            if not self.requests_failing:
                log.error("cannot read refresh requests: database error: %s", str(error).splitlines()[0])
            self.requests_failing = True
            return
        self.requests_failing = False
        mirrored = {owner.lower() for owner in self.github.owners}
        ours = [refresh for refresh in due if refresh.owner_login.lower() in mirrored]
        self.finish_requests([refresh for refresh in due if refresh not in ours], None)
        if not ours:
            return
        report = self.run_sync(targeted_plan(ours), "webhook", wait=False)
        if report is None or report.status is RunStatus.ABANDONED:
            return
        if report.ok or len(ours) == 1:
            self.finish_requests(ours, report)
            return
        for refresh in ours:  # one failing repository must not hold back the others taken with it
            alone = self.run_sync(targeted_plan([refresh]), "webhook", wait=False)
            if alone is not None and alone.status is not RunStatus.ABANDONED:
                self.finish_requests([refresh], alone)

    def run_sync(self, plan: Plan, trigger: str, *, wait: bool) -> RunReport | None:
        """One sync under both locks; None when it did not run (stopping, or another sync runs)."""
        while not self.syncing.acquire(timeout=0.5 if wait else 0):
            if not wait or self.stop.is_set():
                return None
        try:
            if self.stop.is_set():
                return None
            log.info("%s starting", WHAT_RUNS[trigger])
            return sync_now(self.engine, self.github, trigger=trigger, plan=plan, stop=self.stop)  # logs its summary
        except LockHeld as held:
            log.log(logging.WARNING if wait else logging.DEBUG, "%s skipped: %s", WHAT_RUNS[trigger], held)
            return None
        finally:
            self.syncing.release()

    def finish_requests(self, refreshes: list[Refresh], report: RunReport | None) -> None:
        """Mark requests done (the sync succeeded, or they are not ours: `report` None) or failed."""
        if not refreshes:
            return
        now = utcnow()
        with transaction(self.engine) as session:
            for refresh in refreshes:
                if report is None or report.ok:
                    mark_done(session, refresh, now)
                else:
                    mark_failed(session, refresh, now, report.error or "the sync failed")

    def retry_after(self, resume_at: datetime) -> None:
        """A full sync ended on the rate limit: try again right after the reset, not the next night."""
        at = resume_at + timedelta(seconds=random.uniform(*RETRY_JITTER_SECONDS))
        self.scheduler.add_job(self.retry, "date", run_date=at, id=RETRY_JOB, name="retry",
                               replace_existing=True, misfire_grace_time=None)
        log.warning("rate limited: the sync tries again at %s, right after the reset", self.when(at))
        self.record_next_sync(self.next_sync())

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
        if event.job_id in (SYNC_JOB, RETRY_JOB) and not self.stop.is_set():
            # Asked of the trigger (it answers the same every time), not of the job: a run that ends
            # at once is reported before the scheduler has stored the job's next run time.
            upcoming = self.trigger.get_next_fire_time(event.scheduled_run_time, datetime.now(self.zone))
            retry = self.scheduler.get_job(RETRY_JOB)
            if retry is not None and retry.next_run_time is not None:
                upcoming = min(upcoming, retry.next_run_time)
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
        """The next full sync: tonight's, or a retry after a rate-limit reset if that comes first."""
        times = [job.next_run_time for job in map(self.scheduler.get_job, (SYNC_JOB, RETRY_JOB))
                 if job is not None and job.next_run_time is not None]
        return min(times) if times else None

    def when(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%Y-%m-%d %H:%M:%S %Z}"

