"""What `syncer status` shows: the published dataset, the workers' heartbeats, webhooks, the last runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from shared.db import transaction
from shared.activity import last_checked_at, last_delivery, request_backlog
from shared.models import DatasetState, Repository, SyncRun, WebhookDelivery, WorkerHeartbeat


@dataclass
class Status:
    generation: int
    synced_at: datetime | None
    changed_at: datetime | None
    checked_at: datetime | None  # the end of the last successful run of any kind
    repositories: int
    workers: list[WorkerHeartbeat]
    runs: list[SyncRun]
    pending_requests: int = 0
    oldest_pending_at: datetime | None = None
    failed_requests: int = 0
    last_delivery: WebhookDelivery | None = None


def read_status(engine: Engine, limit: int = 10) -> Status:
    with transaction(engine) as session:
        state = session.get(DatasetState, 1)
        backlog = request_backlog(session)
        return Status(
            generation=state.generation if state else 0,
            synced_at=state.synced_at if state else None,
            changed_at=state.changed_at if state else None,
            checked_at=last_checked_at(session),
            repositories=session.scalar(select(func.count()).select_from(Repository)) or 0,
            workers=list(session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen_at.desc()).limit(5))),
            runs=list(session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit))),
            pending_requests=backlog.pending,
            oldest_pending_at=backlog.oldest_pending_at,
            failed_requests=backlog.failed,
            last_delivery=last_delivery(session),
        )


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _webhooks(status: Status) -> str:
    delivery = status.last_delivery
    if delivery is None:
        last = "no webhook delivery received in the past week"
    else:
        event = delivery.event + (f".{delivery.action}" if delivery.action else "")
        last = f"last webhook {_when(delivery.received_at)} ({event}, delivery {delivery.delivery_id})"
    pending = f"{status.pending_requests} pending"
    if status.oldest_pending_at is not None:
        pending += f" (oldest {_when(status.oldest_pending_at)})"
    given_up = f", {status.failed_requests} given up" if status.failed_requests else ""
    return f"refresh requests: {pending}{given_up}; {last}"


def format_status(status: Status) -> str:
    lines = [
        f"dataset: generation {status.generation}, {status.repositories} repositories, "
        f"last synced {_when(status.synced_at) if status.synced_at else 'never'}, "
        f"last changed {_when(status.changed_at)}, GitHub last checked {_when(status.checked_at)}",
    ]
    for worker in status.workers:
        state = f"stopped {_when(worker.stopped_at)}" if worker.stopped_at else f"last seen {_when(worker.last_seen_at)}"
        lines.append(f"worker {worker.id}: {state}, next sync {_when(worker.next_run_at)}")
    lines.append(_webhooks(status))
    if not status.runs:
        lines.append("no sync runs yet")
        return "\n".join(lines)
    lines.append(f"{'run':>5}  {'started':<23}  {'trigger':<8}  {'status':<9}  {'runs':>4}  {'+':>4} {'~':>4} "
                 f"{'-':>4} {'skip':>4}  {'requests':>8} {'304':>5} {'points':>6}  error")
    for run in status.runs:
        lines.append(
            f"{run.id:>5}  {_when(run.started_at):<23}  {run.trigger:<8}  {run.status:<9}  {run.runs:>4}  "
            f"{run.added:>4} {run.updated:>4} {run.removed:>4} {run.skipped:>4}  {run.requests:>8} "
            f"{run.not_modified:>5} {run.points_spent:>6}  {(run.error or '')[:120]}"
        )
    latest = status.runs[0]
    lines.extend(f"note (run {latest.id}): {note}" for note in latest.notes or ())
    return "\n".join(lines)
