"""How the sync is doing (/api/v1/status) and whether the database answers (/healthz)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from api.dataset import read_version
from api.documents import timestamp
from api.http import json_response
from api.problems import DATABASE_ERRORS, DatabaseUnavailable
from api.rendered import Rendered
from api.state import state
from shared.activity import last_checked_at, last_delivery, request_backlog
from shared.models import SyncRun, WorkerHeartbeat

blueprint = Blueprint("status", __name__)

# A worker beats every 30 s by default; one that missed this many beats is taken for dead
# (never sooner than after 90 s, so a busy database does not make a live worker look stale).
MISSED_BEATS = 3
HEARTBEAT_FRESH_FOR = timedelta(seconds=90)


def status_document(engine: Engine, now: datetime) -> dict[str, Any]:
    """The status document, read in one transaction with six queries (no secrets are stored there)."""
    with Session(engine) as session, session.begin():
        version = read_version(session)
        run = session.scalars(select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(1)).first()
        worker = session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen_at.desc()).limit(1)).first()
        return {
            "synced_at": timestamp(version.synced_at),
            "checked_at": timestamp(last_checked_at(session)),
            "changed_at": timestamp(version.changed_at),
            "generation": version.generation,
            "last_run": None if run is None else _run(run),
            "worker": None if worker is None else _worker(worker, now),
            "refresh_requests": _refresh_requests(session),
            "last_webhook": _last_webhook(session),
        }


def _refresh_requests(session: Session) -> dict[str, Any]:
    backlog = request_backlog(session)
    return {"pending": backlog.pending, "oldest_pending_at": timestamp(backlog.oldest_pending_at),
            "failed": backlog.failed}


def _last_webhook(session: Session) -> dict[str, Any] | None:
    delivery = last_delivery(session)
    if delivery is None:
        return None
    return {"received_at": timestamp(delivery.received_at), "event": delivery.event, "action": delivery.action,
            "delivery_id": delivery.delivery_id}


def _run(run: SyncRun) -> dict[str, Any]:
    return {
        "status": run.status,
        "trigger": run.trigger,
        "started_at": timestamp(run.started_at),
        "finished_at": timestamp(run.finished_at),
        "error": run.error,
        "added": run.added,
        "updated": run.updated,
        "removed": run.removed,
        "unchanged": run.unchanged,
        "skipped": run.skipped,
        "runs": run.runs,
        "notes": list(run.notes or ()),
    }


def _worker(worker: WorkerHeartbeat, now: datetime) -> dict[str, Any]:
    running = worker.stopped_at is None
    return {
        "last_seen_at": timestamp(worker.last_seen_at),
        "heartbeat_fresh": running and now - worker.last_seen_at <= _fresh_for(worker),
        "next_run_at": timestamp(worker.next_run_at) if running else None,
    }


def _fresh_for(worker: WorkerHeartbeat) -> timedelta:
    interval = timedelta(seconds=worker.heartbeat_seconds or 0)
    return max(HEARTBEAT_FRESH_FOR, MISSED_BEATS * interval)


@blueprint.get("/api/v1/status")
def get_status() -> Response:
    api = state()
    api.rules["getStatus"].parse(request.args)
    document = status_document(api.engine, datetime.now(timezone.utc))
    return json_response(Rendered.of(document), "no-cache")


@blueprint.get("/healthz")
def get_health() -> Response:
    api = state()
    api.rules["getHealth"].parse(request.args)
    try:
        with api.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DATABASE_ERRORS:
        raise DatabaseUnavailable() from None
    return json_response(Rendered.of({"status": "ok"}), "no-store")
