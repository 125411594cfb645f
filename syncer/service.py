"""One sync from start to end: take the lock, record the run, fetch, publish atomically, report."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from shared.config import GitHubSettings
from shared.db import transaction
from shared.models import HttpCacheEntry, SyncRun
from syncer.fetch import Progress, fetch_snapshot
from syncer.github import Aborted, CachedResponse, GitHubClient, GitHubError, ResponseCache
from syncer.lock import LockLost, sync_lock
from syncer.logs import mask
from syncer.publish import Changes, load_known, publish_snapshot, save_responses

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    """How a sync ended, for the CLI summary and the worker's log line."""

    run_id: int
    status: str  # "success", "failed" or "abandoned"
    changes: Changes
    skipped: list[str]
    requests: int
    not_modified: int
    points_spent: int
    rate_limit_remaining: int | None
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def summary(self) -> str:
        c = self.changes
        text = (
            f"sync {self.status}: {c.added} added, {c.updated} updated, {c.removed} removed, "
            f"{c.unchanged} unchanged, {len(self.skipped)} skipped; {self.requests} requests "
            f"({self.not_modified} not modified), {self.points_spent} rate-limit points spent, "
            f"{'unknown' if self.rate_limit_remaining is None else self.rate_limit_remaining} remaining; "
            f"generation {c.generation}; {self.seconds:.1f} s"
        )
        return text + (f"; error: {self.error}" if self.error else "")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def sync_now(
    engine: Engine,
    settings: GitHubSettings,
    *,
    trigger: str,
    scope_owners: tuple[str, ...] | None = None,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Run one sync under the lock (raises LockHeld when another holds it).

    `scope_owners` marks a partial run (`syncer once --owner`): only those owners' repositories
    may be removed. Any failure leaves the published dataset as it was and is recorded.
    """
    if settings.token is not None:
        mask(settings.token.reveal())
    with sync_lock(engine) as lease:
        if lease.previous is not None:
            _close_abandoned(engine, lease.previous.host, lease.previous.pid)
        run_id = _record_start(engine, settings.owners, trigger)
        fingerprint = settings.token.fingerprint() if settings.token else "anonymous"
        cache = ResponseCache(fingerprint, etags=_stored_etags(engine), load=lambda key: _load_response(engine, key))
        client = GitHubClient(settings, cache, stop=stop)
        started = time.monotonic()
        changes, skipped, status, error = Changes(), [], "failed", None
        try:
            with transaction(engine) as session:
                known = load_known(session)
            snapshot = fetch_snapshot(client, settings, known, progress)
            skipped = snapshot.skipped
            if stop is not None and stop.is_set():
                raise Aborted("stop requested")
            with transaction(engine) as session:
                lease.confirm(session)
                now = _now()
                changes = publish_snapshot(session, snapshot, scope_owners=scope_owners, now=now)
                save_responses(session, cache, now)
            status = "success"
        except Aborted:
            status, error = "abandoned", "stopped before it finished; nothing was published"
        except (GitHubError, LockLost) as failure:
            error = str(failure)
        except SQLAlchemyError as failure:
            error = f"database error: {str(failure).splitlines()[0]}"
            log.debug("database error during sync", exc_info=True)
        except BaseException as failure:
            error = f"crashed: {type(failure).__name__}: {failure}"
            _record_end(engine, run_id, status, changes, skipped, client, error)
            raise
        finally:
            client.close()
        report = RunReport(
            run_id=run_id, status=status, changes=changes, skipped=skipped,
            requests=client.stats.requests, not_modified=client.stats.not_modified,
            points_spent=client.stats.points_spent, rate_limit_remaining=client.stats.rate_limit_remaining,
            seconds=time.monotonic() - started, error=error,
        )
        _record_end(engine, run_id, status, changes, skipped, client, error)
    level = {"success": logging.INFO, "abandoned": logging.WARNING}.get(status, logging.ERROR)
    log.log(level, "%s", report.summary())
    return report


def _stored_etags(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(HttpCacheEntry.key, HttpCacheEntry.etag).where(HttpCacheEntry.etag.is_not(None)))
        return dict(rows.all())


def _load_response(engine: Engine, key: str) -> CachedResponse | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(HttpCacheEntry.etag, HttpCacheEntry.body, HttpCacheEntry.next_url).where(HttpCacheEntry.key == key)
        ).first()
    return CachedResponse(row.etag, row.body, row.next_url) if row and row.etag else None


def _record_start(engine: Engine, owners: tuple[str, ...], trigger: str) -> int:
    with transaction(engine) as session:
        run = SyncRun(trigger=trigger, owners=",".join(owners), host=socket.gethostname(), pid=os.getpid(),
                      started_at=_now(), status="running")
        session.add(run)
        session.flush()
        return run.id


def _record_end(engine, run_id, status, changes: Changes, skipped, client: GitHubClient, error) -> None:
    try:
        with transaction(engine) as session:
            session.execute(
                update(SyncRun).where(SyncRun.id == run_id).values(
                    finished_at=_now(), status=status, added=changes.added, updated=changes.updated,
                    removed=changes.removed, unchanged=changes.unchanged, skipped=len(skipped),
                    details=skipped[:200], requests=client.stats.requests,
                    not_modified=client.stats.not_modified, points_spent=client.stats.points_spent,
                    rate_limit_remaining=client.stats.rate_limit_remaining,
                    generation=changes.generation if status == "success" else None, error=error,
                )
            )
    except SQLAlchemyError:
        log.exception("could not record the end of sync run %s", run_id)


def _close_abandoned(engine: Engine, host: str, pid: int) -> None:
    """Runs a dead holder left 'running' are marked abandoned."""
    with transaction(engine) as session:
        session.execute(
            update(SyncRun)
            .where(SyncRun.status == "running", SyncRun.host == host, SyncRun.pid == pid)
            .values(status="abandoned", finished_at=_now(), error="its process died before it finished")
        )

