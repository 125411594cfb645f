"""The GitHub client against a fake GitHub over real sockets: headers, pages, ETags, limits, faults."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from sqlalchemy import delete

from shared.config import GitHubSettings
from shared.models import HttpCacheEntry
from syncer.errors import Aborted, GitHubError, GitHubUnavailable, RateLimited
from syncer.github import GitHubClient
from syncer.responses import ResponseStore
from tests.fakegithub import FakeGitHub
from tests.sync.conftest import TOKEN

pytestmark = pytest.mark.parametrize("databases", ["sqlite"], indirect=True)


@pytest.fixture
def store(engine):
    return ResponseStore(engine, "test")


@pytest.fixture
def client(fake, settings, store):
    client = GitHubClient(settings, store)
    yield client
    client.close()


def repo_with_contributors(fake, n: int) -> int:
    people = [{"login": f"user{i}", "id": 10_000 + i, "contributions": 500 - i} for i in range(n)]
    return fake.add_repo("alice", "big", contributors=people)


def test_sends_github_headers_and_bearer_token(fake, client):
    fake.add_owner("alice")
    client.get(client.url("/users/alice"))
    record = fake.requests[-1]
    assert record.authorized and fake.auth_tokens == {TOKEN}
    assert record.headers["Accept"] == "application/vnd.github+json"
    assert record.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert record.headers["User-Agent"].startswith("portfolio-syncer/")


def test_no_authorization_header_without_token(fake, settings, store):
    fake.add_owner("alice")
    anonymous = GitHubClient(replace(settings, token=None), store)
    anonymous.get(anonymous.url("/users/alice"))
    assert not fake.requests[-1].authorized


def test_pagination_follows_link_headers_only(fake, client):
    repo_with_contributors(fake, 250)
    pages = [reply for _, reply in client.pages(client.url("/repos/alice/big/contributors", per_page=100))]
    assert [len(p.data) for p in pages] == [100, 100, 50]
    assert [r.query.get("page") for r in fake.requests] == [None, "2", "3"]
    assert all(r.query["per_page"] == "100" for r in fake.requests)


def test_etag_is_sent_back_and_304_reuses_the_stored_body_for_free(fake, client):
    repo_with_contributors(fake, 150)
    url = client.url("/repos/alice/big/contributors", per_page=100)
    first = [reply.data for _, reply in client.pages(url)]
    spent = fake.points_spent
    second = [reply for _, reply in client.pages(url, body=True)]
    assert [reply.data for reply in second] == first
    assert all(reply.not_modified for reply in second)
    assert all(r.if_none_match for r in fake.requests[-2:])
    assert fake.points_spent == spent  # authenticated 304s cost nothing
    assert client.stats.not_modified == 2 and client.stats.points_spent == 2


def test_enterprise_base_path_works_the_same(store):
    with FakeGitHub(base_path="/api/v3") as ghe:
        ghe.add_owner("alice")
        settings = GitHubSettings(api_url=ghe.url, owners=("alice",))
        assert settings.api_url.endswith("/api/v3")
        client = GitHubClient(settings, store)
        assert client.get(client.url("/users/alice")).data["login"] == "alice"


@pytest.mark.parametrize("kind", ["500", "502_html", "timeout", "reset", "truncated"])
def test_transient_faults_are_retried(fake, settings, store, kind):
    fake.add_owner("alice")
    fake.fail(r"^/users/alice$", kind, times=2, seconds=3)
    client = GitHubClient(replace(settings, timeout=0.5), store)
    reply = client.get(client.url("/users/alice"))
    assert reply.data["login"] == "alice"
    assert client.stats.requests == 3  # two failed attempts, then the answer
    assert fake.requests[-1].status == 200 and fake.requests[-1].fault is None


def test_persistent_failure_gives_up_after_bounded_attempts(fake, client):
    fake.fail(r".*", "500", times=None)
    with pytest.raises(GitHubUnavailable, match="giving up"):
        client.get(client.url("/users/alice"))
    assert len(fake.requests) == client.settings.max_attempts


def test_consecutive_failures_across_requests_stop_the_run(fake, settings, store):
    fake.fail(r".*", "500", times=None)
    client = GitHubClient(replace(settings, max_attempts=3, max_consecutive_failures=5), store)
    with pytest.raises(GitHubUnavailable):
        client.get(client.url("/users/a"))
    with pytest.raises(GitHubUnavailable, match="in a row"):
        client.get(client.url("/users/b"))
    assert len(fake.requests) == 5


def test_secondary_limit_waits_retry_after(fake, client):
    fake.add_owner("alice")
    fake.fail(r"^/users/alice$", "secondary", retry_after=1)
    started = time.monotonic()
    assert client.get(client.url("/users/alice")).data["login"] == "alice"
    assert time.monotonic() - started >= 1.0


def test_secondary_limit_without_retry_after_backs_off_exponentially(fake, client):
    fake.add_owner("alice")
    fake.fail(r"^/users/alice$", "secondary", times=2, retry_after=None)
    started = time.monotonic()
    client.get(client.url("/users/alice"))
    # secondary_backoff is 0.05 s in tests: 0.05 then 0.1
    assert time.monotonic() - started >= 0.15


def test_primary_exhaustion_waits_for_the_reset_within_the_bound(fake, client):
    fake.add_owner("alice")
    fake.fail(r"^/users/alice$", "primary", reset_in=1)
    started = time.monotonic()
    assert client.get(client.url("/users/alice")).data["login"] == "alice"
    assert time.monotonic() - started >= 0.9


def test_primary_exhaustion_beyond_the_bound_ends_with_resume_time(fake, client):
    fake.set_rate_limit(0, reset_in_seconds=3600)
    with pytest.raises(RateLimited) as error:
        client.get(client.url("/users/alice"))
    assert "run again after" in str(error.value) and error.value.resume_at is not None
    assert len(fake.requests) == 1


def test_429_is_a_rate_limit_too(fake, client):
    fake.add_owner("alice")
    fake.fail(r"^/users/alice$", "429", reset_in=1)
    assert client.get(client.url("/users/alice")).data["login"] == "alice"


def test_renamed_repository_is_followed_through_301(fake, client):
    rid = fake.add_repo("alice", "old", languages={"Go": 10})
    fake.rename_repo(rid, "new")
    reply = client.get(client.url("/repos/alice/old/languages"))
    assert reply.data == {"Go": 10}
    assert [r.status for r in fake.requests] == [301, 200]
    assert client.stats.requests == 2


def test_stop_event_aborts_a_wait(fake, settings, store):
    fake.set_rate_limit(0, reset_in_seconds=3)
    stop = threading.Event()
    client = GitHubClient(settings, store, stop=stop)
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(Aborted):
        client.get(client.url("/users/alice"))
    assert time.monotonic() - started < 2


def test_a_403_that_is_not_a_rate_limit_is_an_error(fake, client):
    fake.update_repo(repo_with_contributors(fake, 1), contributors_mode="too_large")
    started = time.monotonic()
    with pytest.raises(GitHubError, match="403"):
        client.get(client.url("/repos/alice/big/contributors"))
    assert len(fake.requests) == 1 and time.monotonic() - started < 0.5


def test_a_304_whose_stored_body_is_gone_is_asked_again_unconditionally(fake, client, store, engine):
    fake.add_owner("alice")
    url = client.url("/users/alice")
    client.get(url)
    with engine.begin() as connection:
        connection.execute(delete(HttpCacheEntry))
    reply = client.get(url, body=True)
    assert reply.data["login"] == "alice"
    assert [r.status for r in fake.requests] == [200, 304, 200]
    assert fake.requests[-1].if_none_match is None


def test_a_success_ends_the_failure_streak(fake, settings, store):
    for login in ("a", "b", "c"):
        fake.add_owner(login)
        fake.fail(rf"^/users/{login}$", "500", times=2)
    client = GitHubClient(replace(settings, max_attempts=3, max_consecutive_failures=3), store)
    assert [client.get(client.url(f"/users/{login}")).data["login"] for login in ("a", "b", "c")] == ["a", "b", "c"]


def test_points_are_counted_as_github_counts_them(fake, client):
    fake.add_owner("alice")
    fake.fail(r"^/users/alice$", "500", times=2)
    client.get(client.url("/users/alice"))
    client.get(client.url("/users/alice"))  # an authenticated 304: free
    assert client.stats.requests == 4
    assert client.stats.points_spent == fake.points_spent == 3
