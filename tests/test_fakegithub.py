"""The fake GitHub itself behaves like api.github.com where the syncer depends on it."""

from __future__ import annotations

import base64
from http.client import HTTPConnection
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.fakegithub import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
TOKEN = {"Authorization": "token secret-123"}


@pytest.fixture
def gh():
    with FakeGitHub(base_path="/api/v3") as fake:
        yield fake


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def people(count: int) -> list[dict]:
    return [{"login": f"user{i}", "id": 100 + i, "type": "User", "contributions": 1000 - i} for i in range(count)]


def test_user_repo_and_languages_json_look_like_github(gh, http):
    gh.add_owner("alice")
    repo_id = gh.add_repo(
        "alice",
        "demo",
        description="🚀 日本語の説明",
        license=("MIT", "MIT License"),
        languages={"Shell": 10, "Python": 500, "C": 20},
        topics=["cli"],
        stars=7,
    )

    repo = http.get(f"{gh.url}/repos/ALICE/Demo").json()
    assert repo["id"] == repo_id == 1000
    assert repo["full_name"] == "alice/demo" and repo["html_url"] == "https://github.com/alice/demo"
    assert repo["owner"]["login"] == "alice" and repo["owner"]["type"] == "User"
    assert repo["description"] == "🚀 日本語の説明"
    assert repo["license"] == {"key": "mit", "name": "MIT License", "spdx_id": "MIT", "url": f"{gh.url}/licenses/mit"}
    assert (repo["private"], repo["visibility"], repo["watchers_count"], repo["topics"]) == (False, "public", 7, ["cli"])
    assert {"node_id", "url", "pushed_at", "archived", "disabled", "default_branch", "size"} <= set(repo)

    languages = http.get(f"{gh.url}/repos/alice/demo/languages")
    assert list(languages.json().items()) == [("Python", 500), ("C", 20), ("Shell", 10)]
    assert http.get(f"{gh.url}/users/alice").json()["id"] == 1
    missing = http.get(f"{gh.url}/users/nobody")
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    assert http.get(f"{gh.url}/orgs/alice").status_code == 404
    assert http.head(f"{gh.url}/users/alice").status_code == 404
    assert http.get(f"{gh.url}/nowhere").json()["message"] == "Not Found"
    assert http.get(f"{gh.url.replace('/api/v3', '')}/users/alice").status_code == 404


def test_contributors_paginate_with_github_link_headers(gh, http):
    gh.add_repo("alice", "big", contributors=people(250)[::-1])
    url = f"{gh.url}/repos/alice/big/contributors"

    first = http.get(url, params={"per_page": 100, "anon": "1"})
    assert first.headers["Link"] == (
        f'<{url}?per_page=100&anon=1&page=2>; rel="next", <{url}?per_page=100&anon=1&page=3>; rel="last"'
    )
    logins, response = [], first
    while True:
        logins += [c["login"] for c in response.json()]
        if "next" not in response.links:
            break
        response = http.get(response.links["next"]["url"])
    assert logins == [f"user{i}" for i in range(250)]  # contributions descending
    assert response.headers["Link"] == (
        f'<{url}?per_page=100&anon=1&page=2>; rel="prev", <{url}?per_page=100&anon=1&page=1>; rel="first"'
    )
    assert len(http.get(url, params={"per_page": 500}).json()) == 100  # capped
    assert len(http.get(url).json()) == 30  # GitHub's default page size

    gh.add_repo("alice", "small", contributors=people(3))
    assert "Link" not in http.get(f"{gh.url}/repos/alice/small/contributors", params={"per_page": 100}).headers


def test_etag_304_and_authenticated_304s_are_free(gh, http):
    repo_id = gh.add_repo("alice", "demo")
    url = f"{gh.url}/users/alice/repos"
    first = http.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')

    anonymous = http.get(url, headers={"If-None-Match": etag})
    assert (anonymous.status_code, anonymous.content, anonymous.headers["ETag"]) == (304, b"", etag)
    assert anonymous.headers["X-RateLimit-Remaining"] == "4998"
    authenticated = http.get(url, headers={"If-None-Match": etag, **TOKEN})
    assert authenticated.status_code == 304 and authenticated.headers["X-RateLimit-Remaining"] == "4998"
    assert gh.points_spent == 2
    assert [r.counted_against_limit for r in gh.requests] == [True, True, False]
    assert gh.requests[-1].if_none_match == etag and gh.requests[-1].authorized
    assert gh.requests[-1].headers["Authorization"] == "<redacted>" and gh.auth_tokens == {"secret-123"}

    gh.push(repo_id)
    changed = http.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json()[0]["pushed_at"] == "2024-01-02T03:04:06Z"
    assert http.get(f"{url}?page=1").headers["ETag"] != changed.headers["ETag"]  # the page URL is hashed too

    gh.reset_log()
    assert (gh.requests, gh.points_spent, gh.auth_tokens) == ([], 0, set())


def test_rate_limit_exhaustion_then_refill(gh, http):
    gh.add_owner("alice")
    gh.set_rate_limit(1, 0.5)
    assert http.get(f"{gh.url}/users/alice").headers["X-RateLimit-Remaining"] == "0"
    refused = http.get(f"{gh.url}/users/alice", headers=TOKEN)
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("API rate limit exceeded")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) >= time.time()
    status = http.get(f"{gh.url}/rate_limit")
    assert status.status_code == 200 and status.json()["resources"]["core"]["remaining"] == 0

    time.sleep(0.6)
    refilled = http.get(f"{gh.url}/users/alice")
    assert refilled.status_code == 200
    assert (refilled.headers["X-RateLimit-Remaining"], refilled.headers["X-RateLimit-Used"]) == ("4999", "1")
    assert refilled.headers["X-RateLimit-Resource"] == "core"


def test_a_small_limit_refills_every_short_window(gh, http):
    gh.add_owner("alice")
    gh.set_rate_limit(2, limit=2, window_seconds=0.5)
    answers = [http.get(f"{gh.url}/users/alice", headers=TOKEN) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 403]
    assert answers[0].headers["X-RateLimit-Limit"] == "2"
    first_reset = int(answers[2].headers["X-RateLimit-Reset"])

    time.sleep(0.6)
    refilled = [http.get(f"{gh.url}/users/alice", headers=TOKEN) for _ in range(3)]
    assert [a.status_code for a in refilled] == [200, 200, 403]
    assert refilled[0].headers["X-RateLimit-Remaining"] == "1"
    assert first_reset <= int(refilled[2].headers["X-RateLimit-Reset"]) <= time.time() + 1.5
    assert gh.points_spent == 4


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [("500", 500, "Server Error"), ("404", 404, "Not Found"), ("451", 451, "Repository access blocked")],
)
def test_status_faults_fire_once_then_recover(gh, http, kind, status, message):
    gh.add_owner("alice")
    gh.fail(r"^/users/alice$", kind)
    failed = http.get(f"{gh.url}/users/alice")
    assert (failed.status_code, failed.json()["message"]) == (status, message)
    assert gh.requests[-1].fault == kind
    assert http.get(f"{gh.url}/users/alice").status_code == 200


def test_fault_counts_and_regex(gh, http):
    gh.add_owner("alice")
    gh.fail("languages", "500", times=2)
    gh.fail("/users/", "500", times=None)
    statuses = [http.get(f"{gh.url}/users/alice").status_code for _ in range(3)]
    assert statuses == [500, 500, 500]
    gh.clear_faults()
    assert http.get(f"{gh.url}/users/alice").status_code == 200
    with pytest.raises(ValueError):
        gh.fail(".*", "teapot")


def test_html_502_and_truncated_bodies(gh, http):
    gh.add_repo("alice", "demo", description="x" * 100)
    gh.fail("/repos", "502_html")
    bad_gateway = http.get(f"{gh.url}/repos/alice/demo")
    assert bad_gateway.status_code == 502 and bad_gateway.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.JSONDecodeError):
        bad_gateway.json()

    whole = http.get(f"{gh.url}/repos/alice/demo").content
    gh.fail("/repos", "truncated")
    truncated = http.get(f"{gh.url}/repos/alice/demo")
    assert truncated.status_code == 200 and truncated.content == whole[: len(whole) // 2]
    assert int(truncated.headers["Content-Length"]) == len(truncated.content)
    with pytest.raises(requests.JSONDecodeError):
        truncated.json()


def test_secondary_rate_limit_with_and_without_retry_after(gh, http):
    gh.add_owner("alice")
    gh.fail("/users", "secondary", retry_after=2)
    gh.fail("/users", "secondary", retry_after=None)
    first, second = http.get(f"{gh.url}/users/alice"), http.get(f"{gh.url}/users/alice")
    assert (first.status_code, first.headers["Retry-After"]) == (403, "2")
    assert "secondary rate limit" in first.json()["message"]
    assert first.headers["X-RateLimit-Remaining"] != "0"
    assert second.status_code == 403 and "Retry-After" not in second.headers


@pytest.mark.parametrize(("kind", "status"), [("primary", 403), ("429", 429)])
def test_primary_rate_limit_faults_empty_the_bucket(gh, http, kind, status):
    gh.add_owner("alice")
    gh.fail("/users", kind, reset_in=0.4)
    limited = http.get(f"{gh.url}/users/alice")
    assert limited.status_code == status and limited.json()["message"].startswith("API rate limit exceeded")
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert 0 <= int(limited.headers["X-RateLimit-Reset"]) - time.time() <= 1.5
    assert http.get(f"{gh.url}/users/alice").status_code == 403  # the bucket really is empty
    time.sleep(0.5)
    assert http.get(f"{gh.url}/users/alice").status_code == 200


def test_connection_reset(gh, http):
    gh.add_owner("alice")
    gh.fail("/users", "reset")
    with pytest.raises(requests.ConnectionError):
        http.get(f"{gh.url}/users/alice")
    assert gh.requests[-1].status is None and not gh.requests[-1].counted_against_limit
    assert http.get(f"{gh.url}/users/alice").status_code == 200


def test_timeout_fires_client_timeout_without_blocking_others_or_stop():
    fake = FakeGitHub().start()
    fake.add_owner("alice")
    fake.fail("/users/alice$", "timeout", seconds=30)
    errors = []

    def slow_request():
        try:
            requests.get(f"{fake.url}/users/alice", timeout=0.3)
        except requests.Timeout as error:
            errors.append(error)

    slow = threading.Thread(target=slow_request)
    slow.start()
    started = time.monotonic()
    assert requests.get(f"{fake.url}/rate_limit", timeout=2).status_code == 200
    assert time.monotonic() - started < 0.3
    slow.join()
    assert len(errors) == 1

    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2


def test_renamed_repository_redirects_to_its_id(gh, http):
    repo_id = gh.add_repo("alice", "old", contributors=people(3), languages={"Go": 5})
    gh.add_owner("acme-org", "Organization")
    gh.rename_repo(repo_id, "new", new_owner="acme-org")

    moved = http.get(f"{gh.url}/repos/alice/old/contributors", params={"per_page": 2})
    redirect = moved.history[0]
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"{gh.url}/repositories/{repo_id}/contributors?per_page=2"
    assert [c["login"] for c in moved.json()] == ["user0", "user1"]
    assert 'rel="next"' in moved.headers["Link"] and f"/repositories/{repo_id}/contributors" in moved.headers["Link"]
    assert http.get(f"{gh.url}/repositories/{repo_id}/languages").json() == {"Go": 5}
    assert http.get(f"{gh.url}/repos/acme-org/new").json()["full_name"] == "acme-org/new"
    assert http.get(f"{gh.url}/users/alice/repos").json() == []

    gh.delete_repo(repo_id)
    assert http.get(f"{gh.url}/repos/acme-org/new/languages").status_code == 404
    assert http.get(f"{gh.url}/repos/alice/old").status_code == 404
    assert http.get(f"{gh.url}/users/acme-org/repos").json() == []


def test_empty_and_too_large_contributor_lists_have_no_etag(gh, http):
    gh.add_repo("alice", "empty", contributors_mode="empty")
    gh.add_repo("alice", "huge", contributors_mode="too_large")
    empty = http.get(f"{gh.url}/repos/alice/empty/contributors")
    assert (empty.status_code, empty.content) == (204, b"") and "ETag" not in empty.headers
    huge = http.get(f"{gh.url}/repos/alice/huge/contributors")
    assert huge.status_code == 403 and "ETag" not in huge.headers
    assert huge.json()["message"].startswith("The history or contributor list is too large")
    assert gh.points_spent == 2


def test_org_private_and_internal_repos_need_a_token(gh, http):
    gh.add_owner("acme", "Organization")
    gh.add_repo("acme", "open")
    gh.add_repo("acme", "secret", private=True)
    gh.add_repo("acme", "inner", visibility="internal")

    def names(path, **kwargs):
        return [r["name"] for r in http.get(f"{gh.url}{path}", **kwargs).json()]

    assert names("/orgs/acme/repos", params={"type": "all"}) == ["open"]
    assert names("/orgs/acme/repos", params={"type": "all"}, headers=TOKEN) == ["open", "secret", "inner"]
    assert names("/orgs/acme/repos", params={"type": "private"}, headers=TOKEN) == ["secret", "inner"]
    assert names("/users/acme/repos", headers=TOKEN) == ["open"]
    inner = http.get(f"{gh.url}/orgs/acme/repos", headers=TOKEN).json()[2]
    assert (inner["private"], inner["visibility"]) == (True, "internal")
    gh.add_owner("bob")
    assert http.get(f"{gh.url}/orgs/bob/repos", headers=TOKEN).status_code == 404


def test_populate_is_deterministic_and_varied():
    with FakeGitHub() as one, FakeGitHub() as two:
        one.populate(owners=["alice", "acme-org"], n=50, seed=1)
        two.populate(owners=["alice", "acme-org"], n=50, seed=1)
        repos = one.snapshot()
        assert str(repos).replace(one.url, "") == str(two.snapshot()).replace(two.url, "")

    assert len(repos) == 50 and {r["owner"]["type"] for r in repos} == {"User", "Organization"}
    descriptions = {r["description"] for r in repos}
    assert {None, "日本語の説明", "<script>alert(1)</script> & <b>bold</b>"} <= descriptions
    assert any("🚀" in (d or "") for d in descriptions)
    assert {"public", "private", "internal"} == {r["visibility"] for r in repos}
    assert any(r["fork"] for r in repos) and any(r["archived"] for r in repos)
    assert any(r["license"] is None for r in repos) and any(r["homepage"] is None for r in repos)
    assert any(r["language"] is None for r in repos) and any(r["topics"] for r in repos)
    assert {len(r["languages"]) for r in repos} <= set(range(6)) and max(len(r["languages"]) for r in repos) >= 3
    assert max(len(r["contributors"]) for r in repos) > 100
    assert {"empty", "too_large"} <= {r["contributors_mode"] for r in repos}
    contributors = [c for r in repos for c in r["contributors"]]
    assert any(c["type"] == "Bot" for c in contributors)
    appearances = {}
    for c in contributors:
        appearances[c["login"]] = appearances.get(c["login"], 0) + 1
    assert max(appearances.values()) >= 3


def test_connections_are_kept_alive(gh):
    gh.add_owner("alice")
    connection = HTTPConnection("127.0.0.1", int(gh.url.split(":")[2].split("/")[0]))
    sockets = []
    for _ in range(3):
        connection.request("GET", "/api/v3/users/alice")
        assert connection.getresponse().read()
        sockets.append(connection.sock)
    assert sockets[0] is sockets[1] is sockets[2] is not None
    connection.close()


def test_latency_applies_to_the_api_but_not_to_the_control_endpoints(gh, http):
    gh.latency = 0.2
    started = time.monotonic()
    http.get(f"{gh.url}/rate_limit")
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    assert http.get(f"{gh.url}/_fake/state").json() == []
    assert time.monotonic() - started < 0.2


def test_standalone_process_is_driven_over_http():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakegithub", "--port", "0", "--repos", "5", "--owners", "alice,acme-org",
         "--latency", "0", "--seed", "1", "--base-path", "/api/v3"],  # fmt: skip
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = process.stdout.readline().split()
        assert ready[0] == "READY" and ready[1].startswith("http://127.0.0.1:") and ready[1].endswith("/api/v3")
        url = ready[1]
        assert requests.get(f"{url}/orgs/acme-org", timeout=5).json()["type"] == "Organization"

        def call(method, *args, **kwargs):
            return requests.post(f"{url}/_fake/call", json={"method": method, "args": args, "kwargs": kwargs}, timeout=5)

        assert call("add_repo", "alice", "extra", languages={"Go": 1}).json() == {"result": 1005}
        assert call("fail", "/extra/", "500").status_code == 200
        assert requests.get(f"{url}/repos/alice/extra/languages", timeout=5).status_code == 500
        assert requests.get(f"{url}/repos/alice/extra/languages", timeout=5).json() == {"Go": 1}
        refused = call("nope")
        assert refused.status_code == 400 and "method must be one of" in refused.json()["error"]
        state = requests.get(f"{url}/_fake/state", timeout=5).json()
        assert len(state) == 6 and state[-1]["languages"] == {"Go": 1}
        log = requests.get(f"{url}/_fake/log", timeout=5).json()
        assert [entry["status"] for entry in log] == [200, 500, 200]
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


# ----------------------------------------------------------------- content: profiles, READMEs, releases

README = '<p dir="auto">Hello <g-emoji class="g-emoji" alias="wave">👋</g-emoji></p>'


def test_user_and_organisation_bodies_have_githubs_profile_fields(gh, http):
    gh.add_owner("alice", name="Alice Liddell", bio="Wonders.", blog="https://alice.example", location="Oxford",
                 company="@acme", twitter_username="alice_l", followers=12, following=3,
                 created_at="2013-04-05T06:07:08Z")  # fmt: skip
    gh.add_owner("acme", "Organization", bio="Tools for everyone.", blog="https://acme.example")
    gh.add_repo("alice", "open")
    gh.add_repo("alice", "secret", private=True)

    user = http.get(f"{gh.url}/users/alice").json()
    assert {k: user[k] for k in ("login", "id", "type", "name", "bio", "blog", "location", "company",
                                 "twitter_username", "public_repos", "followers", "following", "created_at")} == {
        "login": "alice", "id": 1, "type": "User", "name": "Alice Liddell", "bio": "Wonders.",
        "blog": "https://alice.example", "location": "Oxford", "company": "@acme", "twitter_username": "alice_l",
        "public_repos": 1, "followers": 12, "following": 3, "created_at": "2013-04-05T06:07:08Z",
    }  # fmt: skip
    assert user["avatar_url"] == "https://avatars.githubusercontent.com/u/1?v=4"
    assert user["html_url"] == "https://github.com/alice" and "email" in user and "hireable" in user

    org = http.get(f"{gh.url}/orgs/acme").json()
    assert (org["type"], org["description"], org["name"], org["blog"]) == (
        "Organization", "Tools for everyone.", "acme", "https://acme.example"
    )
    assert {"public_repos", "followers", "html_url", "avatar_url", "created_at", "is_verified"} <= set(org)
    assert http.get(f"{gh.url}/users/acme").json()["bio"] == "Tools for everyone."
    with pytest.raises(TypeError):
        gh.set_profile("alice", shoe_size=42)


def test_readme_answers_by_media_type(gh, http):
    repo_id = gh.add_repo("alice", "demo")
    gh.set_readme(repo_id, README, markdown="Hello :wave:\n")
    url = f"{gh.url}/repos/alice/demo/readme"

    html = http.get(url, headers={"Accept": "application/vnd.github.html+json"})
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert html.text == (
        '<div id="readme" class="md" data-path="README.md"><article class="markdown-body entry-content '
        f'container-lg" itemprop="text">{README}</article></div>'
    )
    assert http.get(url, headers={"Accept": "application/vnd.github.v3.html"}).text == html.text
    raw = http.get(url, headers={"Accept": "application/vnd.github.raw+json"})
    assert raw.text == "Hello :wave:\n"

    contents = http.get(url).json()
    assert (contents["type"], contents["encoding"], contents["path"], contents["size"]) == (
        "file", "base64", "README.md", 13
    )
    assert base64.b64decode(contents["content"]).decode() == "Hello :wave:\n"
    git_sha = subprocess.run(["git", "hash-object", "--stdin"], input="Hello :wave:\n", capture_output=True, text=True)
    assert contents["sha"] == git_sha.stdout.strip()
    assert contents["html_url"] == "https://github.com/alice/demo/blob/main/README.md"


def test_readme_is_conditional_per_media_type_and_changes_with_its_content(gh, http):
    repo_id = gh.add_repo("alice", "demo")
    gh.set_readme(repo_id, README)
    url, accept = f"{gh.url}/repos/alice/demo/readme", {"Accept": "application/vnd.github.html+json"}
    first = http.get(url, headers={**accept, **TOKEN})
    etag = first.headers["ETag"]
    assert http.get(url, headers={**TOKEN, "If-None-Match": etag}).status_code == 200  # JSON is another body
    again = http.get(url, headers={**accept, **TOKEN, "If-None-Match": etag})
    assert again.status_code == 304 and not gh.requests[-1].counted_against_limit

    gh.set_readme(repo_id, "<p>New</p>")
    changed = http.get(url, headers={**accept, **TOKEN, "If-None-Match": etag})
    assert changed.status_code == 200 and "<p>New</p>" in changed.text


def test_no_readme_is_a_404(gh, http):
    repo_id = gh.add_repo("alice", "demo")
    missing = http.get(f"{gh.url}/repos/alice/demo/readme", headers={"Accept": "application/vnd.github.html+json"})
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    gh.set_readme(repo_id, README)
    gh.set_readme(repo_id, None)
    assert http.get(f"{gh.url}/repositories/{repo_id}/readme").status_code == 404


def test_latest_release_has_githubs_shape_and_is_404_without_one(gh, http):
    repo_id = gh.add_repo("alice", "demo")
    url = f"{gh.url}/repos/alice/demo/releases/latest"
    assert http.get(url).status_code == 404

    gh.set_release(repo_id, "v2.0.0", "Two", "2024-07-01T00:00:00Z", body="Notes")
    release = http.get(url).json()
    assert {k: release[k] for k in ("tag_name", "name", "published_at", "html_url", "draft", "prerelease", "body")} == {
        "tag_name": "v2.0.0", "name": "Two", "published_at": "2024-07-01T00:00:00Z",
        "html_url": "https://github.com/alice/demo/releases/tag/v2.0.0", "draft": False, "prerelease": False,
        "body": "Notes",
    }  # fmt: skip
    assert release["author"]["login"] == "alice" and {"id", "node_id", "assets", "tarball_url"} <= set(release)
    gh.set_release(repo_id, "v2.0.1")
    assert http.get(url).json()["id"] != release["id"]
    gh.set_release(repo_id, None)
    assert http.get(url).status_code == 404


# ----------------------------------------------------------------- GraphQL

PINS_QUERY = """query($login: String!) {
  rateLimit { cost remaining resetAt }
  repositoryOwner(login: $login) {
    login
    ... on ProfileOwner { pinnedItems(first: 6) { totalCount nodes { ... on Repository { nameWithOwner } } } }
  }
}"""


def graphql_post(gh, query, variables=None, headers=TOKEN):
    return requests.post(gh.graphql_url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=10)


def test_graphql_lives_beside_the_enterprise_rest_root_or_under_the_api_root():
    with FakeGitHub(base_path="/api/v3") as enterprise, FakeGitHub() as dotcom:
        assert enterprise.graphql_url == enterprise.url.removesuffix("/v3") + "/graphql"
        assert dotcom.graphql_url == dotcom.url + "/graphql"
        for fake in (enterprise, dotcom):
            answer = graphql_post(fake, "query { rateLimit { remaining } }")
            assert answer.status_code == 200 and answer.json() == {"data": {"rateLimit": {"remaining": 4999}}}
        rest_path = requests.post(f"{enterprise.url}/graphql", json={"query": "{ rateLimit { cost } }"}, headers=TOKEN)
        assert rest_path.status_code == 404
        assert requests.get(dotcom.graphql_url, headers=TOKEN).status_code == 404


def test_graphql_needs_a_token(gh):
    refused = graphql_post(gh, "query { rateLimit { cost } }", headers={})
    assert refused.status_code == 401 and refused.json()["message"] == "This endpoint requires you to be authenticated."
    assert gh.graphql_points_spent == 0


def test_graphql_answers_pins_in_order_across_owners(gh):
    gh.add_owner("acme-org", "Organization")
    first, second = gh.add_repo("acme-org", "tool"), gh.add_repo("alice", "site")
    gh.pin("alice", [first, second])
    answer = graphql_post(gh, PINS_QUERY, {"login": "ALICE"}).json()
    owner = answer["data"]["repositoryOwner"]
    assert owner["login"] == "alice"
    assert owner["pinnedItems"] == {
        "totalCount": 2, "nodes": [{"nameWithOwner": "acme-org/tool"}, {"nameWithOwner": "alice/site"}]
    }  # fmt: skip
    gh.delete_repo(first)
    after = graphql_post(gh, PINS_QUERY, {"login": "alice"}).json()["data"]["repositoryOwner"]
    assert after["pinnedItems"] == {"totalCount": 1, "nodes": [{"nameWithOwner": "alice/site"}]}
    with pytest.raises(ValueError):
        gh.pin("alice", [second] * 7)


def test_graphql_rejects_what_githubs_schema_rejects_without_charging(gh):
    answer = graphql_post(gh, "query { viewer { loginz } }")
    assert answer.status_code == 200
    assert answer.json()["errors"][0]["message"].startswith("Cannot query field 'loginz' on type 'User'")
    assert "data" not in answer.json() and gh.graphql_points_spent == 0
    assert graphql_post(gh, "query { viewer {").json()["errors"][0]["message"].startswith("Syntax Error")


def test_graphql_not_found_has_githubs_type_and_path(gh):
    answer = graphql_post(gh, 'query { user(login: "ghost") { login } organization(login: "ghost") { login } }').json()
    assert answer["data"] == {"user": None, "organization": None}
    assert [(e["type"], e["path"]) for e in answer["errors"]] == [("NOT_FOUND", ["user"]), ("NOT_FOUND", ["organization"])]
    assert answer["errors"][0]["message"] == "Could not resolve to a User with the login of 'ghost'."


def test_graphql_rest_node_ids_resolve_to_the_same_objects(gh, http):
    repo_id = gh.add_repo("alice", "demo", languages={"Go": 7})
    rest = http.get(f"{gh.url}/repos/alice/demo").json()
    query = """query($ids: [ID!]!) {
      nodes(ids: $ids) { id ... on Repository { databaseId nameWithOwner } ... on User { login } }
    }"""
    nodes = graphql_post(gh, query, {"ids": [rest["node_id"], rest["owner"]["node_id"]]}).json()["data"]["nodes"]
    assert nodes == [
        {"id": rest["node_id"], "databaseId": repo_id, "nameWithOwner": "alice/demo"},
        {"id": rest["owner"]["node_id"], "login": "alice"},
    ]


def test_graphql_has_its_own_rate_limit_and_headers(gh, http):
    gh.add_owner("alice")
    answer = graphql_post(gh, PINS_QUERY, {"login": "alice"})
    assert answer.headers["X-RateLimit-Resource"] == "graphql" and answer.headers["X-RateLimit-Remaining"] == "4999"
    assert answer.json()["data"]["rateLimit"]["cost"] == 1 and gh.requests[-1].graphql_points == 1
    assert http.get(f"{gh.url}/rate_limit").json()["resources"]["core"]["remaining"] == 5000

    gh.set_graphql_rate_limit(0, 0.5)
    limited = graphql_post(gh, PINS_QUERY, {"login": "alice"})
    assert limited.status_code == 200 and limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.json()["errors"][0]["type"] == "RATE_LIMITED" and "data" not in limited.json()
    assert int(limited.headers["X-RateLimit-Reset"]) >= time.time()
    time.sleep(0.6)
    assert graphql_post(gh, PINS_QUERY, {"login": "alice"}).json()["data"]["rateLimit"]["remaining"] == 4999


def test_graphql_cost_follows_githubs_connection_estimate(gh):
    gh.add_owner("alice")
    heavy = """query { rateLimit { cost } repositoryOwner(login: "alice") {
      repositories(first: 100) { nodes { languages(first: 100) { totalSize } issues(first: 100) { totalCount } } } } }"""
    assert graphql_post(gh, heavy).json()["data"]["rateLimit"]["cost"] == 2  # (1 + 100 + 100) / 100
    assert gh.graphql_points_spent == 2


def test_graphql_faults_answer_like_github(gh):
    gh.add_owner("alice")
    gh.fail("/graphql", "graphql_timeout")
    timed_out = graphql_post(gh, PINS_QUERY, {"login": "alice"})
    assert timed_out.status_code == 200 and timed_out.json()["data"] is None
    assert "timeout" in timed_out.json()["errors"][0]["message"] and gh.requests[-1].fault == "graphql_timeout"
    gh.fail("^/graphql$", "502_html")
    assert graphql_post(gh, PINS_QUERY, {"login": "alice"}).status_code == 502
    assert graphql_post(gh, PINS_QUERY, {"login": "alice"}).status_code == 200


def test_populate_adds_profiles_readmes_releases_social_images_and_a_foreign_pin():
    with FakeGitHub() as fake:
        fake.populate(owners=["alice", "acme-org"], n=20, seed=1)
        repos, owners = fake.snapshot(), {o["login"]: o for o in fake.owners_snapshot()}
    assert repos[0]["readme_html"] and repos[3]["readme_html"] is None
    assert repos[0]["release"]["tag_name"].startswith("v") and repos[1]["release"] is None
    assert repos[2]["social_image"]["custom"] and not all(r["social_image"]["custom"] for r in repos)
    assert all(color.startswith("#") for r in repos for color in r["language_colors"].values())
    assert owners["alice"]["name"] == "Alice" and owners["acme-org"]["type"] == "Organization"
    assert 1 <= len(owners["alice"]["pins"]) <= 6
    assert any(pin.startswith("acme-org/") for pin in owners["alice"]["pins"])
    assert all(pin.startswith("acme-org/") for pin in owners["acme-org"]["pins"])
    public = {r["full_name"] for r in repos if not r["private"]}
    assert set(owners["alice"]["pins"]) <= public


def test_content_control_methods_work_over_http():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakegithub", "--port", "0", "--repos", "0", "--base-path", "/api/v3"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().split()[1]

        def call(method, *args, **kwargs):
            answer = requests.post(f"{url}/_fake/call", json={"method": method, "args": args, "kwargs": kwargs}, timeout=5)
            assert answer.status_code == 200, answer.text
            return answer.json()["result"]

        repo_id = call("add_repo", "alice", "demo")
        call("set_readme", repo_id, README)
        call("set_release", repo_id, "v1")
        call("set_social_image", repo_id, "https://repository-images.githubusercontent.com/1/x")
        call("set_profile", "alice", name="Alice")
        call("pin", "alice", [repo_id])
        call("set_graphql_rate_limit", 10)
        assert call("owners_snapshot")[0]["pins"] == ["alice/demo"]
        html = {"Accept": "application/vnd.github.html+json"}
        readme = requests.get(f"{url}/repos/alice/demo/readme", headers=html, timeout=5)
        assert README in readme.text
        graphql_url = url.removesuffix("/v3") + "/graphql"
        body = {"query": PINS_QUERY, "variables": {"login": "alice"}}
        answer = requests.post(graphql_url, json=body, headers=TOKEN, timeout=30)
        assert answer.json()["data"]["rateLimit"]["remaining"] == 9
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
