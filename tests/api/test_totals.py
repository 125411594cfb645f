"""GET /api/v1/languages and /api/v1/contributors: totals over the visible repositories."""

from __future__ import annotations

from tests.api.data import contributions, extra, languages, publish, repository


def test_language_totals_sum_bytes_and_count_repositories_most_bytes_first(engine, client):
    def build(session):
        languages(session, 1, Python=600, Shell=100)
        languages(session, 2, Python=200, Go=100)

    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), build=build)

    body = client.get("/api/v1/languages").get_json()

    assert body == {
        "items": [
            {"name": "Python", "bytes": 800, "percent": 80.0, "color": "#3572A5", "repositories": 2},
            {"name": "Go", "bytes": 100, "percent": 10.0, "color": "#00ADD8", "repositories": 1},
            {"name": "Shell", "bytes": 100, "percent": 10.0, "color": "#89e051", "repositories": 1},
        ],
        "total_bytes": 1000,
    }


def test_language_totals_leave_out_hidden_repositories(engine, client):
    def build(session):
        languages(session, 1, Python=10)
        languages(session, 2, Cobol=99)

    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), extra("alice/b", hidden=True), build=build)

    assert [item["name"] for item in client.get("/api/v1/languages").get_json()["items"]] == ["Python"]


def test_contributor_totals_sum_contributions_and_count_repositories(engine, client):
    def build(session):
        contributions(session, 1, alice=10, bob=1)
        contributions(session, 2, bob=4)

    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), build=build)

    body = client.get("/api/v1/contributors").get_json()

    assert body["total"] == 2
    assert [(p["login"], p["contributions"], p["repositories"]) for p in body["items"]] == [
        ("alice", 10, 1),
        ("bob", 5, 2),
    ]
    assert body["items"][0]["html_url"] == "https://github.com/alice"


def test_contributor_totals_leave_out_hidden_repositories(engine, client):
    def build(session):
        contributions(session, 1, alice=1)
        contributions(session, 2, mallory=50, alice=7)

    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"), extra("alice/b", hidden=True), build=build)

    assert [(p["login"], p["contributions"]) for p in client.get("/api/v1/contributors").get_json()["items"]] == [
        ("alice", 1)
    ]


def test_totals_before_the_first_sync_answer_503(client):
    assert client.get("/api/v1/languages").status_code == 503
    assert client.get("/api/v1/contributors").status_code == 503
