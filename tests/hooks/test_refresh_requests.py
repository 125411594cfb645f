"""The worker's side of refresh requests: coalesced per repository, done, or retried with backoff and given up."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import RefreshRequest
from syncer.hooks.deliveries import NewRequest, record_delivery
from syncer.refresh_requests import RetryPolicy, mark_done, mark_failed, pending_requests

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
ROCKET = NewRequest("alice", 1000, "rocket", "alice/rocket")
PARSER = NewRequest("alice", 1001, "parser", "alice/parser")


def receive(engine, at: datetime, *requests: NewRequest, event: str = "push", action: str | None = None) -> None:
    assert record_delivery(engine, str(uuid.uuid4()), event, action, list(requests), at)


def due(engine, now: datetime, **options):
    with Session(engine) as session:
        return pending_requests(session, now, **options)


def statuses(engine) -> list[tuple[int, str, int]]:
    with Session(engine) as session:
        return [(r.id, r.status, r.attempts) for r in session.scalars(select(RefreshRequest).order_by(RefreshRequest.id))]


def test_ten_pushes_to_one_repository_in_three_seconds_are_one_refresh(engine):
    for i in range(10):
        receive(engine, T0 + timedelta(seconds=i / 3), ROCKET)

    refreshes = due(engine, T0 + timedelta(seconds=5))

    assert len(refreshes) == 1
    refresh = refreshes[0]
    assert (refresh.owner_login, refresh.repository_id, refresh.full_name) == ("alice", 1000, "alice/rocket")
    assert len(refresh.request_ids) == 10 and refresh.events == ("push",) and not refresh.whole_owner
    assert (refresh.first_received_at, refresh.last_received_at) == (T0, T0 + timedelta(seconds=3))


def test_a_burst_still_arriving_waits_until_it_settles(engine):
    receive(engine, T0, ROCKET)
    receive(engine, T0 + timedelta(seconds=0.8), ROCKET)

    assert due(engine, T0 + timedelta(seconds=1.2)) == []
    assert len(due(engine, T0 + timedelta(seconds=1.8))[0].request_ids) == 2


def test_a_repository_that_never_settles_is_taken_after_the_longest_hold(engine):
    for i in range(12):
        receive(engine, T0 + timedelta(seconds=i / 2), ROCKET)

    assert due(engine, T0 + timedelta(seconds=4.9)) == []
    assert len(due(engine, T0 + timedelta(seconds=5.5))[0].request_ids) == 12


def test_a_single_request_is_due_within_two_seconds(engine):
    receive(engine, T0, ROCKET)
    assert len(due(engine, T0 + timedelta(seconds=1))) == 1


def test_each_repository_is_its_own_refresh_oldest_first(engine):
    receive(engine, T0, PARSER)
    receive(engine, T0 + timedelta(seconds=1), ROCKET, event="star", action="created")
    receive(engine, T0 + timedelta(seconds=2), PARSER)

    refreshes = due(engine, T0 + timedelta(seconds=10))

    assert [(r.repository_id, len(r.request_ids), r.events) for r in refreshes] == [
        (1001, 2, ("push",)), (1000, 1, ("star.created",))
    ]


def test_a_rename_in_a_burst_gives_the_newest_name(engine):
    receive(engine, T0, ROCKET)
    receive(engine, T0 + timedelta(seconds=1), NewRequest("alice", 1000, "space-rocket", "alice/space-rocket"),
            event="repository", action="renamed")

    [refresh] = due(engine, T0 + timedelta(seconds=10))

    assert (refresh.full_name, refresh.events) == ("alice/space-rocket", ("push", "repository.renamed"))


def test_an_owner_wide_refresh_stands_for_that_owners_repository_requests(engine):
    receive(engine, T0, ROCKET)
    receive(engine, T0 + timedelta(seconds=1), NewRequest("alice"), event="organization", action="renamed")
    receive(engine, T0 + timedelta(seconds=1), NewRequest("acme-org", 5, "x", "acme-org/x"))

    refreshes = due(engine, T0 + timedelta(seconds=10))

    assert [(r.owner_login, r.whole_owner, r.repository_id, r.full_name, len(r.request_ids)) for r in refreshes] == [
        ("alice", True, None, None, 2), ("acme-org", False, 5, "acme-org/x", 1)
    ]


def test_mark_done_finishes_the_requests_taken_and_keeps_those_that_came_since(engine):
    receive(engine, T0, ROCKET)
    receive(engine, T0 + timedelta(seconds=1), ROCKET)
    [refresh] = due(engine, T0 + timedelta(seconds=3))
    receive(engine, T0 + timedelta(seconds=4), ROCKET)  # arrives while the worker syncs

    with Session(engine) as session, session.begin():
        mark_done(session, refresh, T0 + timedelta(seconds=5))

    assert [status for _, status, _ in statuses(engine)] == ["done", "done", "pending"]
    [later] = due(engine, T0 + timedelta(seconds=6))
    assert len(later.request_ids) == 1
    with Session(engine) as session:
        finished = session.get(RefreshRequest, refresh.request_ids[0]).finished_at
    assert finished == T0 + timedelta(seconds=5)


def test_a_failed_refresh_is_retried_after_a_doubling_backoff(engine):
    receive(engine, T0, ROCKET)
    policy = RetryPolicy(max_attempts=5, backoff=timedelta(seconds=30))
    now = T0 + timedelta(seconds=2)
    waits = []
    for _ in range(3):
        [refresh] = due(engine, now)
        with Session(engine) as session, session.begin():
            assert mark_failed(session, refresh, now, "GitHub answered 502", policy) is False
        with Session(engine) as session:
            retry_at = session.get(RefreshRequest, refresh.request_ids[0]).next_attempt_at
        assert due(engine, retry_at - timedelta(seconds=1)) == []
        waits.append(retry_at - now)
        now = retry_at

    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    with Session(engine) as session:
        request = session.scalars(select(RefreshRequest)).one()
        assert (request.status, request.attempts, request.last_error) == ("pending", 3, "GitHub answered 502")


def test_the_backoff_stops_growing_at_its_maximum():
    policy = RetryPolicy(backoff=timedelta(seconds=30), max_backoff=timedelta(minutes=5))
    assert [policy.delay(n) for n in (1, 4, 5, 20)] == [timedelta(seconds=30), timedelta(minutes=4),
                                                        timedelta(minutes=5), timedelta(minutes=5)]


def test_a_refresh_that_keeps_failing_is_given_up_and_reported(engine, caplog):
    caplog.set_level(logging.WARNING, logger="syncer.refresh_requests")
    receive(engine, T0, ROCKET)
    policy = RetryPolicy(max_attempts=3, backoff=timedelta(seconds=1))
    now, outcomes = T0 + timedelta(seconds=2), []
    for _ in range(3):
        [refresh] = due(engine, now)
        with Session(engine) as session, session.begin():
            outcomes.append(mark_failed(session, refresh, now, "404 Not Found", policy))
        now += timedelta(hours=1)

    assert outcomes == [False, False, True]
    assert due(engine, now + timedelta(days=1)) == []
    [(_, status, attempts)] = statuses(engine)
    assert (status, attempts) == ("failed", 3)
    assert [r.getMessage() for r in caplog.records] == [
        "gave up refreshing alice/rocket after 3 attempts: 404 Not Found"
    ]


def test_a_new_request_for_a_failing_repository_joins_it_and_is_due_at_once(engine):
    receive(engine, T0, ROCKET)
    [refresh] = due(engine, T0 + timedelta(seconds=2))
    with Session(engine) as session, session.begin():
        mark_failed(session, refresh, T0 + timedelta(seconds=2), "timeout")
    receive(engine, T0 + timedelta(seconds=3), ROCKET)

    [again] = due(engine, T0 + timedelta(seconds=5))

    assert (len(again.request_ids), again.attempts) == (2, 1)


def test_pending_requests_survive_a_new_connection(engine, db_url):
    from shared.db import make_engine

    receive(engine, T0, ROCKET)
    engine.dispose()
    other = make_engine(db_url)
    try:
        assert [r.repository_id for r in due(other, T0 + timedelta(seconds=2))] == [1000]
    finally:
        other.dispose()
