"""One sync at a time across processes and machines: a lease row in the database.

The holder renews its lease while it works. A holder that died is taken over at once when it
ran on this host (its pid is gone) and once its lease expired when it ran elsewhere.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db import transaction
from shared.models import SyncLock

log = logging.getLogger(__name__)

LOCK_NAME = "sync"
DEFAULT_DURATION = timedelta(seconds=90)


class LockHeld(Exception):
    """Another live sync holds the lock."""

    def __init__(self, host: str, pid: int, acquired_at: datetime, expires_at: datetime):
        self.host, self.pid = host, pid
        super().__init__(
            f"another sync is running: pid {pid} on {host} holds the lock since "
            f"{acquired_at:%Y-%m-%d %H:%M:%S} UTC (lease until {expires_at:%H:%M:%S} UTC)"
        )


class LockLost(Exception):
    """The lease expired and another sync took the lock: this one must not publish."""


@dataclass(frozen=True)
class Previous:
    """The holder a takeover replaced (its runs are left 'running' and need closing)."""

    host: str
    pid: int


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Lease:
    """A held lock for `duration` from its last renewal; `renew()` extends it, `release()` gives it up."""

    def __init__(self, engine: Engine, duration: timedelta):
        self.engine = engine
        self.duration = duration
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.previous: Previous | None = None

    def acquire(self) -> None:
        now = _now()
        row = {
            "name": LOCK_NAME,
            "holder": self.holder,
            "host": self.host,
            "pid": self.pid,
            "acquired_at": now,
            "expires_at": now + self.duration,
        }
        try:
            with transaction(self.engine) as session:
                session.execute(SyncLock.__table__.insert().values(row))
            return
        except IntegrityError:
            pass
        with transaction(self.engine) as session:
            current = session.execute(select(SyncLock).where(SyncLock.name == LOCK_NAME)).scalar_one_or_none()
            if current is None:  # released between our two statements
                session.execute(SyncLock.__table__.insert().values(row))
                return
            dead_here = current.host == self.host and not _pid_alive(current.pid)
            if not dead_here and current.expires_at > now:
                raise LockHeld(current.host, current.pid, current.acquired_at, current.expires_at)
            taken = session.execute(
                update(SyncLock)
                .where(SyncLock.name == LOCK_NAME, SyncLock.holder == current.holder)
                .values(row)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                raise LockHeld(current.host, current.pid, current.acquired_at, current.expires_at)
            self.previous = Previous(current.host, current.pid)
            log.warning("took over the sync lock from pid %s on %s (%s)", current.pid, current.host,
                        "process gone" if dead_here else "lease expired")

    def renew(self) -> bool:
        """Extend the lease; False when it was lost (taken over after expiring)."""
        with transaction(self.engine) as session:
            renewed = session.execute(
                update(SyncLock)
                .where(SyncLock.name == LOCK_NAME, SyncLock.holder == self.holder)
                .values(expires_at=_now() + self.duration)
                .execution_options(synchronize_session=False)
            ).rowcount
        return renewed == 1

    def confirm(self, session: Session) -> None:
        """Inside a writer's transaction: raise LockLost unless this lease is still ours.

        The row stays locked until that transaction ends, so no one can take it over between
        this check and the commit.
        """
        row = session.execute(
            select(SyncLock).where(SyncLock.name == LOCK_NAME).with_for_update()
        ).scalar_one_or_none()
        if row is None or row.holder != self.holder:
            raise LockLost("the sync lock was taken over while this sync ran; nothing was published")

    def release(self) -> None:
        with transaction(self.engine) as session:
            session.execute(delete(SyncLock).where(SyncLock.name == LOCK_NAME, SyncLock.holder == self.holder))


@contextmanager
def sync_lock(engine: Engine, duration: timedelta = DEFAULT_DURATION) -> Iterator[Lease]:
    """Hold the sync lock for the block, renewing it in the background; raises LockHeld."""
    held = Lease(engine, duration)
    held.acquire()
    stop = threading.Event()

    def keep_alive() -> None:
        while not stop.wait(duration.total_seconds() / 3):
            try:
                if not held.renew():
                    log.error("the sync lock was lost; another sync may start")
                    return
            except Exception:  # noqa: BLE001 - a database hiccup: try again at the next beat
                log.warning("could not renew the sync lock", exc_info=True)

    renewer = threading.Thread(target=keep_alive, name="sync-lock-renewer", daemon=True)
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join()
        try:
            held.release()
        except Exception:  # noqa: BLE001 - the lease expires on its own
            log.warning("could not release the sync lock; it expires at the end of its lease", exc_info=True)
