"""Recording accepted deliveries and their refresh requests, once per delivery id, in a bounded table."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import UpdateBase

from shared.db import transaction
from shared.models import RefreshRequest, WebhookDelivery

log = logging.getLogger(__name__)

#: How long deliveries (for dedupe) and finished refresh requests are kept.
KEEP = timedelta(days=7)
WRITABLE_TABLES = frozenset({RefreshRequest.__tablename__, WebhookDelivery.__tablename__})


@dataclass(frozen=True)
class NewRequest:
    """A refresh request to record: one of our owners, and the repository unless owner-wide."""

    owner_login: str
    repository_id: int | None = None
    name: str | None = None
    full_name: str | None = None


def record_delivery(
    engine: Engine, delivery_id: str, event_name: str, action: str | None, refreshes: list[NewRequest], now: datetime
) -> bool:
    """Store the delivery and its refresh requests in one transaction.

    False, and nothing stored, when that delivery id was recorded before (a redelivery).
    """
    try:
        with transaction(engine) as session:
            seen = session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.delivery_id == delivery_id))
            if seen is not None:
                return False
            session.add(WebhookDelivery(delivery_id=delivery_id, event=event_name, action=action, received_at=now,
                                        requests=len(refreshes)))
            session.add_all(
                RefreshRequest(owner_login=r.owner_login, repository_id=r.repository_id, repository_name=r.name,
                               full_name=r.full_name, event=event_name, action=action, delivery_id=delivery_id,
                               received_at=now, status="pending", attempts=0, next_attempt_at=now)
                for r in refreshes
            )
    except IntegrityError:
        # The same delivery arriving twice at once: the unique delivery id lets one of them in.
        with transaction(engine) as session:
            if session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.delivery_id == delivery_id)) is None:
                raise
        return False
    return True


def prune(engine: Engine, now: datetime, keep: timedelta = KEEP) -> tuple[int, int]:
    """Forget deliveries and finished refresh requests older than `keep`; how many of each went."""
    cutoff = now - keep
    with transaction(engine) as session:
        deliveries = session.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < cutoff)).rowcount
        finished = session.execute(
            delete(RefreshRequest).where(RefreshRequest.status != "pending", RefreshRequest.finished_at < cutoff)
        ).rowcount
    return deliveries, finished


def only_webhook_tables(engine: Engine) -> Engine:
    """Make `engine` refuse any INSERT, UPDATE or DELETE outside the two webhook tables."""

    @event.listens_for(engine, "before_execute")
    def _refuse(_conn, statement, *_args):
        if isinstance(statement, UpdateBase) and statement.table.name not in WRITABLE_TABLES:
            raise PermissionError(f"the webhook receiver may not write to {statement.table.name}")

    return engine
