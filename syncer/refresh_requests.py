"""The worker's side of refresh requests: take the due ones coalesced, then mark them done or failed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.models import RefreshRequest

log = logging.getLogger(__name__)

#: A burst is taken as one once no delivery for it came for this long ...
SETTLE = timedelta(seconds=1)
#: ... or once its oldest due request waited this long, however busy the repository.
MAX_HOLD = timedelta(seconds=5)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing refresh is tried again: `backoff`, doubling, at most `max_backoff`,
    and given up after `max_attempts` attempts."""

    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1, 2, ...)."""
        return min(self.max_backoff, self.backoff * 2 ** (attempts - 1))


@dataclass(frozen=True)
class Refresh:
    """One refresh to do, standing for every pending request about the same repository or owner.

    `repository_id` None means the whole owner. `full_name` is the newest name a delivery gave;
    the worker asks GitHub by `repository_id`, which survives renames and transfers.
    """

    owner_login: str
    repository_id: int | None
    full_name: str | None
    request_ids: tuple[int, ...]
    events: tuple[str, ...]
    attempts: int
    first_received_at: datetime
    last_received_at: datetime

    @property
    def whole_owner(self) -> bool:
        return self.repository_id is None


def pending_requests(
    session: Session, now: datetime, *, settle: timedelta = SETTLE, max_hold: timedelta = MAX_HOLD
) -> list[Refresh]:
    """The refreshes due at `now`, oldest first, one per repository and one per owner-wide refresh.

    A repository's requests are due when one of them is due (`next_attempt_at` reached) and the
    burst settled: its newest request is `settle` old, or its oldest due one `max_hold` old. A
    pending owner-wide refresh also stands for that owner's repository requests.
    """
    rows = session.scalars(
        select(RefreshRequest)
        .where(RefreshRequest.status == "pending")
        .order_by(RefreshRequest.received_at, RefreshRequest.id)
    ).all()
    whole_owners = {row.owner_login.lower() for row in rows if row.repository_id is None}
    groups: dict[tuple[str, int | None], list[RefreshRequest]] = {}
    for row in rows:
        owner = row.owner_login.lower()
        key = (owner, None) if owner in whole_owners else (owner, row.repository_id)
        groups.setdefault(key, []).append(row)
    refreshes = [_refresh(group) for group in groups.values() if _due(group, now, settle, max_hold)]
    return sorted(refreshes, key=lambda refresh: (refresh.first_received_at, refresh.request_ids[0]))


def _due(group: list[RefreshRequest], now: datetime, settle: timedelta, max_hold: timedelta) -> bool:
    due = [row for row in group if row.next_attempt_at <= now]
    if not due:
        return False
    return max(row.received_at for row in group) <= now - settle or due[0].received_at <= now - max_hold


def _refresh(group: list[RefreshRequest]) -> Refresh:
    named = [row for row in group if row.repository_id is not None]
    whole_owner = any(row.repository_id is None for row in group)
    newest = named[-1] if named and not whole_owner else None
    return Refresh(
        owner_login=group[0].owner_login,
        repository_id=None if newest is None else newest.repository_id,
        full_name=None if newest is None else newest.full_name,
        request_ids=tuple(row.id for row in group),
        events=tuple(dict.fromkeys(row.event if row.action is None else f"{row.event}.{row.action}" for row in group)),
        attempts=max(row.attempts for row in group),
        first_received_at=group[0].received_at,
        last_received_at=group[-1].received_at,
    )


def mark_done(session: Session, refresh: Refresh, now: datetime) -> None:
    """The refresh succeeded: its requests are done (requests recorded since stay pending)."""
    session.execute(
        update(RefreshRequest)
        .where(RefreshRequest.id.in_(refresh.request_ids), RefreshRequest.status == "pending")
        .values(status="done", finished_at=now, last_error=None)
    )


def mark_failed(
    session: Session, refresh: Refresh, now: datetime, error: str, policy: RetryPolicy = RetryPolicy()
) -> bool:
    """The refresh failed with `error`: each request is tried again after its backoff, or given up
    (status "failed", logged as a warning) at its last attempt. True when any was given up."""
    rows = session.scalars(
        select(RefreshRequest).where(RefreshRequest.id.in_(refresh.request_ids), RefreshRequest.status == "pending")
    ).all()
    given_up = False
    for row in rows:
        row.attempts += 1
        row.last_error = error[:2000]
        if row.attempts >= policy.max_attempts:
            row.status, row.finished_at, given_up = "failed", now, True
        else:
            row.next_attempt_at = now + policy.delay(row.attempts)
    if given_up:
        what = refresh.full_name or f"every repository of {refresh.owner_login}"
        log.warning("gave up refreshing %s after %d attempts: %s", what, policy.max_attempts, error)
    session.flush()
    return given_up
