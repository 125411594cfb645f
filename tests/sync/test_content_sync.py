"""Content through the whole sync against the fake GitHub (whose GraphQL endpoint executes every
query against GitHub's published schema): profiles, pins, READMEs, releases, images, colours."""

from __future__ import annotations

from dataclasses import replace

import pytest

from api import create_app
from shared.config import ApiSettings
from shared.db import make_engine
from syncer.fetch import Plan
from syncer.service import sync_now

NIGHTLY = "schedule"


@pytest.fixture
def api(db_url):
    engine = make_engine(db_url, read_only=True)
    yield lambda: create_app(ApiSettings(generation_check_interval=0), engine).test_client()
    engine.dispose()


@pytest.fixture
def nightly(engine, settings):
    def run(**overrides):
        chosen = replace(settings, **overrides)
        return sync_now(engine, chosen, trigger=NIGHTLY, plan=Plan.full_sync(chosen, recheck=True))

    return run


def card(api, full_name: str) -> dict:
    return api().get(f"/api/v1/repos/{full_name}").get_json()


def test_profiles_pins_and_a_pinned_repository_of_another_account(fake, nightly, api):
    fake.add_owner("alice", name="Alice Liddell", bio="Down the rabbit hole", location="Oxford")
    mine = fake.add_repo("alice", "wonder", languages={"Python": 100})
    other = fake.add_repo("acme-org", "rocket", languages={"Rust": 50},
                          contributors=[{"login": "alice", "id": 9001, "contributions": 12}])
    fake.pin("alice", [other, mine])
    report = nightly()
    assert report.ok, report.error
    owner = api().get("/api/v1/owners/ALICE").get_json()
    assert (owner["name"], owner["bio"], owner["location"]) == ("Alice Liddell", "Down the rabbit hole", "Oxford")
    assert owner["pinned"] == ["acme-org/rocket", "alice/wonder"]
    rocket = card(api, "acme-org/rocket")
    assert rocket["owner"] == "acme-org" and rocket["pinned"] is True and rocket["pinned_position"] == 1
    assert [lang["name"] for lang in rocket["languages"]] == ["Rust"] and rocket["contributors"][0]["login"] == "alice"
    assert [o["login"] for o in api().get("/api/v1/owners").get_json()["items"]] == ["alice"]
    assert report.graphql_requests >= 2 and report.graphql_cost >= 2


def test_unpinning_a_foreign_repository_takes_it_off_at_the_next_nightly(fake, nightly, api):
    mine = fake.add_repo("alice", "wonder")
    other = fake.add_repo("acme-org", "rocket")
    fake.pin("alice", [mine, other])
    assert nightly().ok
    fake.pin("alice", [mine])
    assert nightly().ok
    assert api().get("/api/v1/repos/acme-org/rocket").status_code == 404
    assert card(api, "alice/wonder")["pinned_position"] == 1


def test_a_private_pinned_repository_of_another_account_is_not_mirrored(fake, nightly, api):
    secret = fake.add_repo("acme-org", "secret", private=True)
    fake.add_repo("alice", "wonder")
    fake.pin("alice", [secret])
    assert nightly().ok
    assert api().get("/api/v1/repos/acme-org/secret").status_code == 404
    assert api().get("/api/v1/owners/alice").get_json()["pinned"] == []


def test_readme_is_sanitized_made_absolute_and_not_asked_again_unchanged(fake, nightly, api, engine):
    rid = fake.add_repo("alice", "wonder")
    fake.set_readme(rid, '<h1><a id="user-content-hi" class="anchor" href="#hi"></a>Hi</h1>'
                         '<p><img src="docs/shot.png" onerror="alert(1)"><a href="guide.md">guide</a>'
                         '<a href="javascript:alert(1)">x</a><script>alert(2)</script></p>')
    assert nightly().ok
    html = card(api, "alice/wonder")["readme_html"]
    assert "https://github.com/alice/wonder/raw/main/docs/shot.png" in html
    assert 'href="https://github.com/alice/wonder/blob/main/guide.md"' in html
    assert 'id="user-content-hi"' in html and 'href="#hi"' in html
    for bad in ("onerror", "javascript:", "<script", "alert(2)"):
        assert bad not in html
    generation = api().get("/api/v1/status").get_json()["generation"]
    fake.reset_log()
    assert nightly().ok
    readme_requests = [r for r in fake.requests if r.path.endswith("/readme")]
    assert [r.status for r in readme_requests] == [304]
    assert api().get("/api/v1/status").get_json()["generation"] == generation


def test_no_readme_and_no_release_are_null(fake, nightly, api):
    fake.add_repo("alice", "bare")
    assert nightly().ok
    bare = card(api, "alice/bare")
    assert bare["readme_html"] is None and bare["release"] is None
    assert bare["social_image"]["custom"] is False and bare["social_image"]["url"].startswith("https://")


def test_release_social_image_and_language_colours(fake, nightly, api):
    rid = fake.add_repo("alice", "wonder", languages={"Python": 300, "Go": 100})
    fake.set_release(rid, "v1.2.0", name="Spring", published_at="2026-03-04T05:06:07Z")
    fake.set_social_image(rid, "https://repository-images.githubusercontent.com/1/abc")
    assert nightly().ok
    wonder = card(api, "alice/wonder")
    assert wonder["release"]["tag"] == "v1.2.0" and wonder["release"]["name"] == "Spring"
    assert wonder["release"]["published_at"] == "2026-03-04T05:06:07Z"
    assert wonder["social_image"] == {"url": "https://repository-images.githubusercontent.com/1/abc", "custom": True}
    colors = {lang["name"]: lang["color"] for lang in wonder["languages"]}
    assert colors["Python"].startswith("#") and len(colors["Python"]) == 7
    totals = {lang["name"]: lang["color"] for lang in api().get("/api/v1/languages").get_json()["items"]}
    assert totals == colors


def test_a_partial_graphql_answer_keeps_the_previous_values_and_publishes_rest(fake, nightly, api):
    rid = fake.add_repo("alice", "wonder")
    fake.set_release(rid, "v1")
    assert nightly().ok
    fake.set_release(rid, "v2")
    fake.update_repo(rid, description="new words")
    fake.push(rid)
    fake.fail(r"graphql$", "graphql_partial", times=None, field="latestRelease")
    report = nightly()
    assert report.ok
    wonder = card(api, "alice/wonder")
    assert wonder["description"] == "new words" and wonder["release"]["tag"] == "v1"


@pytest.mark.parametrize("fault", ["graphql_timeout", "500"])
def test_a_failed_graphql_query_keeps_the_previous_values(fake, nightly, api, fault):
    rid = fake.add_repo("alice", "wonder")
    fake.set_release(rid, "v1")
    assert nightly().ok
    fake.set_release(rid, "v2")
    fake.push(rid)
    fake.fail(r"graphql$", fault, times=None)
    report = nightly(max_attempts=2)
    assert report.ok and report.notes
    assert card(api, "alice/wonder")["release"]["tag"] == "v1"
    assert api().get("/api/v1/owners/alice").get_json()["pinned"] == []  # pins from the first run stay known


def test_the_graphql_rate_limit_keeps_the_previous_values(fake, nightly, api):
    rid = fake.add_repo("alice", "wonder")
    fake.set_release(rid, "v1")
    assert nightly().ok
    fake.set_release(rid, "v2")
    fake.push(rid)
    fake.set_graphql_rate_limit(0, reset_in_seconds=3600)
    report = nightly()
    assert report.ok and any("GraphQL" in note or "pins" in note for note in report.notes)
    assert card(api, "alice/wonder")["release"]["tag"] == "v1"


def test_without_a_token_graphql_fields_are_null_and_the_run_succeeds(fake, nightly, api):
    rid = fake.add_repo("alice", "wonder", languages={"Python": 10})
    fake.set_release(rid, "v1")
    fake.set_readme(rid, "<p>hello</p>")
    fake.pin("alice", [rid])
    report = nightly(token=None)
    assert report.ok and report.graphql_requests == 0
    assert any("GITHUB_TOKEN" in note for note in report.notes)
    wonder = card(api, "alice/wonder")
    assert wonder["release"] is None and wonder["social_image"] is None and wonder["pinned"] is None
    assert wonder["languages"][0]["color"] is None
    assert "hello" in wonder["readme_html"]  # REST, no token needed
    assert not [r for r in fake.requests if r.path.endswith("graphql")]
