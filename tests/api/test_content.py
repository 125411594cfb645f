"""Owners, pins, READMEs, releases, social images and language colours as the API answers them."""

from __future__ import annotations

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from shared.models import Owner, Readme, Repository
from tests.api.data import (
    bump_generation,
    extra,
    languages,
    owner,
    publish,
    readme,
    release,
    repository,
)


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["full_name"] for item in response.get_json()["items"]]


def card(client, full_name: str) -> dict:
    return client.get(f"/api/v1/repos/{full_name}").get_json()


def test_owners_are_listed_by_login_with_their_profiles(engine, client):
    publish(
        engine,
        owner(2, "Zed", type="Organization", bio="We build rockets", blog="", company=None, followers=7),
        owner(1, "alice", location="Berlin", twitter_username="alice_tw", public_repos=3, following=2),
    )

    body = client.get("/api/v1/owners").get_json()

    assert body["total"] == 2
    assert body["items"] == [
        {
            "login": "alice",
            "id": 1,
            "type": "User",
            "name": "Alice",
            "avatar_url": "https://avatars.githubusercontent.com/u/1",
            "html_url": "https://github.com/alice",
            "bio": None,
            "blog": None,
            "location": "Berlin",
            "company": None,
            "twitter_username": "alice_tw",
            "public_repos": 3,
            "followers": 0,
            "following": 2,
            "created_at": "2024-01-01T00:00:00Z",
            "pinned": None,
        },
        {
            "login": "Zed",
            "id": 2,
            "type": "Organization",
            "name": "Zed",
            "avatar_url": "https://avatars.githubusercontent.com/u/2",
            "html_url": "https://github.com/Zed",
            "bio": "We build rockets",
            "blog": None,
            "location": None,
            "company": None,
            "twitter_username": None,
            "public_repos": 0,
            "followers": 7,
            "following": 0,
            "created_at": "2024-01-01T00:00:00Z",
            "pinned": None,
        },
    ]


def test_an_owner_is_found_by_login_in_any_case(engine, client):
    publish(engine, owner(1, "Alice"))

    response = client.get("/api/v1/owners/aLiCe")

    assert response.status_code == 200
    assert response.get_json()["login"] == "Alice"


def test_an_unknown_owner_is_404(engine, client):
    publish(engine, owner(1, "alice"))

    response = client.get("/api/v1/owners/bob")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_owner_of_a_pinned_foreign_repository_is_no_mirrored_owner(engine, client):
    publish(engine, repository(10, "acme/tool"), owner(1, "alice", 10))

    assert client.get("/api/v1/owners/acme").status_code == 404
    assert client.get("/api/v1/owners/alice").get_json()["pinned"] == ["acme/tool"]


def test_an_owners_pins_are_full_names_in_githubs_order(engine, client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), repository(3, "alice/c"), owner(1, "alice", 3, 1))

    assert client.get("/api/v1/owners/alice").get_json()["pinned"] == ["alice/c", "alice/a"]


def test_an_owner_known_to_pin_nothing_has_an_empty_list(engine, client):
    publish(engine, repository(1, "alice/a"), owner(1, "alice", pins_known=True))

    assert client.get("/api/v1/owners/alice").get_json()["pinned"] == []


def test_an_owner_whose_pins_are_unknown_has_null(engine, client):
    publish(engine, repository(1, "alice/a"), owner(1, "alice"))

    assert client.get("/api/v1/owners/alice").get_json()["pinned"] is None


def test_a_hidden_pinned_repository_leaks_nowhere(engine, client):
    publish(
        engine,
        repository(1, "alice/a"),
        repository(2, "alice/secret"),
        owner(1, "alice", 2, 1),
        extra("alice/secret", hidden=True),
    )

    assert client.get("/api/v1/owners/alice").get_json()["pinned"] == ["alice/a"]
    assert names(client.get("/api/v1/repos?pinned=true")) == ["alice/a"]
    assert card(client, "alice/a")["pinned_position"] == 1
    assert client.get("/api/v1/repos/alice/secret").status_code == 404
    assert b"secret" not in client.get("/api/v1/owners").data


def test_a_pinned_repository_that_is_not_published_is_left_out(engine, client):
    publish(engine, repository(1, "alice/a"), owner(1, "alice", 999, 1))

    assert client.get("/api/v1/owners/alice").get_json()["pinned"] == ["alice/a"]
    assert card(client, "alice/a")["pinned_position"] == 1


def test_cards_say_whether_and_where_they_are_pinned(engine, client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), repository(3, "alice/c"), owner(1, "alice", 3, 1))

    assert [(card(client, f"alice/{n}")["pinned"], card(client, f"alice/{n}")["pinned_position"]) for n in "abc"] == [
        (True, 2),
        (False, None),
        (True, 1),
    ]


def test_a_repository_pinned_by_two_owners_takes_the_first_position(engine, client):
    publish(engine, repository(1, "acme/a"), repository(2, "acme/b"), owner(1, "alice", 2, 1), owner(2, "acme", 1))

    assert card(client, "acme/a")["pinned_position"] == 1


def test_pinned_is_null_while_any_owners_pins_are_unknown(engine, client):
    publish(engine, repository(1, "alice/a"), repository(2, "bob/b"), owner(1, "alice", 1), owner(2, "bob"))

    assert card(client, "alice/a")["pinned"] is True
    assert card(client, "bob/b")["pinned"] is None


def test_pinned_is_null_before_any_owner_is_stored(engine, client):
    publish(engine, repository(1, "alice/a"))

    assert (card(client, "alice/a")["pinned"], card(client, "alice/a")["pinned_position"]) == (None, None)


def test_the_pinned_filter_keeps_pinned_or_known_unpinned_repositories(engine, client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), owner(1, "alice", 2))

    assert names(client.get("/api/v1/repos?pinned=true")) == ["alice/b"]
    assert names(client.get("/api/v1/repos?pinned=false")) == ["alice/a"]


def test_repositories_of_unknown_pins_match_neither_filter_value(engine, client):
    publish(engine, repository(1, "alice/a"), owner(1, "alice"))

    assert names(client.get("/api/v1/repos?pinned=true")) == []
    assert names(client.get("/api/v1/repos?pinned=false")) == []


def test_sort_pinned_puts_pins_first_in_their_order_then_the_rest_by_stars(engine, client):
    publish(
        engine,
        repository(1, "alice/a", stargazers_count=50),
        repository(2, "alice/b", stargazers_count=1),
        repository(3, "alice/c", stargazers_count=5),
        repository(4, "alice/d", stargazers_count=9),
        owner(1, "alice", 3, 2),
        extra("alice/a", sort_order=1),
    )

    assert names(client.get("/api/v1/repos?sort=pinned")) == ["alice/c", "alice/b", "alice/a", "alice/d"]
    assert names(client.get("/api/v1/repos?sort=pinned&order=desc")) == ["alice/d", "alice/a", "alice/b", "alice/c"]


def test_curated_order_and_featured_decide_over_pins_in_the_curated_sort(engine, client):
    publish(
        engine,
        repository(1, "alice/ordered"),
        repository(2, "alice/featured"),
        repository(3, "alice/pinned-second"),
        repository(4, "alice/pinned-first"),
        repository(5, "alice/popular", stargazers_count=1000),
        owner(1, "alice", 4, 3),
        extra("alice/ordered", sort_order=1),
        extra("alice/featured", featured=True),
    )

    assert names(client.get("/api/v1/repos")) == [
        "alice/ordered",
        "alice/featured",
        "alice/pinned-first",
        "alice/pinned-second",
        "alice/popular",
    ]


def test_page_links_keep_the_pinned_filter(engine, client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), owner(1, "alice", 1, 2))

    body = client.get("/api/v1/repos?pinned=true&sort=pinned&per_page=1").get_json()

    assert body["next"] == "/api/v1/repos?pinned=true&sort=pinned&page=2&per_page=1"


def test_a_card_carries_the_latest_release(engine, client):
    publish(engine, repository(1, "alice/a"), release(1, "v1.2.0", name="Big one"))

    assert card(client, "alice/a")["release"] == {
        "tag": "v1.2.0",
        "name": "Big one",
        "published_at": "2024-01-01T00:00:00Z",
        "url": "https://github.com/r/releases/tag/v1.2.0",
    }


def test_a_card_without_a_release_has_null(engine, client):
    publish(engine, repository(1, "alice/a"))

    assert card(client, "alice/a")["release"] is None


def test_a_card_carries_its_social_image_once_known(engine, client):
    publish(
        engine,
        repository(1, "alice/a", social_image_url="https://opengraph.githubassets.com/1/alice/a", social_image_custom=False),
        repository(2, "alice/b"),
    )

    assert card(client, "alice/a")["social_image"] == {
        "url": "https://opengraph.githubassets.com/1/alice/a",
        "custom": False,
    }
    assert card(client, "alice/b")["social_image"] is None


def test_language_colours_appear_on_cards_and_totals_null_when_unknown(engine, client):
    publish(engine, repository(1, "alice/a"), build=lambda session: languages(session, 1, Python=10, Zig=5))

    assert [(s["name"], s["color"]) for s in card(client, "alice/a")["languages"]] == [
        ("Python", "#3572A5"),
        ("Zig", None),
    ]
    totals = client.get("/api/v1/languages").get_json()["items"]
    assert [(t["name"], t["color"]) for t in totals] == [("Python", "#3572A5"), ("Zig", None)]


def test_the_detail_carries_the_readme_and_lists_do_not(engine, client):
    publish(engine, repository(1, "alice/a"), readme(1, '<h1 id="a">A</h1>'))

    assert card(client, "alice/a")["readme_html"] == '<h1 id="a">A</h1>'
    assert "readme_html" not in client.get("/api/v1/repos").get_json()["items"][0]


def test_a_readme_not_stored_is_null(engine, client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), readme(1, None, reason="too_large"))

    assert card(client, "alice/a")["readme_html"] is None
    assert card(client, "alice/b")["readme_html"] is None


def republish_readme(engine, html: str, description: str) -> None:
    """A new generation in which repository 1 has another README and description."""
    with Session(engine) as session, session.begin():
        session.execute(update(Readme).where(Readme.repository_id == 1).values(html=html))
        session.execute(update(Repository).where(Repository.id == 1).values(description=description))
        bump_generation(session)


def test_a_detail_rendered_after_a_publish_is_of_one_generation_readme_and_all(engine, make_client):
    publish(engine, repository(1, "alice/a", description="first"), readme(1, "<p>first</p>"))
    client = make_client(generation_check_interval=3600)  # would keep the loaded generation for an hour
    assert client.get("/api/v1/repos").status_code == 200  # generation 1 loaded

    republish_readme(engine, "<p>second</p>", "second")
    detail = card(client, "alice/a")

    # the README is read when the detail is rendered: it found generation 2, so the rest is of it too
    assert (detail["description"], detail["readme_html"]) == ("second", "<p>second</p>")
    assert client.get("/api/v1/repos").get_json()["items"][0]["description"] == "second"


def test_a_detail_answers_503_when_generations_keep_replacing_each_other_under_it(engine, api_engine, make_client):
    publish(engine, repository(1, "alice/a"), readme(1, "<p>0</p>"))
    client = make_client(generation_check_interval=3600)
    assert client.get("/api/v1/repos").status_code == 200
    published = []

    def publish_after_each_version_read(_conn, _cursor, statement, *_args) -> None:
        if "FROM dataset_state" in statement:  # what was just read is no longer the newest
            republish_readme(engine, f"<p>{len(published) + 1}</p>", "changing")
            published.append(statement)

    republish_readme(engine, "<p>first change</p>", "changing")
    event.listen(api_engine, "after_cursor_execute", publish_after_each_version_read)
    try:
        response = client.get("/api/v1/repos/alice/a")
    finally:
        event.remove(api_engine, "after_cursor_execute", publish_after_each_version_read)

    assert response.status_code == 503 and response.get_json()["error"]["code"] == "republishing"
    assert card(client, "alice/a")["readme_html"] == f"<p>{len(published)}</p>"  # once it settles


def test_changed_pins_show_in_the_next_generation(engine, make_client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), owner(1, "alice", 1))
    client = make_client(generation_check_interval=0)
    assert client.get("/api/v1/owners/alice").get_json()["pinned"] == ["alice/a"]

    with Session(engine) as session, session.begin():
        session.get(Owner, 1).pins[0].repository_id = 2
        session.execute(update(Owner).values(name="Alice A."))
        bump_generation(session)

    body = client.get("/api/v1/owners/alice").get_json()
    assert (body["pinned"], body["name"]) == (["alice/b"], "Alice A.")
    assert names(client.get("/api/v1/repos?pinned=true")) == ["alice/b"]

