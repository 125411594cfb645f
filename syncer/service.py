"""One sync from start to end: take the lock, record the run, fetch, publish atomically, report."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from shared.clock import utcnow
from shared.config import GitHubSettings
from shared.db import transaction
from shared.models import RunStatus, SyncRun
from syncer.content import fetch_content
from syncer.errors import Aborted, GitHubError, RateLimited
from syncer.fetch import Plan, Progress, fetch_snapshot
from syncer.github import GitHubClient
from syncer.lock import LockLost, sync_lock
from syncer.logs import mask
from syncer.publish import Changes, published_state, publish_snapshot
from syncer.responses import ResponseStore, prune_responses

log = logging.getLogger(__name__)

LOG_LEVELS = {RunStatus.SUCCESS: logging.INFO, RunStatus.ABANDONED: logging.WARNING}


@dataclass
class RunReport:
    """How a sync ended: recorded in `sync_runs`, logged, and printed by `syncer once`."""

    run_id: int
    status: RunStatus = RunStatus.FAILED
    changes: Changes = field(default_factory=Changes)
    skipped: list[str] = field(default_factory=list)
    requests: int = 0
    not_modified: int = 0
    points_spent: int = 0
    rate_limit_remaining: int | None = None
    seconds: float = 0.0
    error: str | None = None
    resume_at: datetime | None = None  # when a run stopped by the rate limit may try again
    notes: list[str] = field(default_factory=list)  # what the content could not give, and why
    graphql_requests: int = 0
    graphql_cost: int = 0

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCESS

    def summary(self) -> str:
        """The one-line rendering: the log line, and the first line `syncer once` prints."""
        c = self.changes
        remaining = "unknown" if self.rate_limit_remaining is None else self.rate_limit_remaining
        outcome = f"dataset generation {c.generation}" if self.ok else "published dataset unchanged"
        text = (
            f"sync {self.status.value} in {self.seconds:.1f} s (run {self.run_id}): {c.added} added, "
            f"{c.updated} updated, {c.removed} removed, {c.unchanged} unchanged, {len(self.skipped)} skipped; "
            f"{self.requests} requests ({self.not_modified} not modified), {self.points_spent} points spent "
            f"(rate limit: {remaining} remaining); {outcome}"
        )
        if self.graphql_requests:
            text += f"; GraphQL: {self.graphql_requests} queries, {self.graphql_cost} points"
        return text + (f"; error: {self.error}" if self.error else "")

    def lines(self) -> list[str]:
        """The summary, then why each skipped repository was skipped, then the notes."""
        return [self.summary(), *(f"  skipped {reason}" for reason in self.skipped[:20]),
                *(f"  note: {note}" for note in self.notes)]


def sync_now(
    engine: Engine,
    settings: GitHubSettings,
    *,
    trigger: str,
    plan: Plan | None = None,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    log_summary: bool = True,
) -> RunReport:
    """Run one sync under the lock (raises LockHeld when another holds it).

    `plan` says what to fetch and what its answer replaces (default: a full sync of every owner).
    Any failure leaves the published dataset as it was and is recorded; what was fetched before
    it stays in the response store for the next run.
    """
    plan = plan or Plan.full_sync(settings)
    if settings.token is not None:
        mask(settings.token.reveal())
    with sync_lock(engine) as lease:
        if lease.previous is not None:
            _close_abandoned(engine, lease.previous.host, lease.previous.pid)
        report = RunReport(run_id=_record_start(engine, settings.owners, trigger))
        fingerprint = settings.token.fingerprint() if settings.token else "anonymous"
        store = ResponseStore(engine, fingerprint)
        client = GitHubClient(settings, store, stop=stop)
        started = time.monotonic()
        try:
            with transaction(engine) as session:
                known = published_state(session)
            snapshot = fetch_snapshot(client, settings, known, plan, progress=progress)
            content = fetch_content(client, settings, snapshot, known)
            report.skipped, report.notes = snapshot.skipped, content.notes
            report.graphql_requests, report.graphql_cost = content.graphql_requests, content.graphql_cost
            if stop is not None and stop.is_set():
                raise Aborted("stop requested")
            with transaction(engine) as session:
                lease.confirm(session)
                report.changes = publish_snapshot(session, snapshot, store, now=utcnow(), content=content)
                if plan.everything:
                    prune_responses(session, fingerprint, settings.owners)
            report.status = RunStatus.SUCCESS
        except Aborted:
            report.status, report.error = RunStatus.ABANDONED, "stopped before it finished; nothing was published"
        except RateLimited as limited:
            report.error, report.resume_at = str(limited), limited.resume_at
        except (GitHubError, LockLost) as failure:
            report.error = str(failure)
        except SQLAlchemyError as failure:
            report.error = f"database error: {str(failure).splitlines()[0]}"
            log.debug("database error during sync", exc_info=True)
        except BaseException as failure:
            report.error = f"crashed: {type(failure).__name__}: {failure}"
            raise
        finally:
            client.close()
            _count(report, client, time.monotonic() - started)
            _record_end(engine, report)
    if log_summary:
        log.log(LOG_LEVELS.get(report.status, logging.ERROR), "%s", report.summary())
    return report


def _count(report: RunReport, client: GitHubClient, seconds: float) -> None:
    report.requests = client.stats.requests
    report.not_modified = client.stats.not_modified
    report.points_spent = client.stats.points_spent
    report.rate_limit_remaining = client.stats.rate_limit_remaining
    report.seconds = seconds


def _record_start(engine: Engine, owners: tuple[str, ...], trigger: str) -> int:
    with transaction(engine) as session:
        run = SyncRun(trigger=trigger, owners=",".join(owners), host=socket.gethostname(), pid=os.getpid(),
                      started_at=utcnow(), status=RunStatus.RUNNING.value)
        session.add(run)
        session.flush()
        return run.id


def _record_end(engine: Engine, report: RunReport) -> None:
    """Record how the run ended; a quiet run following a quiet run folds into that run's row."""
    c = report.changes
    try:
        with transaction(engine) as session:
            run = session.get(SyncRun, report.run_id)
            values = dict(
                finished_at=utcnow(), status=report.status.value, added=c.added, updated=c.updated,
                removed=c.removed, unchanged=c.unchanged, skipped=len(report.skipped),
                details=report.skipped[:200], requests=report.requests, not_modified=report.not_modified,
                points_spent=report.points_spent, rate_limit_remaining=report.rate_limit_remaining,
                generation=c.generation if report.ok else None, error=report.error, notes=report.notes[:50],
            )
            for name, value in values.items():
                setattr(run, name, value)
            previous = session.scalars(
                select(SyncRun).where(SyncRun.id < run.id).order_by(SyncRun.id.desc()).limit(1)
            ).first()
            if previous is not None and _quiet(run) and _quiet(previous) and previous.trigger == run.trigger \
                    and previous.generation == run.generation and (previous.notes or []) == (run.notes or []):
                _fold(previous, run)
                session.delete(run)
                report.run_id = previous.id
    except SQLAlchemyError:
        log.exception("could not record the end of sync run %s", report.run_id)


def _quiet(run: SyncRun) -> bool:
    """A run an operator needs no row of its own for: it succeeded and changed and skipped nothing."""
    return (run.status == RunStatus.SUCCESS.value and not (run.added or run.updated or run.removed or run.skipped)
            and run.error is None)


def _fold(into: SyncRun, run: SyncRun) -> None:
    into.runs += run.runs
    into.requests += run.requests
    into.not_modified += run.not_modified
    into.points_spent += run.points_spent
    into.unchanged = run.unchanged
    into.rate_limit_remaining = run.rate_limit_remaining
    into.finished_at = run.finished_at


def _close_abandoned(engine: Engine, host: str, pid: int) -> None:
    """Runs a dead holder left 'running' are marked abandoned."""
    with transaction(engine) as session:
        session.execute(
            update(SyncRun)
            .where(SyncRun.status == RunStatus.RUNNING.value, SyncRun.host == host, SyncRun.pid == pid)
            .values(status=RunStatus.ABANDONED.value, finished_at=utcnow(),
                    error="its process died before it finished")
        )
