"""POST /webhooks/github: verified first, then filtered, then recorded once as refresh requests."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from shared.models import RefreshRequest, Repository, WebhookDelivery
from tests.api.data import publish, repository
from tests.fakehooks import PATH, sign
from tests.helpers import dump_dataset
from tests.hooks.receiver import SECRET

ALICE_REPO, ORG_REPO, MALLORY_REPO, ALICE_OTHER = 1000, 1001, 1002, 1003


def post(client, delivery):
    return client.post(PATH, data=delivery.body, headers=delivery.headers)


def recorded(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.scalars(select(RefreshRequest).order_by(RefreshRequest.id)).all()
        return [(r.owner_login, r.repository_id, r.full_name, r.event, r.action, r.status) for r in rows]


def deliveries(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        return [(d.delivery_id, d.event, d.action, d.requests) for d in rows]


def nothing_recorded(engine) -> bool:
    return recorded(engine) == [] and deliveries(engine) == []


def test_a_push_is_recorded_as_a_pending_refresh_of_its_repository(client, engine, hooks):
    delivery = hooks.push(ALICE_REPO)

    response = post(client, delivery)

    assert (response.status_code, response.get_json()) == (202, {"status": "recorded", "requests": 1})
    assert recorded(engine) == [("alice", ALICE_REPO, "alice/quiet-engine", "push", None, "pending")]
    assert deliveries(engine) == [(delivery.delivery_id, "push", None, 1)]
    with Session(engine) as session:
        request = session.scalars(select(RefreshRequest)).one()
        assert request.delivery_id == delivery.delivery_id and request.attempts == 0
        assert request.next_attempt_at == request.received_at
        assert abs(request.received_at - datetime.now(timezone.utc)) < timedelta(minutes=1)


@pytest.mark.parametrize("make, event, action, repo_id", [
    (lambda h: h.repository_event(ALICE_REPO, "created"), "repository", "created", ALICE_REPO),
    (lambda h: h.repository_event(ALICE_REPO, "deleted"), "repository", "deleted", ALICE_REPO),
    (lambda h: h.repository_event(ALICE_REPO, "archived"), "repository", "archived", ALICE_REPO),
    (lambda h: h.repository_event(ALICE_REPO, "unarchived"), "repository", "unarchived", ALICE_REPO),
    (lambda h: h.repository_event(ORG_REPO, "edited", {"description": {"from": "old"}}), "repository", "edited",
     ORG_REPO),
    (lambda h: h.renamed(ALICE_REPO, "old-name"), "repository", "renamed", ALICE_REPO),
    (lambda h: h.transferred(ALICE_REPO, "acme-org"), "repository", "transferred", ALICE_REPO),
    (lambda h: h.repository_event(ORG_REPO, "publicized"), "repository", "publicized", ORG_REPO),
    (lambda h: h.repository_event(ORG_REPO, "privatized"), "repository", "privatized", ORG_REPO),
    (lambda h: h.star(ALICE_REPO, "created"), "star", "created", ALICE_REPO),
    (lambda h: h.star(ALICE_REPO, "deleted"), "star", "deleted", ALICE_REPO),
    (lambda h: h.release(ORG_REPO, "published"), "release", "published", ORG_REPO),
    (lambda h: h.public(ALICE_REPO), "public", None, ALICE_REPO),
    (lambda h: h.member(ORG_REPO, "bob", "added"), "member", "added", ORG_REPO),
    (lambda h: h.issue(ALICE_REPO, "opened"), "issues", "opened", ALICE_REPO),
    (lambda h: h.issue(ALICE_REPO, "closed"), "issues", "closed", ALICE_REPO),
    (lambda h: h.pull_request(ORG_REPO, "opened"), "pull_request", "opened", ORG_REPO),
    (lambda h: h.pull_request(ORG_REPO, "closed"), "pull_request", "closed", ORG_REPO),
], ids=lambda value: value if isinstance(value, str) else None)
def test_each_event_that_changes_mirrored_data_is_recorded_for_its_repository(
        client, engine, hooks, make, event, action, repo_id):
    delivery = make(hooks)
    repo = hooks.repository(repo_id)

    assert post(client, delivery).status_code == 202

    owner = repo["owner"]["login"]
    assert recorded(engine) == [(owner, repo_id, repo["full_name"], event, action, "pending")]
    assert deliveries(engine) == [(delivery.delivery_id, event, action, 1)]


def test_a_fork_of_our_repository_into_our_account_asks_for_both(client, engine, hooks):
    assert post(client, hooks.fork(ORG_REPO, ALICE_OTHER)).status_code == 202

    assert [(r[0], r[1]) for r in recorded(engine)] == [("acme-org", ORG_REPO), ("alice", ALICE_OTHER)]


def test_a_fork_of_our_repository_by_someone_else_asks_only_for_ours(client, engine, hooks):
    assert post(client, hooks.fork(ALICE_REPO, MALLORY_REPO)).status_code == 202

    assert [(r[0], r[1]) for r in recorded(engine)] == [("alice", ALICE_REPO)]


def test_a_repository_transferred_away_is_recorded_for_its_former_owner(client, engine, hooks):
    assert post(client, hooks.transferred(MALLORY_REPO, "alice")).status_code == 202

    assert recorded(engine) == [("alice", MALLORY_REPO, "mallory/proud-scheduler", "repository", "transferred",
                                 "pending")]


def test_an_organisation_renamed_asks_for_a_refresh_of_every_repository_of_it(client, engine, hooks):
    assert post(client, hooks.organization("acme-new-org", "renamed", old_login="ACME-org")).status_code == 202

    assert recorded(engine) == [("acme-org", None, None, "organization", "renamed", "pending")]


def test_owner_logins_match_case_insensitively_and_are_recorded_as_configured(client, engine, hooks):
    assert post(client, hooks.organization("Acme-Org", "member_added")).status_code == 202

    assert recorded(engine)[0][0] == "acme-org"


@pytest.mark.parametrize("headers", [
    {},
    {"X-Hub-Signature-256": "sha256=" + "0" * 64},
    {"X-Hub-Signature-256": "sha1=deadbeef"},
    {"X-Hub-Signature-256": "not a signature at all \u00e9"},
], ids=["missing", "wrong", "sha1 in the sha256 header", "garbage"])
def test_a_missing_or_wrong_signature_is_401_and_records_nothing(client, engine, hooks, headers):
    delivery = hooks.unsigned(hooks.push(ALICE_REPO))

    response = client.post(PATH, data=delivery.body, headers={**delivery.headers, **headers})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert nothing_recorded(engine)


def test_a_delivery_signed_with_another_secret_is_401(client, engine, hooks):
    assert post(client, hooks.push(ALICE_REPO, secret="not-" + SECRET)).status_code == 401
    assert nothing_recorded(engine)


def test_a_signature_of_another_body_is_401(client, engine, hooks):
    delivery = hooks.push(ALICE_REPO)
    tampered = delivery.body.replace(b"quiet-engine", b"quiet-enginf")

    assert client.post(PATH, data=tampered, headers=delivery.headers).status_code == 401
    assert nothing_recorded(engine)


def test_the_signature_is_checked_before_the_body_is_parsed(client, engine):
    assert client.post(PATH, data=b"not json", headers={"X-GitHub-Event": "push",
                                                        "X-GitHub-Delivery": "d-1"}).status_code == 401


def test_a_body_over_one_mebibyte_is_413_and_records_nothing(client, engine, hooks):
    payload = {**hooks.push(ALICE_REPO).payload, "padding": "x" * (1024 * 1024)}
    delivery = hooks.deliver("push", payload)

    response = post(client, delivery)

    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    assert nothing_recorded(engine)


def test_a_body_of_exactly_one_mebibyte_is_read(client, engine, hooks):
    base = hooks.push(ALICE_REPO).payload
    size = len(json.dumps({**base, "padding": ""}, separators=(",", ":")))
    delivery = hooks.deliver("push", {**base, "padding": "x" * (1024 * 1024 - size)})
    assert len(delivery.body) == 1024 * 1024

    assert post(client, delivery).status_code == 202


def test_a_body_that_is_not_json_is_400(client, engine):
    body = b"payload=%7B%22zen%22%3A%22x%22%7D"  # what the form content type sends
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-form", **sign(SECRET, body),
               "Content-Type": "application/x-www-form-urlencoded"}

    response = client.post(PATH, data=body, headers=headers)

    assert response.status_code == 400 and response.get_json()["error"]["code"] == "not_json"
    assert nothing_recorded(engine)


def test_json_nested_too_deep_to_parse_is_400(client, engine, hooks):
    body = b"[" * 200_000 + b"]" * 200_000
    headers = {**hooks.push(ALICE_REPO).headers, **sign(SECRET, body)}

    assert client.post(PATH, data=body, headers=headers).status_code == 400
    assert nothing_recorded(engine)


def test_an_overlong_action_is_recorded_cut_to_its_column(client, engine, hooks):
    payload = {**hooks.release(ORG_REPO).payload, "action": "x" * 80}

    assert post(client, hooks.deliver("release", payload)).status_code == 202
    assert recorded(engine)[0][4] == "x" * 50


@pytest.mark.parametrize("event, payload", [
    ("push", []),
    ("push", {"ref": "refs/heads/main"}),
    ("push", {"repository": {"name": "x", "full_name": "alice/x", "owner": {"login": "alice"}}}),
    ("push", {"repository": {"id": "1000", "name": "x", "full_name": "alice/x", "owner": {"login": "alice"}}}),
    ("star", {"action": "created", "repository": {"id": 1000, "name": "x", "full_name": "alice/x", "owner": "alice"}}),
    ("fork", {"repository": {"id": 1000, "name": "x", "full_name": "alice/x", "owner": {"login": "alice"}}}),
    ("organization", {"action": "renamed", "organization": {"id": 5}}),
], ids=["array", "no repository", "no id", "id as text", "owner as text", "fork without forkee", "org without login"])
def test_json_without_what_the_event_needs_is_400(client, engine, hooks, event, payload):
    response = post(client, hooks.deliver(event, payload))

    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_payload"
    assert nothing_recorded(engine)


@pytest.mark.parametrize("missing", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_a_delivery_without_its_event_or_id_is_400(client, engine, hooks, missing):
    delivery = hooks.push(ALICE_REPO)
    headers = {k: v for k, v in delivery.headers.items() if k != missing}

    assert client.post(PATH, data=delivery.body, headers=headers).status_code == 400
    assert nothing_recorded(engine)


def test_a_ping_is_200_and_counts_as_the_last_delivery_without_a_refresh(client, engine, hooks):
    delivery = hooks.ping(ALICE_REPO)

    response = post(client, delivery)

    assert (response.status_code, response.get_json()) == (200, {"status": "pong"})
    assert recorded(engine) == []
    assert deliveries(engine) == [(delivery.delivery_id, "ping", None, 0)]


@pytest.mark.parametrize("event, payload", [
    ("watch", {"action": "started"}),
    ("issue_comment", {"action": "created"}),
    ("create", {"ref": "v1", "ref_type": "tag"}),
    ("repository_dispatch", {"action": "deploy"}),
])
def test_an_event_we_do_not_use_is_202_and_recorded_nowhere(client, engine, hooks, event, payload):
    base = hooks.push(ALICE_REPO).payload
    response = post(client, hooks.deliver(event, {**payload, "repository": base["repository"]}))

    assert response.status_code == 202 and response.get_json()["status"] == "ignored"
    assert nothing_recorded(engine)


@pytest.mark.parametrize("make", [
    lambda h: h.issue(ALICE_REPO, "labeled"),
    lambda h: h.pull_request(ALICE_REPO, "synchronize"),
    lambda h: h.organization("acme-org", "member_invited"),
    lambda h: h.repository_event(ALICE_REPO, "some_future_action"),
], ids=["issue labeled", "pull request synchronized", "member invited", "unknown repository action"])
def test_an_action_that_changes_nothing_mirrored_is_202_and_recorded_nowhere(client, engine, hooks, make):
    assert post(client, make(hooks)).status_code == 202
    assert nothing_recorded(engine)


def test_a_redelivery_is_200_and_not_recorded_twice(client, engine, hooks):
    delivery = hooks.push(ALICE_REPO)
    assert post(client, delivery).status_code == 202

    again = post(client, delivery)

    assert (again.status_code, again.get_json()) == (200, {"status": "duplicate"})
    assert len(recorded(engine)) == 1 and len(deliveries(engine)) == 1


def test_a_new_delivery_about_the_same_repository_is_recorded_again(client, engine, hooks):
    assert [post(client, hooks.push(ALICE_REPO)).status_code for _ in range(2)] == [202, 202]
    assert len(recorded(engine)) == 2


def test_a_foreign_owner_is_202_not_recorded_and_logged_once(client, engine, hooks, caplog):
    caplog.set_level(logging.INFO, logger="syncer.hooks")

    answers = [post(client, hooks.push(MALLORY_REPO)), post(client, hooks.star(MALLORY_REPO))]

    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].get_json() == {"status": "ignored", "reason": "not about an owner in GITHUB_OWNERS"}
    assert nothing_recorded(engine)
    assert [r.getMessage() for r in caplog.records if "mallory" in r.getMessage()] == [
        "ignoring deliveries about mallory (not in GITHUB_OWNERS), first seen with a push event"
    ]


def test_each_accepted_delivery_is_one_log_line_without_the_secret(client, hooks, caplog):
    caplog.set_level(logging.DEBUG)
    delivery = hooks.push(ALICE_REPO)

    post(client, delivery)
    post(client, hooks.unsigned(delivery))

    lines = [r.getMessage() for r in caplog.records if delivery.delivery_id in r.getMessage()]
    assert lines == [f"delivery {delivery.delivery_id}: push for alice/quiet-engine recorded"]
    assert SECRET not in caplog.text


def test_answers_are_small_json_and_never_cached(client, hooks):
    for response in (post(client, hooks.push(ALICE_REPO)), client.get("/healthz"), client.get(PATH)):
        assert response.mimetype == "application/json" and len(response.data) < 300
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get(PATH).status_code == 405


def test_healthz_answers_ok_when_the_database_does(client):
    assert (client.get("/healthz").status_code, client.get("/healthz").get_json()) == (200, {"status": "ok"})


def test_recording_leaves_published_data_untouched(client, engine, hooks):
    publish(engine, repository(ALICE_REPO, "alice/quiet-engine"), repository(ORG_REPO, "acme-org/rusty-notebook"))
    before = dump_dataset(engine)

    for make in (hooks.push, hooks.public, lambda repo_id: hooks.repository_event(repo_id, "deleted")):
        for repo_id in (ALICE_REPO, ORG_REPO):
            assert post(client, make(repo_id)).status_code == 202

    assert dump_dataset(engine) == before and len(recorded(engine)) == 6


def test_the_receivers_engine_cannot_write_published_tables(engine, receiver_engine):
    with pytest.raises(PermissionError, match="repositories"):
        with Session(receiver_engine) as session, session.begin():
            session.add(Repository(id=1, owner_login="a", name="b", full_name="a/b", html_url="https://github.com/a/b"))

    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Repository)) == 0


def test_recording_prunes_deliveries_and_finished_requests_older_than_a_week(client, engine, hooks):
    old, recent = datetime.now(timezone.utc) - timedelta(days=8), datetime.now(timezone.utc) - timedelta(days=6)
    request = {"owner_login": "alice", "event": "push", "delivery_id": "x", "attempts": 1}
    with Session(engine) as session, session.begin():
        session.execute(insert(WebhookDelivery), [
            {"delivery_id": "old", "event": "push", "received_at": old, "requests": 1},
            {"delivery_id": "recent", "event": "push", "received_at": recent, "requests": 1},
        ])
        session.execute(insert(RefreshRequest), [
            {**request, "received_at": old, "next_attempt_at": old, "status": "done", "finished_at": old},
            {**request, "received_at": old, "next_attempt_at": old, "status": "failed", "finished_at": old},
            {**request, "received_at": old, "next_attempt_at": old, "status": "pending", "repository_id": 7},
            {**request, "received_at": recent, "next_attempt_at": recent, "status": "done", "finished_at": recent,
             "repository_id": 8},
        ])
    delivery = hooks.push(ALICE_REPO)

    assert post(client, delivery).status_code == 202

    assert [d[0] for d in deliveries(engine)] == ["recent", delivery.delivery_id]
    assert [(r[1], r[5]) for r in recorded(engine)] == [(7, "pending"), (8, "done"), (ALICE_REPO, "pending")]


def test_the_same_delivery_arriving_eight_times_at_once_is_recorded_once(client, engine, hooks):
    delivery = hooks.push(ALICE_REPO)
    start = threading.Barrier(8)

    def send(_):
        own_client = client.application.test_client()
        start.wait()
        return post(own_client, delivery).status_code

    with ThreadPoolExecutor(8) as pool:
        answers = sorted(pool.map(send, range(8)))

    assert answers == [200] * 7 + [202]
    assert len(recorded(engine)) == 1 and len(deliveries(engine)) == 1
