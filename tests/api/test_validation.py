"""A bad query string is a 400 that names the parameter and what it allows."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from werkzeug.datastructures import MultiDict

from api.errors import ApiError
from api.params import QueryRules
from tests.api.data import publish, repository


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


@pytest.mark.parametrize(
    ("query", "allowed"),
    [
        ("per_page=0", "an integer from 1 to 100"),
        ("page=100001", "an integer from 1 to 100000"),
        ("page=0000000001", "an integer from 1 to 100000"),  # more than nine digits, whatever their value
        ("page=１", "an integer from 1 to 100000"),  # a digit, but not an ASCII one
        ("page=%2B1", "an integer from 1 to 100000"),
    ],
)
def test_numbers_just_outside_the_limits_are_refused(client, query, allowed):
    name, raw = unquote(query).split("=")
    assert error(client.get(f"/api/v1/repos?{query}"))["message"] == f"{name}: expected {allowed} (got {raw!r})"


def test_nine_digits_are_read_as_a_number(engine, client):
    publish(engine, repository(1, "alice/a"))
    assert client.get("/api/v1/repos?page=000000001").get_json()["page"] == 1


def test_a_long_bad_value_is_shown_cut_at_forty_characters(client):
    body = error(client.get("/api/v1/repos?q=" + "x" * 201))
    assert body["message"] == f"q: expected text of 1 to 200 characters (got {'x' * 40 + '…'!r})"
    body = error(client.get("/api/v1/repos?sort=" + "y" * 40))
    assert body["message"].endswith(f"(got {'y' * 40!r})")


def test_a_long_unknown_parameter_is_shown_cut_at_forty_characters(client):
    assert f"'{'z' * 40}…';" in error(client.get(f"/api/v1/repos?{'z' * 41}=1"))["message"]
    assert f"'{'z' * 40}';" in error(client.get(f"/api/v1/repos?{'z' * 40}=1"))["message"]


def test_a_parameter_given_three_times_says_how_many(client):
    assert error(client.get("/api/v1/repos?fork=true&fork=true&fork=false"))["message"] == (
        "fork: give it once (got 3 values)")


def test_unknown_parameters_are_refused_in_one_exact_sentence(client):
    assert error(client.get("/api/v1/repos?colour=red"))["message"] == (
        "unknown query parameter 'colour'; allowed: owner, language, topic, q, fork, archived, featured, pinned, "
        "sort, order, page, per_page")
    assert error(client.get("/api/v1/languages?page=2"))["message"] == (
        "unknown query parameter 'page'; this endpoint takes no query parameters")


def test_a_repeated_parameter_is_an_invalid_parameter(client):
    assert error(client.get("/api/v1/repos?page=1&page=1"))["code"] == "invalid_parameter"


def test_a_value_of_forty_one_characters_is_already_cut(client):
    assert error(client.get("/api/v1/repos?sort=" + "y" * 41))["message"].endswith(f"(got {'y' * 40 + '…'!r})")


def test_text_of_the_longest_allowed_length_is_accepted(engine, client):
    publish(engine, repository(1, "alice/a"))
    assert client.get("/api/v1/repos?q=" + "x" * 200).get_json()["items"] == []
    assert client.get("/api/v1/repos?owner=" + "o" * 100).get_json()["items"] == []


def test_text_without_a_documented_minimum_length_may_be_empty():
    rules = QueryRules.from_parameters([{"name": "tag", "schema": {"type": "string", "maxLength": 3}}])
    assert rules.parse(MultiDict([("tag", "")])) == {"tag": ""}
    assert rules.defaults == {"tag": None}
    with pytest.raises(ApiError, match="tag: expected text of 0 to 3 characters"):
        rules.parse(MultiDict([("tag", "four")]))
