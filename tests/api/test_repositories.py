"""GET /api/v1/repos: the portfolio list, its filters, its orders and its pages."""

from __future__ import annotations

from datetime import timedelta

from tests.api.data import EPOCH, contributions, extra, languages, owner, publish, release, repository


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["full_name"] for item in response.get_json()["items"]]


def test_list_is_an_envelope_with_items_total_page_per_page_next_prev(engine, client):
    publish(engine, repository(1, "alice/one"), repository(2, "alice/two"))

    body = client.get("/api/v1/repos").get_json()

    assert set(body) == {"items", "total", "page", "per_page", "next", "prev"}
    assert (body["total"], body["page"], body["per_page"], body["next"], body["prev"]) == (2, 1, 30, None, None)


def test_item_carries_everything_a_portfolio_card_shows(engine, client):
    def build(session):
        languages(session, 7, Python=750, Shell=250)
        contributions(session, 7, alice=5, bob=1)

    publish(
        engine,
        repository(
            7,
            "alice/rocket",
            description="GitHub's words",
            homepage="https://rocket.example",
            language="Python",
            topics=["space", "cli"],
            stargazers_count=42,
            forks_count=3,
            watchers_count=40,
            open_issues_count=2,
            license_spdx_id="MIT",
            license_name="MIT License",
            default_branch="main",
            social_image_url="https://repository-images.githubusercontent.com/7/abc",
            social_image_custom=True,
        ),
        owner(1, "alice", 7),
        release(7, "v2.0.0", name="Liftoff", url="https://github.com/alice/rocket/releases/tag/v2.0.0"),
        extra(
            "alice/rocket",
            repository_id=7,
            description="Curated words",
            demo_url="https://demo.example",
            video_urls=["https://video.example/1"],
            featured=True,
        ),
        build=build,
    )

    [item] = client.get("/api/v1/repos").get_json()["items"]

    assert item == {
        "id": 7,
        "owner": "alice",
        "name": "rocket",
        "full_name": "alice/rocket",
        "description": "Curated words",
        "links": {
            "github": "https://github.com/alice/rocket",
            "homepage": "https://rocket.example",
            "demo": "https://demo.example",
            "videos": ["https://video.example/1"],
        },
        "language": "Python",
        "languages": [
            {"name": "Python", "bytes": 750, "percent": 75.0, "color": "#3572A5"},
            {"name": "Shell", "bytes": 250, "percent": 25.0, "color": "#89e051"},
        ],
        "topics": ["space", "cli"],
        "stars": 42,
        "forks": 3,
        "watchers": 40,
        "open_issues": 2,
        "fork": False,
        "archived": False,
        "private": False,
        "visibility": "public",
        "featured": True,
        "license": {"spdx_id": "MIT", "name": "MIT License"},
        "default_branch": "main",
        "created_at": "2024-01-08T00:00:00Z",
        "updated_at": "2024-01-08T01:00:00Z",
        "pushed_at": "2024-01-08T02:00:00Z",
        "contributors_status": "ok",
        "contributors_count": 2,
        "pinned": True,
        "pinned_position": 1,
        "release": {
            "tag": "v2.0.0",
            "name": "Liftoff",
            "published_at": "2024-01-01T00:00:00Z",
            "url": "https://github.com/alice/rocket/releases/tag/v2.0.0",
        },
        "social_image": {"url": "https://repository-images.githubusercontent.com/7/abc", "custom": True},
    }


def test_hidden_repository_never_appears_in_the_list(engine, client):
    publish(engine, repository(1, "alice/shown"), repository(2, "alice/secret"), extra("alice/secret", hidden=True))

    assert names(client.get("/api/v1/repos")) == ["alice/shown"]


def test_extras_match_by_full_name_case_insensitively_when_not_attached(engine, client):
    publish(engine, repository(1, "Alice/Rocket"), extra("alice/rocket", description="curated"))

    [item] = client.get("/api/v1/repos").get_json()["items"]

    assert item["description"] == "curated"


def test_extras_attached_by_id_follow_a_renamed_repository(engine, client):
    publish(engine, repository(1, "alice/new-name"), extra("alice/old-name", repository_id=1, featured=True))

    [item] = client.get("/api/v1/repos").get_json()["items"]

    assert item["featured"] is True


def test_extras_attached_to_another_repository_do_not_apply_to_one_that_took_its_name(engine, client):
    publish(
        engine,
        repository(1, "alice/renamed"),
        repository(2, "alice/old-name"),
        extra("alice/old-name", repository_id=1, hidden=True),
    )

    assert names(client.get("/api/v1/repos")) == ["alice/old-name"]


def test_curated_description_null_keeps_githubs_description(engine, client):
    publish(engine, repository(1, "alice/rocket", description="from GitHub"), extra("alice/rocket", featured=True))

    [item] = client.get("/api/v1/repos").get_json()["items"]

    assert item["description"] == "from GitHub"


def test_default_order_is_curated_positions_then_featured_then_stars_then_name(engine, client):
    publish(
        engine,
        repository(1, "alice/many-stars", stargazers_count=100),
        repository(2, "alice/beta", stargazers_count=5),
        repository(3, "alice/alpha", stargazers_count=5),
        repository(4, "alice/featured", stargazers_count=1),
        repository(5, "alice/second", stargazers_count=0),
        repository(6, "alice/first", stargazers_count=0),
        extra("alice/featured", featured=True),
        extra("alice/second", sort_order=2),
        extra("alice/first", sort_order=1),
    )

    assert names(client.get("/api/v1/repos")) == [
        "alice/first",
        "alice/second",
        "alice/featured",
        "alice/many-stars",
        "alice/alpha",
        "alice/beta",
    ]


def test_sort_by_stars_is_most_first_with_ties_by_name(engine, client):
    publish(
        engine,
        repository(1, "alice/b", stargazers_count=5),
        repository(2, "alice/a", stargazers_count=5),
        repository(3, "alice/c", stargazers_count=9),
    )

    assert names(client.get("/api/v1/repos?sort=stars")) == ["alice/c", "alice/a", "alice/b"]


def test_order_asc_reverses_the_stars_sort(engine, client):
    publish(engine, repository(1, "alice/few", stargazers_count=1), repository(2, "alice/many", stargazers_count=9))

    assert names(client.get("/api/v1/repos?sort=stars&order=asc")) == ["alice/few", "alice/many"]


def test_sort_by_name_is_alphabetical_ignoring_case(engine, client):
    publish(engine, repository(1, "alice/beta"), repository(2, "alice/Alpha"), repository(3, "alice/gamma"))

    assert names(client.get("/api/v1/repos?sort=name")) == ["alice/Alpha", "alice/beta", "alice/gamma"]


def test_sort_by_pushed_is_newest_first_and_never_pushed_last(engine, client):
    publish(
        engine,
        repository(1, "alice/old"),
        repository(2, "alice/never", pushed_at=None),
        repository(3, "alice/new"),
    )

    assert names(client.get("/api/v1/repos?sort=pushed")) == ["alice/new", "alice/old", "alice/never"]
    assert names(client.get("/api/v1/repos?sort=pushed&order=asc")) == ["alice/old", "alice/new", "alice/never"]


def test_sort_by_created_and_updated_follow_their_own_timestamps(engine, client):
    publish(
        engine,
        repository(1, "alice/x", created_at=EPOCH + timedelta(days=1), updated_at=EPOCH + timedelta(days=9)),
        repository(2, "alice/y", created_at=EPOCH + timedelta(days=5), updated_at=EPOCH + timedelta(days=2)),
    )

    assert names(client.get("/api/v1/repos?sort=created")) == ["alice/y", "alice/x"]
    assert names(client.get("/api/v1/repos?sort=updated")) == ["alice/x", "alice/y"]


def test_owner_filter_is_case_insensitive(engine, client):
    publish(engine, repository(1, "Alice/one"), repository(2, "bob/two"))

    assert names(client.get("/api/v1/repos?owner=alice")) == ["Alice/one"]


def test_language_filter_matches_primary_language_or_breakdown(engine, client):
    def build(session):
        languages(session, 2, Go=10, Shell=5)

    publish(
        engine,
        repository(1, "alice/py", language="Python"),
        repository(2, "alice/go", language="Go"),
        repository(3, "alice/none", language=None),
        build=build,
    )

    assert names(client.get("/api/v1/repos?language=python")) == ["alice/py"]
    assert names(client.get("/api/v1/repos?language=SHELL")) == ["alice/go"]


def test_topic_filter_keeps_repositories_with_that_topic(engine, client):
    publish(engine, repository(1, "alice/a", topics=["cli", "rust"]), repository(2, "alice/b", topics=["web"]))

    assert names(client.get("/api/v1/repos?topic=rust")) == ["alice/a"]


def test_q_finds_text_in_name_or_curated_description(engine, client):
    publish(
        engine,
        repository(1, "alice/rocket-engine", description="boring"),
        repository(2, "alice/other", description="nothing here"),
        repository(3, "alice/third", description="old"),
        extra("alice/third", description="A ROCKET in disguise"),
    )

    assert names(client.get("/api/v1/repos?q=Rocket&sort=name")) == ["alice/rocket-engine", "alice/third"]


def test_boolean_filters_keep_forks_archived_and_featured_as_asked(engine, client):
    publish(
        engine,
        repository(1, "alice/fork", fork=True),
        repository(2, "alice/archived", archived=True),
        repository(3, "alice/featured"),
        extra("alice/featured", featured=True),
    )

    assert names(client.get("/api/v1/repos?fork=true")) == ["alice/fork"]
    assert names(client.get("/api/v1/repos?archived=true")) == ["alice/archived"]
    assert names(client.get("/api/v1/repos?featured=true")) == ["alice/featured"]
    assert set(names(client.get("/api/v1/repos?fork=false&archived=false"))) == {"alice/featured"}


def test_pages_link_to_each_other_keeping_the_filters(engine, client):
    publish(engine, *(repository(i, f"alice/r{i:02d}", topics=["t"]) for i in range(1, 6)))

    first = client.get("/api/v1/repos?topic=t&sort=name&per_page=2").get_json()
    second = client.get(first["next"]).get_json()
    last = client.get(second["next"]).get_json()

    assert [i["name"] for i in first["items"] + second["items"] + last["items"]] == [f"r{i:02d}" for i in range(1, 6)]
    assert first["prev"] is None and last["next"] is None
    assert second["prev"] == "/api/v1/repos?topic=t&sort=name&page=1&per_page=2"
    assert last["total"] == 5 and last["page"] == 3


def test_page_past_the_end_is_empty_and_points_back_to_the_last_page(engine, client):
    publish(engine, repository(1, "alice/only"))

    body = client.get("/api/v1/repos?page=9").get_json()

    assert body["items"] == [] and body["total"] == 1
    assert body["prev"] == "/api/v1/repos?page=1&per_page=30" and body["next"] is None


def test_private_repositories_stored_by_the_syncer_are_shown(engine, client):
    publish(engine, repository(1, "alice/private", private=True, visibility="private"))

    [item] = client.get("/api/v1/repos").get_json()["items"]

    assert item["private"] is True and item["visibility"] == "private"


def test_before_the_first_sync_the_list_answers_503_not_synced(client):
    response = client.get("/api/v1/repos")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "not_synced"


def test_order_desc_reverses_the_curated_order(engine, client):
    publish(
        engine,
        repository(1, "alice/plain", stargazers_count=50),
        repository(2, "alice/featured"),
        repository(3, "alice/first"),
        extra("alice/featured", featured=True),
        extra("alice/first", sort_order=1),
    )

    assert names(client.get("/api/v1/repos?sort=curated")) == ["alice/first", "alice/featured", "alice/plain"]
    assert names(client.get("/api/v1/repos?sort=curated&order=desc")) == ["alice/plain", "alice/featured", "alice/first"]
    assert names(client.get("/api/v1/repos?sort=curated&order=asc")) == ["alice/first", "alice/featured", "alice/plain"]


def test_a_repository_without_language_or_description_is_found_only_by_what_it_has(engine, client):
    publish(engine, repository(1, "alice/plain", language=None, description=None))

    assert names(client.get("/api/v1/repos?q=plain")) == ["alice/plain"]
    assert names(client.get("/api/v1/repos?q=xxxx")) == []
    assert names(client.get("/api/v1/repos?language=xxxx")) == []


def test_pages_of_a_boolean_filter_link_with_the_booleans_as_the_api_spells_them(engine, client):
    publish(engine, *(repository(i, f"alice/fork{i}", fork=True) for i in range(1, 4)), repository(4, "alice/own"))

    first = client.get("/api/v1/repos?fork=true&archived=false&sort=curated&per_page=1").get_json()
    second = client.get(first["next"]).get_json()

    assert first["next"] == "/api/v1/repos?fork=true&archived=false&page=2&per_page=1"
    assert second["prev"] == "/api/v1/repos?fork=true&archived=false&page=1&per_page=1"
    assert (second["total"], [item["name"] for item in second["items"]]) == (3, ["fork2"])


def test_the_first_and_the_last_allowed_page_sizes_and_pages_are_answered(engine, client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"))

    assert len(client.get("/api/v1/repos?per_page=1").get_json()["items"]) == 1
    assert len(client.get("/api/v1/repos?per_page=100").get_json()["items"]) == 2
    assert client.get("/api/v1/repos?page=1").get_json()["page"] == 1
    last = client.get("/api/v1/repos?page=100000").get_json()
    assert (last["page"], last["items"]) == (100000, [])


def test_pages_of_a_text_filter_link_with_the_text_as_it_was_given(engine, client):
    publish(engine, repository(1, "Alice/Rocket-one"), repository(2, "Alice/Rocket-two"))

    first = client.get("/api/v1/repos?owner=Alice&q=Rocket&per_page=1").get_json()

    assert first["next"] == "/api/v1/repos?owner=Alice&q=Rocket&page=2&per_page=1"
