"""The sync lock: one lease row, taken over at once from a dead holder here, after its lease from elsewhere."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from shared import migrate
from shared.db import make_engine, transaction
from shared.models import SyncLock
from syncer.lock import Lease, LockHeld, LockLost, Previous, sync_lock

HOST = socket.gethostname()
DURATION = timedelta(seconds=90)
STORED = timedelta(seconds=1)  # MariaDB keeps whole seconds


def now() -> datetime:
    return datetime.now(timezone.utc)


def lock_row(engine) -> SyncLock | None:
    with Session(engine) as session:
        return session.scalars(select(SyncLock)).one_or_none()


def plant(engine, *, host: str, pid: int, expires_in: timedelta, holder: str = "other:1:0badcafe") -> None:
    """The lock as another sync left it."""
    with transaction(engine) as session:
        session.add(SyncLock(name="sync", holder=holder, host=host, pid=pid,
                             acquired_at=now() - timedelta(hours=1), expires_at=now() + expires_in))


def set_expiry(engine, expires_in: timedelta) -> None:
    with transaction(engine) as session:
        session.execute(update(SyncLock).values(expires_at=now() + expires_in))


def gone_pid() -> int:
    """The pid of a process of this host that has exited."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def wait_for_log(caplog, message: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while message not in caplog.text:
        assert time.monotonic() < deadline, f"no {message!r} in the log:\n{caplog.text}"
        time.sleep(0.02)


def test_a_free_lock_is_taken_with_this_process_and_the_lease_duration(engine):
    lease = Lease(engine, DURATION)
    before = now()
    lease.acquire()
    row = lock_row(engine)
    assert (row.name, row.holder, row.host, row.pid) == ("sync", lease.holder, HOST, os.getpid())
    assert before - STORED <= row.acquired_at <= now()
    assert abs(row.expires_at - row.acquired_at - DURATION) <= STORED
    assert lease.previous is None


def test_each_lease_names_its_host_pid_and_a_token_of_its_own():
    first, second = Lease(None, DURATION), Lease(None, DURATION)
    host, pid, token = first.holder.rsplit(":", 2)
    assert (host, pid, len(token)) == (HOST, str(os.getpid()), 8)
    assert (first.host, first.pid, first.duration) == (HOST, os.getpid(), DURATION)
    assert first.holder != second.holder


def test_a_live_holder_keeps_the_lock_and_the_refusal_names_it(engine):
    holder = Lease(engine, DURATION)
    holder.acquire()
    with pytest.raises(LockHeld) as refused:
        Lease(engine, DURATION).acquire()
    row = lock_row(engine)
    assert str(refused.value) == (
        f"another sync is running: pid {os.getpid()} on {HOST} holds the lock since "
        f"{row.acquired_at:%Y-%m-%d %H:%M:%S} UTC (lease until {row.expires_at:%H:%M:%S} UTC)"
    )
    assert (refused.value.host, refused.value.pid) == (HOST, os.getpid())
    assert row.holder == holder.holder


def test_a_holder_elsewhere_is_waited_for_until_its_lease_ends_whatever_its_pid_is_here(engine):
    plant(engine, host="elsewhere", pid=gone_pid(), expires_in=timedelta(minutes=1))
    with pytest.raises(LockHeld) as refused:
        Lease(engine, DURATION).acquire()
    assert refused.value.host == "elsewhere"
    assert lock_row(engine).holder == "other:1:0badcafe"


@pytest.mark.parametrize(
    ("here", "alive", "expires_in", "reason"),
    [
        (True, False, timedelta(minutes=1), "process gone"),
        (True, True, -timedelta(seconds=5), "lease expired"),
        (False, True, -timedelta(seconds=5), "lease expired"),
    ],
    ids=["dead-here", "expired-here", "expired-elsewhere"],
)
def test_a_dead_or_expired_holder_is_taken_over_and_remembered(engine, caplog, here, alive, expires_in, reason):
    host, pid = (HOST if here else "elsewhere"), (os.getpid() if alive else gone_pid())
    plant(engine, host=host, pid=pid, expires_in=expires_in)
    lease = Lease(engine, DURATION)
    before = now()
    with caplog.at_level(logging.WARNING, logger="syncer.lock"):
        lease.acquire()
    row = lock_row(engine)
    assert (row.holder, row.host, row.pid) == (lease.holder, HOST, os.getpid())
    assert before - STORED <= row.acquired_at and abs(row.expires_at - row.acquired_at - DURATION) <= STORED
    assert lease.previous == Previous(host, pid)
    assert f"took over the sync lock from pid {pid} on {host} ({reason})" in caplog.messages


def test_a_lock_released_between_the_refused_insert_and_the_read_is_simply_taken(engine, db_url):
    other = make_engine(db_url)  # another process's connection
    holder = Lease(other, DURATION)
    holder.acquire()
    contender = Lease(engine, DURATION)

    def release_once_the_insert_failed(_dbapi_connection, _record) -> None:
        row = lock_row(other)
        if row is not None and row.holder == holder.holder:
            holder.release()

    event.listen(engine, "checkin", release_once_the_insert_failed)
    try:
        contender.acquire()
    finally:
        event.remove(engine, "checkin", release_once_the_insert_failed)
        other.dispose()
    assert lock_row(engine).holder == contender.holder and contender.previous is None


def test_a_takeover_never_overwrites_a_holder_that_took_the_lock_after_it_was_read(engine, db_url, backend):
    if backend == "sqlite":
        pytest.skip("SQLite writers lock the database up front (BEGIN IMMEDIATE): the row cannot change under them")
    plant(engine, host="elsewhere", pid=1, expires_in=-timedelta(seconds=5))
    other = make_engine(db_url)
    quicker = Lease(other, DURATION)

    def take_it_first(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("UPDATE sync_lock") and quicker.previous is None:
            quicker.acquire()

    event.listen(engine, "before_cursor_execute", take_it_first)
    try:
        with pytest.raises((LockHeld, DBAPIError)) as refused:  # PostgreSQL: a serialization failure
            Lease(engine, DURATION).acquire()
    finally:
        event.remove(engine, "before_cursor_execute", take_it_first)
        other.dispose()
    if backend == "mariadb":  # the update found no row of the holder it read: that holder is named
        assert isinstance(refused.value, LockHeld) and (refused.value.host, refused.value.pid) == ("elsewhere", 1)
    assert quicker.previous == Previous("elsewhere", 1)
    assert lock_row(engine).holder == quicker.holder


def test_renewing_extends_the_lease_from_now(engine):
    lease = Lease(engine, DURATION)
    lease.acquire()
    set_expiry(engine, timedelta(seconds=2))  # about to run out
    before = now()
    assert lease.renew() is True
    row = lock_row(engine)
    assert before + DURATION - STORED <= row.expires_at <= now() + DURATION
    assert row.holder == lease.holder


def test_a_lease_taken_over_can_no_longer_be_renewed_confirmed_or_released(engine):
    stale = Lease(engine, DURATION)
    stale.acquire()
    set_expiry(engine, -timedelta(seconds=5))
    taker = Lease(engine, DURATION)
    taker.acquire()
    taken = lock_row(engine)
    assert stale.renew() is False
    with transaction(engine) as session, pytest.raises(LockLost) as lost:
        stale.confirm(session)
    assert str(lost.value) == "the sync lock was taken over while this sync ran; nothing was published"
    stale.release()
    row = lock_row(engine)
    assert (row.holder, row.expires_at) == (taker.holder, taken.expires_at)


def test_the_holder_confirms_its_lease_inside_a_writers_transaction(engine):
    lease = Lease(engine, DURATION)
    lease.acquire()
    with transaction(engine) as session:
        lease.confirm(session)
    lease.release()
    with transaction(engine) as session, pytest.raises(LockLost):
        lease.confirm(session)


def test_a_released_lock_is_free_for_the_next_sync_without_a_takeover(engine):
    first = Lease(engine, DURATION)
    first.acquire()
    first.release()
    assert lock_row(engine) is None
    second = Lease(engine, DURATION)
    second.acquire()
    assert second.previous is None and lock_row(engine).holder == second.holder


def test_the_block_holds_the_lock_renewed_in_the_background_and_releases_it(engine):
    with sync_lock(engine, timedelta(seconds=30)) as held:
        set_expiry(engine, timedelta(seconds=2))  # renewals every 10 s: none during this block
        assert lock_row(engine).holder == held.holder
    assert lock_row(engine) is None
    with sync_lock(engine, timedelta(seconds=0.6)) as held:  # renewals every 0.2 s
        set_expiry(engine, timedelta(seconds=-5))
        deadline = time.monotonic() + 10
        while lock_row(engine).expires_at < now():
            assert time.monotonic() < deadline, "the lease was not renewed"
            time.sleep(0.02)
        assert lock_row(engine).holder == held.holder
    assert lock_row(engine) is None


def test_the_renewal_period_is_a_third_of_the_lease(engine):
    with sync_lock(engine, timedelta(seconds=3)):
        set_expiry(engine, timedelta(seconds=-5))
        started = time.monotonic()
        time.sleep(0.5)
        assert lock_row(engine).expires_at < now()  # not renewed yet
        deadline = started + 2.5
        while lock_row(engine).expires_at < now():
            assert time.monotonic() < deadline, "the lease was not renewed"
            time.sleep(0.05)


def test_a_lease_lost_in_the_block_is_logged_once_and_left_to_its_new_holder(engine, caplog):
    with caplog.at_level(logging.WARNING, logger="syncer.lock"), sync_lock(engine, timedelta(seconds=0.3)):
        with transaction(engine) as session:
            session.execute(update(SyncLock).values(holder="elsewhere:1:feedbeef", host="elsewhere",
                                                    expires_at=now() + timedelta(minutes=5)))
        wait_for_log(caplog, "the sync lock was lost; another sync may start")
        time.sleep(0.3)  # three more renewal periods
    assert caplog.messages.count("the sync lock was lost; another sync may start") == 1
    assert lock_row(engine).holder == "elsewhere:1:feedbeef"


def test_database_trouble_while_holding_the_lock_is_logged_not_raised(empty_db_url, caplog):
    engine = make_engine(empty_db_url)  # a database of its own: the test drops the lock's table
    try:
        migrate.upgrade(engine)
        with caplog.at_level(logging.WARNING, logger="syncer.lock"), sync_lock(engine, timedelta(seconds=0.3)):
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE sync_lock"))
            wait_for_log(caplog, "could not renew the sync lock")
            time.sleep(0.2)  # it keeps trying
        assert caplog.messages.count("could not renew the sync lock") >= 2
        assert "could not release the sync lock; it expires at the end of its lease" in caplog.messages
    finally:
        engine.dispose()
