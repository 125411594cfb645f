"""What `syncer status` shows: the published dataset, the workers' heartbeats, the last runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from shared.db import transaction
from shared.models import DatasetState, Repository, SyncRun, WorkerHeartbeat


@dataclass
class Status:
    generation: int
    synced_at: datetime | None
    repositories: int
    workers: list[WorkerHeartbeat]
    runs: list[SyncRun]


def read_status(engine: Engine, limit: int = 10) -> Status:
    with transaction(engine) as session:
        state = session.get(DatasetState, 1)
        return Status(
            generation=state.generation if state else 0,
            synced_at=state.synced_at if state else None,
            repositories=session.scalar(select(func.count()).select_from(Repository)) or 0,
            workers=list(session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen_at.desc()).limit(5))),
            runs=list(session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit))),
        )


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_status(status: Status) -> str:
    lines = [
        f"dataset: generation {status.generation}, {status.repositories} repositories, "
        f"last synced {_when(status.synced_at) if status.synced_at else 'never'}",
    ]
    for worker in status.workers:
        state = f"stopped {_when(worker.stopped_at)}" if worker.stopped_at else f"last seen {_when(worker.last_seen_at)}"
        lines.append(f"worker {worker.id}: {state}, next sync {_when(worker.next_run_at)}")
    if not status.runs:
        lines.append("no sync runs yet")
        return "\n".join(lines)
    lines.append(f"{'run':>5}  {'started':<23}  {'status':<9}  {'+':>4} {'~':>4} {'-':>4} {'skip':>4}  "
                 f"{'requests':>8} {'304':>5} {'points':>6}  error")
    for run in status.runs:
        lines.append(
            f"{run.id:>5}  {_when(run.started_at):<23}  {run.status:<9}  {run.added:>4} {run.updated:>4} "
            f"{run.removed:>4} {run.skipped:>4}  {run.requests:>8} {run.not_modified:>5} {run.points_spent:>6}  "
            f"{(run.error or '')[:120]}"
        )
    return "\n".join(lines)
