"""What the two status readers (the API's `/api/v1/status`, `syncer status`) ask of the run history
and the webhooks: one query each, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import RefreshRequest, RunStatus, SyncRun, WebhookDelivery


@dataclass(frozen=True)
class RequestBacklog:
    """Webhook refresh requests still to do (how many, since when) and those given up (kept a week)."""

    pending: int
    oldest_pending_at: datetime | None
    failed: int


def last_checked_at(session: Session) -> datetime | None:
    """When GitHub was last asked successfully: the end of the last successful run of any kind."""
    return session.scalar(select(func.max(SyncRun.finished_at)).where(SyncRun.status == RunStatus.SUCCESS.value))


def request_backlog(session: Session) -> RequestBacklog:
    counts = {
        status: (count, oldest)
        for status, count, oldest in session.execute(
            select(RefreshRequest.status, func.count(), func.min(RefreshRequest.received_at))
            .where(RefreshRequest.status.in_(("pending", "failed")))
            .group_by(RefreshRequest.status)
        )
    }
    pending, oldest = counts.get("pending", (0, None))
    return RequestBacklog(pending, oldest, counts.get("failed", (0, None))[0])


def last_delivery(session: Session) -> WebhookDelivery | None:
    return session.scalars(
        select(WebhookDelivery).order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id.desc()).limit(1)
    ).first()
