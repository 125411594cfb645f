"""`syncer run` finishes the job: a first sync stopped by the primary rate limit is tried again right
after the reset, not in tomorrow's window, until the dataset is complete."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import make_engine
from shared.models import SyncRun
from tests.helpers import expected_repositories, rest_minimum, stored_repositories
from tests.worker.processes import window_ahead, worker_env

WINDOW = 4.0  # seconds between refills of the fake's rate limit


def next_syncs(lines: list[str]) -> list[datetime]:
    """The instants of the worker's "next sync at 2025-01-02 03:04:05 UTC" log lines."""
    stamps = [line.split("next sync at ", 1)[1][:19] for line in lines if "next sync at " in line]
    return [datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc) for s in stamps]


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_a_first_sync_needing_three_windows_completes_with_the_worker(empty_db_url, fake, start_worker):
    truth = fake.snapshot()
    minimum = rest_minimum(truth, ["alice"])
    limit = minimum // 3 + 2
    # The first window opens with the first request; each later one with the first after a reset.
    fake.set_rate_limit(limit, 0, limit=limit, window_seconds=WINDOW)
    window, _, _ = window_ahead(opens_in=6 * 3600, lasts=600)  # the daily window is far away
    worker = start_worker(worker_env(empty_db_url, fake, SYNC_WINDOW=window, GITHUB_MAX_RATE_LIMIT_WAIT="0"))
    worker.wait_for("right away: no dataset yet")
    deadline = time.monotonic() + 120
    while worker.count("sync success") == 0:
        later = [at for at in next_syncs(worker.lines) if at > datetime.now(timezone.utc) + timedelta(minutes=10)]
        assert not later, f"after a rate-limited run the worker waits until {later[0]}; the log:\n{worker.log}"
        assert time.monotonic() < deadline, f"no complete sync within 120 s; the log:\n{worker.log}"
        time.sleep(0.2)
    status, _ = worker.stop()
    assert status == 0, worker.log
    engine = make_engine(empty_db_url)
    try:
        assert stored_repositories(engine) == expected_repositories(truth)
        with Session(engine) as session:
            statuses = list(session.scalars(select(SyncRun.status).order_by(SyncRun.id)))
    finally:
        engine.dispose()
    assert worker.count("sync failed") >= 2  # three windows: at least two runs stopped by the limit
    assert statuses[-1] == "success" and "success" not in statuses[:-1]
    assert minimum <= fake.points_spent <= 1.05 * minimum
