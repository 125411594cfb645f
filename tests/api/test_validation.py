"""A bad query string is a 400 that names the parameter and what it allows."""

from __future__ import annotations

import pytest


def error(response) -> dict:
    assert response.status_code == 400, response.get_data(as_text=True)
    return response.get_json()["error"]


def test_unknown_parameter_is_named_with_the_allowed_ones(client):
    body = error(client.get("/api/v1/repos?colour=red"))

    assert body["code"] == "unknown_parameter"
    assert "'colour'" in body["message"]
    assert "owner, language, topic, q, fork, archived, featured, pinned, sort, order, page, per_page" in body["message"]


def test_an_endpoint_without_parameters_says_it_takes_none(client):
    body = error(client.get("/api/v1/languages?page=2"))

    assert "'page'" in body["message"] and "takes no query parameters" in body["message"]


@pytest.mark.parametrize(
    ("query", "named", "allowed"),
    [
        ("sort=popular", "sort", "one of curated, pinned, stars, pushed, updated, created, name"),
        ("pinned=yes", "pinned", "one of true, false"),
        ("order=up", "order", "one of asc, desc"),
        ("fork=yes", "fork", "one of true, false"),
        ("archived=1", "archived", "one of true, false"),
        ("featured=", "featured", "one of true, false"),
        ("page=0", "page", "an integer from 1 to 100000"),
        ("page=two", "page", "an integer from 1 to 100000"),
        ("per_page=101", "per_page", "an integer from 1 to 100"),
        ("per_page=-5", "per_page", "an integer from 1 to 100"),
        ("q=" + "x" * 201, "q", "text of 1 to 200 characters"),
        ("owner=", "owner", "text of 1 to 100 characters"),
    ],
)
def test_a_bad_value_names_the_parameter_and_its_allowed_values(client, query, named, allowed):
    body = error(client.get(f"/api/v1/repos?{query}"))

    assert body["code"] == "invalid_parameter"
    assert body["message"].startswith(f"{named}: expected {allowed}")


def test_a_parameter_given_twice_is_refused(client):
    body = error(client.get("/api/v1/repos?page=1&page=2"))

    assert body["message"].startswith("page: give it once")


def test_a_huge_number_is_a_400_not_a_crash(client):
    assert error(client.get("/api/v1/repos?page=" + "9" * 5000))["code"] == "invalid_parameter"


def test_validation_comes_before_the_not_synced_answer(client):
    assert client.get("/api/v1/repos?sort=nope").status_code == 400
