"""GET /api/v1/status and /healthz: how the sync is doing and whether the database answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api import create_app
from api.state import EXTENSION
from shared.config import ApiSettings
from shared.db import make_engine
from shared.models import RefreshRequest, SyncRun, WebhookDelivery, WorkerHeartbeat
from tests.api.data import publish, repository
from tests.helpers import url_string

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def run(started: datetime, status: str, trigger: str = "schedule", **fields) -> SyncRun:
    return SyncRun(trigger=trigger, owners="alice", host="box", pid=1, started_at=started, status=status, **fields)


def heartbeat(last_seen: datetime, **fields) -> WorkerHeartbeat:
    return WorkerHeartbeat(
        id=f"box:{int(last_seen.timestamp())}",
        host="box",
        pid=1,
        started_at=last_seen,
        last_seen_at=last_seen,
        **fields,
    )


def add(engine, *rows) -> None:
    with Session(engine) as session, session.begin():
        session.add_all(rows)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_status_before_anything_ran_says_never_synced(client):
    response = client.get("/api/v1/status")

    assert response.status_code == 200
    assert response.get_json() == {
        "synced_at": None, "checked_at": None, "changed_at": None, "generation": 0, "last_run": None, "worker": None,
        "refresh_requests": {"pending": 0, "oldest_pending_at": None, "failed": 0}, "last_webhook": None,
    }


def test_status_shows_when_data_was_last_published(engine, client):
    publish(engine, repository(1, "alice/a"))

    body = client.get("/api/v1/status").get_json()

    assert body["generation"] == 1
    assert abs(datetime.fromisoformat(body["synced_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_status_shows_the_latest_run_and_its_outcome(engine, client):
    add(
        engine,
        run(NOW - timedelta(hours=5), "success", finished_at=NOW - timedelta(hours=4), added=3),
        run(NOW - timedelta(hours=1), "failed", finished_at=NOW - timedelta(minutes=50), error="GitHub answered 502"),
    )

    last_run = client.get("/api/v1/status").get_json()["last_run"]

    assert last_run == {
        "status": "failed",
        "trigger": "schedule",
        "started_at": iso(NOW - timedelta(hours=1)),
        "finished_at": iso(NOW - timedelta(minutes=50)),
        "error": "GitHub answered 502",
        "added": 0,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
        "skipped": 0,
        "runs": 1,
        "notes": [],
    }


def test_status_shows_when_github_was_last_checked_and_when_data_last_changed(engine, client):
    publish(engine, repository(1, "alice/a"))
    add(
        engine,
        run(NOW - timedelta(hours=3), "success", finished_at=NOW - timedelta(hours=2)),
        run(NOW - timedelta(minutes=20), "success", finished_at=NOW - timedelta(minutes=19), trigger="refresh"),
        run(NOW - timedelta(minutes=5), "failed", finished_at=NOW - timedelta(minutes=4), error="GitHub answered 502"),
    )

    body = client.get("/api/v1/status").get_json()

    assert body["checked_at"] == iso(NOW - timedelta(minutes=19))
    assert abs(datetime.fromisoformat(body["changed_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_status_shows_folded_quiet_runs_and_the_notes(engine, client):
    add(engine, run(NOW - timedelta(hours=1), "success", finished_at=NOW, runs=57,
                    notes=["pins, releases, social images and language colours need GITHUB_TOKEN"]))

    last_run = client.get("/api/v1/status").get_json()["last_run"]

    assert last_run["runs"] == 57 and "GITHUB_TOKEN" in last_run["notes"][0]


def test_status_reports_a_fresh_heartbeat_and_the_next_run(engine, client):
    now = datetime.now(timezone.utc).replace(microsecond=0)  # freshness is judged against the real clock
    add(
        engine,
        heartbeat(now - timedelta(hours=3), stopped_at=now - timedelta(hours=3)),
        heartbeat(now - timedelta(seconds=20), next_run_at=now + timedelta(hours=2)),
    )

    worker = client.get("/api/v1/status").get_json()["worker"]

    assert worker == {
        "last_seen_at": iso(now - timedelta(seconds=20)),
        "heartbeat_fresh": True,
        "next_run_at": iso(now + timedelta(hours=2)),
    }


def test_a_worker_that_beats_slowly_is_judged_by_its_own_interval(engine, client):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    add(engine, heartbeat(now - timedelta(seconds=200), heartbeat_seconds=300, next_run_at=now + timedelta(hours=1)))
    assert client.get("/api/v1/status").get_json()["worker"]["heartbeat_fresh"] is True


def test_status_reports_a_silent_worker_as_stale(engine, client):
    add(engine, heartbeat(NOW - timedelta(minutes=10), next_run_at=NOW + timedelta(hours=2)))

    assert client.get("/api/v1/status").get_json()["worker"]["heartbeat_fresh"] is False


def test_status_reports_a_stopped_worker_as_stale_with_no_next_run(engine, client):
    add(engine, heartbeat(NOW - timedelta(seconds=5), stopped_at=NOW, next_run_at=NOW + timedelta(hours=2)))

    worker = client.get("/api/v1/status").get_json()["worker"]

    assert (worker["heartbeat_fresh"], worker["next_run_at"]) == (False, None)


def test_no_answer_ever_shows_the_github_token_even_when_it_is_in_the_environment(engine, db_url, monkeypatch):
    token = "ghp_" + "S3cr3tT0kenValue" * 2
    monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.setenv("DATABASE_URL", url_string(db_url))
    publish(engine, repository(1, "alice/a"))
    add(engine, run(NOW, "failed", error="GitHub answered 401"), heartbeat(NOW))
    app = create_app()
    client = app.test_client()

    paths = ["/api/v1/status", "/api/v1/repos", "/api/v1/repos/alice/a", "/healthz", "/api/v1/openapi.json"]
    bodies = [client.get(path).get_data(as_text=True) for path in paths]
    app.extensions[EXTENSION].engine.dispose()

    assert all(token not in body and "ghp_" not in body for body in bodies)


def test_healthz_is_200_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_503_json_when_the_database_does_not_exist(db_url, backend, tmp_path):
    if backend == "sqlite":
        missing = db_url.set(database=str(tmp_path / "never-created.db"))
    else:
        missing = db_url.set(database="syncer_test_dropped_database")
    engine = make_engine(missing, read_only=True)
    try:
        response = create_app(ApiSettings(), engine).test_client().get("/healthz")
    finally:
        engine.dispose()

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


def test_data_endpoints_are_503_json_when_the_database_does_not_answer(tmp_path):
    engine = make_engine(make_url(f"sqlite:///{tmp_path / 'missing.db'}"), read_only=True)
    try:
        response = create_app(ApiSettings(), engine).test_client().get("/api/v1/repos")
    finally:
        engine.dispose()

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


def test_an_unmigrated_database_is_a_503_naming_the_fix(empty_db_url, backend):
    engine = make_engine(empty_db_url, read_only=True)
    try:
        response = create_app(ApiSettings(), engine).test_client().get("/api/v1/repos")
    finally:
        engine.dispose()

    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] in ("schema_missing", "database_unavailable")
    if backend != "sqlite":  # SQLite's read-only open of a file that does not exist fails earlier
        assert "syncer db upgrade" in error["message"]


def refresh_request(received: datetime, status: str = "pending", **fields) -> RefreshRequest:
    values = dict(owner_login="alice", repository_id=1, full_name="alice/a", event="push", attempts=0,
                  delivery_id=f"d-{received.timestamp()}-{status}", received_at=received, next_attempt_at=received)
    return RefreshRequest(status=status, **{**values, **fields})


def test_status_counts_pending_refresh_requests_from_the_oldest_and_those_given_up(engine, client):
    add(
        engine,
        refresh_request(NOW - timedelta(seconds=30)),
        refresh_request(NOW - timedelta(seconds=3)),
        refresh_request(NOW - timedelta(hours=2), "done", finished_at=NOW - timedelta(hours=2)),
        refresh_request(NOW - timedelta(hours=3), "failed", attempts=5, finished_at=NOW - timedelta(hours=1)),
    )

    assert client.get("/api/v1/status").get_json()["refresh_requests"] == {
        "pending": 2, "oldest_pending_at": iso(NOW - timedelta(seconds=30)), "failed": 1,
    }


def test_status_shows_the_last_webhook_delivery_received(engine, client):
    add(
        engine,
        WebhookDelivery(delivery_id="older", event="ping", received_at=NOW - timedelta(minutes=5), requests=0),
        WebhookDelivery(delivery_id="72d3162e-cc78-11e3-81ab-4c9367dc0958", event="repository", action="renamed",
                        received_at=NOW - timedelta(seconds=4), requests=1),
    )

    assert client.get("/api/v1/status").get_json()["last_webhook"] == {
        "received_at": iso(NOW - timedelta(seconds=4)), "event": "repository", "action": "renamed",
        "delivery_id": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
