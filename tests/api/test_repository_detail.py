"""GET /api/v1/repos/{owner}/{name}: one repository with its contributors."""

from __future__ import annotations

from tests.api.data import contributions, extra, publish, repository


def test_detail_is_found_whatever_the_case_of_owner_and_name(engine, client):
    publish(engine, repository(1, "Alice/Rocket"))

    response = client.get("/api/v1/repos/aLiCe/ROCKET")

    assert response.status_code == 200
    assert response.get_json()["full_name"] == "Alice/Rocket"


def test_detail_lists_contributors_most_contributions_first(engine, client):
    publish(engine, repository(1, "alice/rocket"), build=lambda s: contributions(s, 1, bob=3, alice=10, carol=3))

    body = client.get("/api/v1/repos/alice/rocket").get_json()

    assert [(c["login"], c["contributions"]) for c in body["contributors"]] == [("alice", 10), ("bob", 3), ("carol", 3)]
    assert body["contributors"][0]["avatar_url"] == "https://avatars.example/alice"
    assert body["contributors_count"] == 3


def test_detail_has_the_same_card_fields_as_the_list_item(engine, client):
    publish(engine, repository(1, "alice/rocket"), extra("alice/rocket", demo_url="https://demo.example"))

    [item] = client.get("/api/v1/repos").get_json()["items"]
    detail = client.get("/api/v1/repos/alice/rocket").get_json()

    assert {key: value for key, value in detail.items() if key not in ("contributors", "readme_html")} == item


def test_unavailable_contributors_are_null_with_a_null_count(engine, client):
    publish(engine, repository(1, "alice/huge", contributors_status="unavailable"))

    body = client.get("/api/v1/repos/alice/huge").get_json()

    assert (body["contributors_status"], body["contributors"], body["contributors_count"]) == (
        "unavailable",
        None,
        None,
    )


def test_empty_contributors_are_an_empty_list_with_count_zero(engine, client):
    publish(engine, repository(1, "alice/empty", contributors_status="empty"))

    body = client.get("/api/v1/repos/alice/empty").get_json()

    assert (body["contributors_status"], body["contributors"], body["contributors_count"]) == ("empty", [], 0)


def test_hidden_repository_detail_is_404_like_a_missing_one(engine, client):
    publish(engine, repository(1, "alice/secret"), extra("alice/secret", hidden=True))

    hidden = client.get("/api/v1/repos/alice/secret")
    missing = client.get("/api/v1/repos/alice/nothing")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"]["code"] == "not_found"


def test_detail_before_the_first_sync_answers_503(client):
    assert client.get("/api/v1/repos/alice/rocket").status_code == 503
