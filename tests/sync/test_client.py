"""The GitHub client against a fake GitHub over real sockets: headers, pages, ETags, limits, faults."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from sqlalchemy import delete

from shared.config import GitHubSettings
from shared.models import HttpCacheEntry
from syncer.errors import Aborted, GitHubError, GitHubUnavailable, RateLimited
from syncer.github import GitHubClient, Reply
from syncer.responses import ResponseStore, Tag
from tests.fakegithub import TOO_LARGE_MESSAGE, FakeGitHub
from tests.helpers import TOKEN

pytestmark = pytest.mark.parametrize("databases", ["sqlite"], indirect=True)

README_HTML = "application/vnd.github.html+json"
RATE_LIMIT_QUERY = {"query": "query { rateLimit { cost remaining } }"}


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


@pytest.fixture
def client_log(caplog):
    """The client's warnings (retries and waits), as logged so far."""
    caplog.set_level(logging.WARNING, logger="syncer.github")
    return lambda: [record.getMessage() for record in caplog.records if record.name == "syncer.github"]


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


@pytest.mark.parametrize(("kind", "last"), [
    ("500", "HTTP 500"), ("reset", "ConnectionError"), ("truncated", "a body that is not valid JSON"),
])
def test_persistent_failure_gives_up_after_bounded_attempts(fake, client, kind, last):
    fake.add_owner("alice")
    fake.fail(r".*", kind, times=None)
    with pytest.raises(GitHubUnavailable) as error:
        client.get(client.url("/users/alice"))
    assert str(error.value) == f"GitHub failed 4 times for /users/alice (last: {last}); giving up"
    assert len(fake.requests) == client.settings.max_attempts == 4


def test_each_retry_is_logged_with_its_reason_path_and_attempt(fake, client, client_log):
    repo_with_contributors(fake, 1)
    fake.fail(r"/contributors$", "500", times=2)
    client.get(client.url("/repos/alice/big/contributors", per_page=100))
    assert client_log() == [
        "HTTP 500 for /repos/alice/big/contributors?per_page=100; retrying in 0.0 s (attempt 2 of 4)",
        "HTTP 500 for /repos/alice/big/contributors?per_page=100; retrying in 0.0 s (attempt 3 of 4)",
    ]


def test_consecutive_failures_across_requests_stop_the_run(fake, settings, store):
    fake.fail(r".*", "500", times=None)
    client = GitHubClient(replace(settings, max_attempts=3, max_consecutive_failures=5), store)
    with pytest.raises(GitHubUnavailable):
        client.get(client.url("/users/a"))
    with pytest.raises(GitHubUnavailable, match="in a row"):
        client.get(client.url("/users/b"))
    assert len(fake.requests) == 5


def test_secondary_limit_waits_retry_after(fake, client, client_log):
    fake.add_owner("alice")
    fake.fail(r"^/users/alice$", "secondary", retry_after=1)
    started = time.monotonic()
    assert client.get(client.url("/users/alice")).data["login"] == "alice"
    assert time.monotonic() - started >= 1.0
    assert client_log() == ["GitHub secondary rate limit: waiting 1 s"]


def test_rate_limits_in_a_row_are_waited_out_as_many_times_as_a_request_has_attempts(fake, settings, store):
    fake.add_owner("alice")
    client = GitHubClient(replace(settings, max_attempts=2), store)
    fake.fail(r"^/users/alice$", "secondary", times=2, retry_after=0)
    assert client.get(client.url("/users/alice")).data["login"] == "alice"
    fake.fail(r"^/users/alice$", "secondary", times=3, retry_after=0)
    with pytest.raises(RateLimited, match="^GitHub secondary rate limit hit 3 times in a row; run again later$"):
        client.get(client.url("/users/alice"))


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


def test_a_429_with_points_left_is_a_rate_limit_by_its_message(fake, client, client_log):
    fake.add_owner("alice")
    fake.fail(r"^/users/alice$", "429", reset_in=0)  # the bucket refills at once: no "Remaining: 0"
    assert client.get(client.url("/users/alice")).data["login"] == "alice"
    assert [r.status for r in fake.requests] == [429, 200]
    assert client_log() == ["GitHub secondary rate limit: waiting 0 s"]


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
    with pytest.raises(Aborted, match="^stop requested$"):
        client.get(client.url("/users/alice"))
    assert time.monotonic() - started < 2


def test_a_stop_requested_before_a_request_sends_nothing(fake, settings, store):
    stop = threading.Event()
    stop.set()
    client = GitHubClient(settings, store, stop=stop)
    with pytest.raises(Aborted, match="^stop requested$"):
        client.get(client.url("/users/alice"))
    assert fake.requests == []


def test_a_403_that_is_not_a_rate_limit_is_an_error(fake, client):
    fake.update_repo(repo_with_contributors(fake, 1), contributors_mode="too_large")
    started = time.monotonic()
    with pytest.raises(GitHubError) as error:
        client.get(client.url("/repos/alice/big/contributors"))
    assert str(error.value) == f"GitHub answered 403 for /repos/alice/big/contributors: {TOO_LARGE_MESSAGE}"
    assert len(fake.requests) == 1 and time.monotonic() - started < 0.5


def test_a_304_whose_stored_body_is_gone_is_asked_again_unconditionally(fake, client, store, engine, client_log):
    fake.add_owner("alice")
    url = client.url("/users/alice")
    client.get(url)
    with engine.begin() as connection:
        connection.execute(delete(HttpCacheEntry))
    reply = client.get(url, body=True)
    assert reply.data["login"] == "alice"
    assert [r.status for r in fake.requests] == [200, 304, 200]
    assert fake.requests[-1].if_none_match is None
    assert client_log() == ["a 304 for a response no longer stored for /users/alice; retrying in 0.0 s (attempt 2 of 4)"]


def test_a_body_that_is_not_json_is_asked_for_again_still_conditionally(fake, client, store, client_log):
    fake.add_owner("alice")
    url = client.url("/users/alice")
    client.get(url)
    fake.fail(r"^/users/alice$", "truncated")
    reply = client.get(url, body=True)
    assert reply.data["login"] == "alice" and reply.not_modified
    etag = store.etag(url)
    assert [(r.status, r.if_none_match) for r in fake.requests] == [(200, None), (200, etag), (304, etag)]
    assert client_log() == ["a body that is not valid JSON for /users/alice; retrying in 0.0 s (attempt 2 of 4)"]


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


@pytest.mark.parametrize("anonymous", [False, True])
def test_a_304_of_an_earlier_run_costs_a_point_only_without_a_token(fake, settings, store, engine, anonymous):
    fake.add_owner("alice")
    chosen = replace(settings, token=None) if anonymous else settings
    url = f"{fake.url}/users/alice"
    GitHubClient(chosen, store).get(url)
    next_run = GitHubClient(chosen, ResponseStore(engine, "test"))
    before = fake.points_spent
    assert next_run.get(url).not_modified
    assert next_run.stats.points_spent == fake.points_spent - before == (1 if anonymous else 0)


def test_url_puts_the_path_and_the_query_after_the_api_root(fake, client):
    assert client.url("/users/alice") == f"{fake.url}/users/alice"
    assert client.url("/users/alice/repos", per_page=100, type="owner") == (
        f"{fake.url}/users/alice/repos?per_page=100&type=owner")


def test_the_connection_pool_keeps_a_connection_for_each_worker_and_one_more(fake, settings, store, caplog):
    fake.add_owner("alice")
    client = GitHubClient(replace(settings, workers=2), store)
    fake.latency = 0.5  # long enough for all four requests to be in flight at once
    together = threading.Barrier(4)

    def fetch(_):
        together.wait()
        return client.get(client.url("/users/alice")).status

    with caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"), ThreadPoolExecutor(4) as pool:
        assert list(pool.map(fetch, range(4))) == [200] * 4
    assert [r.getMessage() for r in caplog.records if r.name == "urllib3.connectionpool"] == [
        "Connection pool is full, discarding connection: 127.0.0.1. Connection pool size: 3"]
    # github.com is https: the same pool serves it
    assert client.session.get_adapter("https://api.github.com/users/alice") is client.session.get_adapter(fake.url)


def test_another_media_type_is_asked_for_and_its_body_is_text_fresh_or_stored(fake, client):
    fake.set_readme(fake.add_repo("alice", "site"), "<h1>Hi</h1>", "# Hi")
    url = client.url("/repos/alice/site/readme")
    fresh = client.get(url, accept=README_HTML)
    stored = client.get(url, accept=README_HTML, body=True)
    assert fresh.data.endswith('itemprop="text"><h1>Hi</h1></article></div>')
    assert stored.data == fresh.data and stored.not_modified
    assert [(r.status, r.headers["Accept"]) for r in fake.requests] == [(200, README_HTML), (304, README_HTML)]


def test_a_304_answers_without_data_unless_the_stored_body_is_asked_for(fake, client):
    repo_with_contributors(fake, 150)
    url = client.url("/repos/alice/big/contributors", per_page=100)
    first = [reply for _, reply in client.pages(url)]
    again = [reply for _, reply in client.pages(url)]
    assert again == [Reply(200, None, first[0].next_url, not_modified=True), Reply(200, None, None, not_modified=True)]
    assert client.get(url).data is None and client.get(url, body=True).data == first[0].data


def test_responses_are_kept_with_the_repository_they_are_about(fake, client, engine):
    rid = repo_with_contributors(fake, 150)
    url = client.url("/repos/alice/big/contributors", per_page=100)
    pages = [page_url for page_url, _ in client.pages(url, tag=Tag(repository_id=rid))]
    next_run = ResponseStore(engine, "test")
    assert [next_run.stored(page).repository_id for page in pages] == [rid, rid]


def test_a_304_asked_for_by_another_repository_moves_the_stored_response_to_it(fake, client, engine):
    rid = fake.add_repo("alice", "site", languages={"Go": 1})
    url = client.url("/repos/alice/site/languages")
    client.get(url, tag=Tag(repository_id=rid))
    client.get(url, tag=Tag(repository_id=rid + 1))  # two repositories swapped names
    client.get(url, tag=Tag(owner="alice"))  # not about a repository: the tag stays
    assert [r.status for r in fake.requests] == [200, 304, 304]
    assert ResponseStore(engine, "test").stored(url).repository_id == rid + 1


def test_an_allowed_status_is_answered_with_its_message_and_ends_the_pages(fake, client):
    url = client.url("/repos/alice/gone/contributors")
    assert list(client.pages(url, allow=(404,))) == [(url, Reply(404, None, message="Not Found"))]
    assert len(fake.requests) == 1


def test_a_204_is_an_answer_without_data(fake, client):
    fake.add_repo("alice", "empty", contributors_mode="empty")
    assert client.get(client.url("/repos/alice/empty/contributors")) == Reply(204, None, message="No Content")


def test_a_graphql_document_is_posted_and_its_answer_decoded(fake, client):
    answer = client.post_graphql(fake.graphql_url, RATE_LIMIT_QUERY)
    assert answer == {"data": {"rateLimit": {"cost": 1, "remaining": 4999}}}
    assert [(r.method, r.path, r.graphql_points) for r in fake.requests] == [("POST", "/graphql", 1)]


def test_a_graphql_answer_other_than_200_is_an_error_with_github_s_message(fake, settings, store):
    anonymous = GitHubClient(replace(settings, token=None), store)
    with pytest.raises(GitHubError) as error:
        anonymous.post_graphql(fake.graphql_url, RATE_LIMIT_QUERY)
    assert str(error.value) == "GitHub answered 401 for /graphql: This endpoint requires you to be authenticated."


@pytest.mark.parametrize(("kind", "reason"), [
    ("truncated", "a body that is not valid JSON"), ("timeout", "ReadTimeout"),
])
def test_a_graphql_answer_that_did_not_come_whole_is_asked_for_again(fake, settings, store, client_log, kind, reason):
    fake.fail(r"^/graphql$", kind, seconds=2)
    client = GitHubClient(replace(settings, timeout=0.5), store)
    assert client.post_graphql(fake.graphql_url, RATE_LIMIT_QUERY)["data"]["rateLimit"]["cost"] == 1
    assert client_log() == [f"{reason} for /graphql; retrying in 0.0 s (attempt 2 of 4)"]
