"""HTTP behaviour: ETags and 304s, Cache-Control, security headers, CORS, and JSON errors."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.api.data import publish, repository

ORIGIN = "https://portfolio.example"


def test_200_has_a_strong_etag_and_a_matching_if_none_match_gets_304(engine, client):
    publish(engine, repository(1, "alice/a"))
    first = client.get("/api/v1/repos")

    again = client.get("/api/v1/repos", headers={"If-None-Match": first.headers["ETag"]})

    assert first.headers["ETag"].startswith('"') and not first.headers["ETag"].startswith("W/")
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_stale_etag_gets_the_new_body(engine, client):
    publish(engine, repository(1, "alice/a"))

    response = client.get("/api/v1/repos", headers={"If-None-Match": '"0123456789abcdef"'})

    assert response.status_code == 200 and response.get_json()["total"] == 1


def test_same_body_same_etag_different_body_different_etag(engine, client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"))

    first, second = client.get("/api/v1/repos"), client.get("/api/v1/repos")
    other = client.get("/api/v1/repos?per_page=1")

    assert first.headers["ETag"] == second.headers["ETag"] != other.headers["ETag"]


def test_cache_control_is_public_with_the_configured_max_age_and_stale_allowances(engine, make_client):
    publish(engine, repository(1, "alice/a"))
    client = make_client(cache_max_age=123, stale_while_revalidate=45, stale_if_error=600)

    response = client.get("/api/v1/languages")

    assert response.headers["Cache-Control"] == "public, max-age=123, stale-while-revalidate=45, stale-if-error=600"


def test_every_answer_has_the_security_headers(engine, client):
    publish(engine, repository(1, "alice/a"))

    for response in (client.get("/api/v1/repos"), client.get("/nowhere"), client.delete("/api/v1/repos")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_head_answers_the_headers_of_get_without_a_body(engine, client):
    publish(engine, repository(1, "alice/a"))

    get, head = client.get("/api/v1/repos"), client.head("/api/v1/repos")

    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_every_method_but_get_head_options_is_405_json_with_allow(client):
    for method in ("POST", "PUT", "PATCH", "DELETE", "TRACE"):
        response = client.open("/api/v1/repos", method=method)

        assert response.status_code == 405, method
        assert response.get_json()["error"]["code"] == "method_not_allowed"
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_unknown_path_is_404_json(client):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_failure_inside_is_500_json_that_tells_nothing_of_the_internals(engine, client):
    publish(engine, repository(1, "alice/a"))
    with engine.begin() as conn:  # a row no syncer would write: topics that are not JSON
        conn.execute(text("UPDATE repositories SET topics = '{broken' WHERE id = 1"))

    response = client.get("/api/v1/repos")

    assert response.status_code == 500
    assert response.get_json() == {
        "error": {"code": "internal_error", "message": "the server failed to answer this request"}
    }
    assert "Traceback" not in response.get_data(as_text=True)


def test_cors_allows_a_listed_origin_and_exposes_the_etag(engine, make_client):
    publish(engine, repository(1, "alice/a"))

    response = make_client(cors_origins=(ORIGIN,)).get("/api/v1/repos", headers={"Origin": ORIGIN})

    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_cors_gives_nothing_to_an_origin_not_listed(engine, make_client):
    publish(engine, repository(1, "alice/a"))

    response = make_client(cors_origins=(ORIGIN,)).get("/api/v1/repos", headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_cors_preflight_from_a_listed_origin_allows_get_and_if_none_match(make_client):
    response = make_client(cors_origins=(ORIGIN,)).options(
        "/api/v1/repos",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_cors_star_lets_every_origin_read(engine, make_client):
    publish(engine, repository(1, "alice/a"))

    response = make_client(cors_origins=("*",)).get("/api/v1/repos", headers={"Origin": "https://any.example"})

    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_without_cors_origins_no_cors_headers_are_sent(engine, client):
    publish(engine, repository(1, "alice/a"))

    response = client.get("/api/v1/repos", headers={"Origin": ORIGIN})

    assert not [name for name in response.headers.keys() if name.startswith("Access-Control-")]


def test_errors_carry_cors_headers_so_the_page_can_read_them(make_client):
    response = make_client(cors_origins=(ORIGIN,)).get("/api/v1/repos?bogus=1", headers={"Origin": ORIGIN})

    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_error_bodies_are_json_with_code_and_message_only(client):
    body = json.loads(client.get("/api/v1/repos?page=0").get_data())

    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}


def test_a_repeat_is_answered_from_memory_before_flask_exactly_as_the_first(engine, make_client):
    publish(engine, repository(1, "alice/a"), repository(2, "alice/b"))
    client = make_client(cors_origins=(ORIGIN,))
    reached_flask = []
    client.application.before_request(lambda: reached_flask.append(1))
    headers = {"Origin": ORIGIN}

    first = client.get("/api/v1/repos?sort=name", headers=headers)
    second = client.get("/api/v1/repos?sort=name", headers=headers)
    revalidated = client.get("/api/v1/repos?sort=name", headers={**headers, "If-None-Match": first.headers["ETag"]})
    head = client.head("/api/v1/repos?sort=name")

    assert len(reached_flask) == 1  # only the first request was rendered by Flask
    assert second.status_code == 200 and second.get_data() == first.get_data()
    assert {k: v for k, v in second.headers.items() if k != "Date"} == {
        k: v for k, v in first.headers.items() if k != "Date"
    }
    assert revalidated.status_code == 304 and revalidated.headers["ETag"] == first.headers["ETag"]
    assert revalidated.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert head.status_code == 200 and head.get_data() == b"" and head.headers["ETag"] == first.headers["ETag"]


def test_answers_from_memory_follow_a_new_generation(engine, make_client):
    publish(engine, repository(1, "alice/a"))
    client = make_client(generation_check_interval=0.0)
    assert client.get("/api/v1/repos").get_json()["total"] == 1
    assert client.get("/api/v1/repos").get_json()["total"] == 1
    publish(engine, repository(2, "alice/b"))
    assert client.get("/api/v1/repos").get_json()["total"] == 2


def test_errors_are_never_answered_from_memory(engine, make_client):
    publish(engine, repository(1, "alice/a"))
    client = make_client()
    assert client.get("/api/v1/repos?page=0").status_code == 400
    assert client.get("/api/v1/repos?page=0").status_code == 400
    assert client.get("/api/v1/repos/alice/nope").status_code == 404
    assert client.get("/api/v1/repos/alice/nope").status_code == 404
