"""`syncer status` shows pending refresh requests and the last webhook delivery received."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from syncer.hooks.deliveries import NewRequest, record_delivery
from syncer.refresh_requests import RetryPolicy, mark_failed, pending_requests
from tests.helpers import run_syncer, syncer_env


def test_status_without_webhooks_says_so(db_url):
    result = run_syncer("status", env=syncer_env(db_url))

    assert result.returncode == 0, result.stderr
    assert "refresh requests: 0 pending; no webhook delivery received in the past week" in result.stdout


def test_status_shows_pending_and_given_up_requests_and_the_last_delivery(db_url, engine):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    record_delivery(engine, "d-old", "push", None, [NewRequest("alice", 1, "a", "alice/a")], now - timedelta(hours=1))
    with Session(engine) as session, session.begin():
        [refresh] = pending_requests(session, now)
        mark_failed(session, refresh, now, "404", RetryPolicy(max_attempts=1))
    record_delivery(engine, "d-1", "push", None, [NewRequest("alice", 2, "b", "alice/b")], now - timedelta(seconds=9))
    record_delivery(engine, "72d3162e", "repository", "renamed", [NewRequest("alice", 3, "c", "alice/c")],
                    now - timedelta(seconds=2))

    result = run_syncer("status", env=syncer_env(db_url))

    assert result.returncode == 0, result.stderr
    when = (now - timedelta(seconds=9)).strftime("%Y-%m-%d %H:%M:%S UTC")
    last = (now - timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert (f"refresh requests: 2 pending (oldest {when}), 1 given up; "
            f"last webhook {last} (repository.renamed, delivery 72d3162e)") in result.stdout
