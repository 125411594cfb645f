"""The whole product as real processes: fake GitHub, `syncer db upgrade`, `syncer once`, gunicorn.

What the API answers must equal what the fake GitHub holds, field by field, before and after
renames, deletions and edits.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from tests.api.servers import gunicorn
from tests.e2e.processes import fake_github_process, get_json
from tests.helpers import ROOT, run_syncer, syncer_env

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def databases(request, tmp_path_factory):
    """End to end on every backend (overrides the suite's session-wide factory)."""
    from tests.databases import ThrowawayDatabases

    factory = ThrowawayDatabases(request.param, tmp_path_factory)
    yield factory
    factory.drop_all()


def public(state: list[dict]) -> list[dict]:
    return [r for r in state if not r["private"] and r["visibility"] == "public"]


def all_pages(base: str, path: str) -> list[dict]:
    items, url = [], f"{base}{path}"
    while url:
        status, body = get_json(url)
        assert status == 200, body
        items.extend(body["items"])
        url = body["next"] and (body["next"] if body["next"].startswith("http") else base + body["next"])
    return items


def visible_pins(owners: list[dict], state: list[dict]) -> dict[str, int]:
    """Each pinned published repository's position among its owner's published pins (the lowest wins)."""
    published = {r["full_name"] for r in public(state)}
    positions: dict[str, int] = {}
    for owner in owners:
        shown = [name for name in owner["pins"] if name in published]
        for position, name in enumerate(shown, start=1):
            positions[name] = min(position, positions.get(name, position))
    return positions


def expected_content(repo: dict, pins: dict[str, int] | None) -> dict:
    """The GraphQL-sourced fields of a card: all null without a token (`pins` None)."""
    if pins is None:
        return {"pinned": None, "pinned_position": None, "release": None, "social_image": None}
    release = repo["release"]
    return {
        "pinned": repo["full_name"] in pins,
        "pinned_position": pins.get(repo["full_name"]),
        "release": None if release is None else {"tag": release["tag_name"], "name": release["name"],
                                                   "published_at": release["published_at"], "url": release["html_url"]},
        "social_image": repo["social_image"],
    }


def expected_card(repo: dict, pins: dict[str, int] | None) -> dict:
    """The API's card for a fake GitHub repository (no extras imported)."""
    total = sum(repo["languages"].values())
    unavailable = repo["contributors_mode"] == "too_large"
    return {
        "id": repo["id"],
        "owner": repo["owner"]["login"],
        "name": repo["name"],
        "full_name": repo["full_name"],
        "description": repo["description"],
        "links": {"github": repo["html_url"], "homepage": repo["homepage"] or None, "demo": None, "videos": []},
        "language": repo["language"],
        "languages": [(name, size) for name, size in sorted(repo["languages"].items(), key=lambda kv: -kv[1])],
        "percent_total": 100.0 if total else 0,
        "topics": repo["topics"],
        "stars": repo["stargazers_count"],
        "forks": repo["forks_count"],
        "watchers": repo["watchers_count"],
        "open_issues": repo["open_issues_count"],
        "fork": repo["fork"],
        "archived": repo["archived"],
        "private": False,
        "visibility": "public",
        "featured": False,
        "license": {"spdx_id": repo["license"]["spdx_id"], "name": repo["license"]["name"]} if repo["license"] else None,
        "default_branch": repo["default_branch"],
        "created_at": repo["created_at"],
        "updated_at": repo["updated_at"],
        "pushed_at": repo["pushed_at"],
        "contributors_status": {"ok": "ok", "empty": "empty", "too_large": "unavailable"}[repo["contributors_mode"]],
        "contributors_count": None if unavailable else len(repo["contributors"]),
        **expected_content(repo, pins),
    }


def card_as_compared(item: dict) -> dict:
    card = dict(item)
    card["languages"] = [(s["name"], s["bytes"]) for s in item["languages"]]
    card["percent_total"] = round(sum(s["percent"] for s in item["languages"])) if item["languages"] else 0
    return card


def assert_api_matches(base: str, state: list[dict], owners: list[dict] | None = None) -> None:
    """The API serves `state`; `owners` (with their pins) when the sync had a token, else GraphQL fields are null."""
    truth = {r["id"]: r for r in public(state)}
    pins = None if owners is None else visible_pins(owners, state)
    items = all_pages(base, "/api/v1/repos?per_page=7")
    assert sorted(i["id"] for i in items) == sorted(truth)
    for item in items:
        assert card_as_compared(item) == expected_card(truth[item["id"]], pins), item["full_name"]

    for repo in truth.values():
        status, detail = get_json(f"{base}/api/v1/repos/{repo['full_name'].upper()}")
        assert status == 200, repo["full_name"]
        if repo["contributors_mode"] == "too_large":
            assert detail["contributors"] is None
        else:
            served = [(c["id"], c["login"], c["type"], c["contributions"]) for c in detail["contributors"]]
            held = [(c["id"], c["login"], c["type"], c["contributions"]) for c in repo["contributors"]]
            assert sorted(served) == sorted(held)
            assert [c[3] for c in served] == sorted((c[3] for c in served), reverse=True)  # most first

    bytes_by_language, repos_by_language = defaultdict(int), defaultdict(int)
    contributions, repos_by_person = defaultdict(int), defaultdict(int)
    for repo in truth.values():
        for name, size in repo["languages"].items():
            bytes_by_language[name] += size
            repos_by_language[name] += 1
        for person in repo["contributors"]:
            contributions[person["id"]] += person["contributions"]
            repos_by_person[person["id"]] += 1
    status, languages = get_json(f"{base}/api/v1/languages")
    assert status == 200
    assert {i["name"]: (i["bytes"], i["repositories"]) for i in languages["items"]} == {
        name: (bytes_by_language[name], repos_by_language[name]) for name in bytes_by_language
    }
    status, people = get_json(f"{base}/api/v1/contributors")
    assert status == 200
    assert {i["id"]: (i["contributions"], i["repositories"]) for i in people["items"]} == {
        pid: (contributions[pid], repos_by_person[pid]) for pid in contributions
    }


def wait_for_generation(base: str, generation: int, timeout: float = 5) -> None:
    """Wait until the database holds `generation`, then the one second the API may take to notice it."""
    deadline = time.monotonic() + timeout
    while get_json(f"{base}/api/v1/status")[1]["generation"] < generation:
        assert time.monotonic() < deadline, "the generation was not published"
        time.sleep(0.1)
    time.sleep(1.0)


def test_api_serves_exactly_what_github_holds_before_and_after_changes(empty_db_url):
    with fake_github_process() as fake:
        fake.call("populate", ["alice", "acme-org"], 24, 3)
        fake.call("add_repo", "alice", "nulls", description=None, homepage=None, language=None, license=None)
        fake.call("add_repo", "alice", "html", description='<img src=x onerror="alert(1)"> & “quotes”')
        env = syncer_env(empty_db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice,acme-org",
                         GITHUB_TOKEN="ghp_end_to_end_token")
        assert run_syncer("db", "upgrade", env=env).returncode == 0

        with gunicorn(empty_db_url) as base:
            status, body = get_json(f"{base}/api/v1/repos")
            assert status == 503 and body["error"]["code"] == "not_synced"

            first = run_syncer("once", env=env)
            assert first.returncode == 0, first.stderr
            wait_for_generation(base, 1)
            assert_api_matches(base, fake.state(), fake.call("owners_snapshot"))

            state = public(fake.state())
            renamed, deleted, edited = state[0], state[1], state[2]
            fake.call("rename_repo", renamed["id"], "brand-new-name")
            fake.call("delete_repo", deleted["id"])
            fake.call("update_repo", edited["id"], description="更新された説明 🎉", stars=4242, languages={"Haskell": 7})
            fake.call("push", edited["id"])
            second = run_syncer("once", env=env)
            assert second.returncode == 0, second.stderr
            wait_for_generation(base, 2)
            assert_api_matches(base, fake.state(), fake.call("owners_snapshot"))
            assert get_json(f"{base}/api/v1/repos/{renamed['full_name']}")[0] == 404
            assert get_json(f"{base}/api/v1/repos/{deleted['full_name']}")[0] == 404
            owner = renamed["owner"]["login"]
            assert get_json(f"{base}/api/v1/repos/{owner}/brand-new-name")[1]["id"] == renamed["id"]


@pytest.mark.parametrize("databases", ["sqlite", "postgresql"], indirect=True)
def test_the_worker_syncs_in_its_window_and_the_api_serves_it(empty_db_url):
    with fake_github_process() as fake:
        fake.call("populate", ["alice"], 10, 9)
        env = syncer_env(empty_db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", SYNC_MAX_AGE_HOURS="1000")
        assert run_syncer("db", "upgrade", env=env).returncode == 0
        with gunicorn(empty_db_url) as base:
            # A dataset exists (an old sync), so the worker waits for its window instead of syncing at once.
            assert run_syncer("once", env=env).returncode == 0
            fake.call("add_repo", "alice", "arrives-in-the-window", description="new")
            opens = datetime.now().astimezone() + timedelta(seconds=4)
            env["SYNC_WINDOW"] = f"{opens:%H:%M:%S}-{opens + timedelta(seconds=4):%H:%M:%S}"
            worker = subprocess.Popen([sys.executable, "-m", "syncer", "run"], env=env, cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                wait_for_generation(base, 2, timeout=20)
                assert_api_matches(base, fake.state())
            finally:
                worker.send_signal(signal.SIGTERM)
                _, log = worker.communicate(timeout=20)
            assert worker.returncode == 0
            assert "scheduler started; next sync at" in log and "sync success" in log
