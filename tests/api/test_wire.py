"""On the wire: compressed once per generation, one strong ETag per encoding, Last-Modified, Link pagination."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone

import brotli
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.http import http_date, parse_date

from api.cache import RenderedResponses
from api.http import choose_coding
from api.rendered import Rendered
from shared.models import DatasetState
from tests.api.data import bump_generation, publish, repository

PROJECTS = 40


def many(count: int = PROJECTS) -> list:
    """Enough repositories that the list is worth compressing (new rows: each session adds its own)."""
    description = "A portfolio project " * 5
    return [repository(i, f"alice/project-{i:02d}", description=description) for i in range(1, count + 1)]


def changed_at(engine) -> datetime:
    with Session(engine) as session:
        return session.scalar(select(DatasetState.changed_at).where(DatasetState.id == 1))


@pytest.mark.parametrize(
    "accept_encoding, chosen",
    [
        (None, "identity"),
        ("", "identity"),
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("GZIP;q=0.8", "gzip"),
        ("deflate", "identity"),
        ("gzip;q=0", "identity"),
        ("*", "br"),
        ("*;q=0.5, br;q=0", "gzip"),
        ("identity;q=0, gzip", "gzip"),
        ("gzip;q=0.2, identity", "identity"),
        ("identity;q=0", None),
        ("*;q=0", None),
        ("deflate, *;q=0", None),
    ],
)
def test_the_coding_is_the_clients_best_of_what_we_have_identity_unless_excluded(accept_encoding, chosen):
    assert choose_coding(accept_encoding, ("br", "gzip")) == chosen


def test_a_large_answer_is_sent_gzipped_when_asked_with_vary_and_its_own_strong_etag(engine, client):
    publish(engine, *many())

    plain = client.get("/api/v1/repos")
    zipped = client.get("/api/v1/repos", headers={"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert int(zipped.headers["Content-Length"]) == len(zipped.get_data()) < len(plain.get_data()) / 4
    assert plain.headers["Vary"] == zipped.headers["Vary"] == "Accept-Encoding"
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert zipped.headers["ETag"].startswith('"') and plain.headers["ETag"].startswith('"')


def test_brotli_is_sent_to_a_client_that_prefers_it(engine, client):
    publish(engine, *many())

    plain = client.get("/api/v1/repos")
    squeezed = client.get("/api/v1/repos", headers={"Accept-Encoding": "gzip, deflate, br"})

    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.get_data()) == plain.get_data()
    assert len({plain.headers["ETag"], squeezed.headers["ETag"]}) == 2


@pytest.mark.parametrize("coding", ["identity", "gzip", "br"])
def test_each_encodings_etag_revalidates_to_304_in_that_encoding(engine, client, coding):
    publish(engine, *many())
    headers = {"Accept-Encoding": coding}
    first = client.get("/api/v1/repos", headers=headers)

    again = client.get("/api/v1/repos", headers={**headers, "If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Vary"] == "Accept-Encoding"


def test_another_encodings_etag_gets_the_body_not_a_304(engine, client):
    publish(engine, *many())
    plain = client.get("/api/v1/repos")

    zipped = client.get("/api/v1/repos", headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["ETag"]})

    assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"


def test_repeats_in_every_encoding_come_from_memory_exactly_as_flask_sent_them(engine, make_client):
    publish(engine, *many())
    client = make_client()
    reached_flask = []
    client.application.before_request(lambda: reached_flask.append(1))

    def headers_of(response):
        return sorted((k, v) for k, v in response.headers.items() if k != "Date")

    first = {coding: client.get("/api/v1/repos", headers={"Accept-Encoding": coding}) for coding in ("gzip", "br")}
    assert len(reached_flask) == 1  # the first request rendered and compressed every encoding
    for coding, response in first.items():
        repeat = client.get("/api/v1/repos", headers={"Accept-Encoding": coding})
        revalidated = client.get(
            "/api/v1/repos", headers={"Accept-Encoding": coding, "If-None-Match": response.headers["ETag"]}
        )
        head = client.head("/api/v1/repos", headers={"Accept-Encoding": coding})
        assert repeat.get_data() == response.get_data() and headers_of(repeat) == headers_of(response)
        assert revalidated.status_code == 304 and revalidated.headers["ETag"] == response.headers["ETag"]
        assert head.get_data() == b"" and head.headers["Content-Length"] == response.headers["Content-Length"]
    assert len(reached_flask) == 1


def test_nothing_acceptable_is_406_json_from_flask_and_from_memory(engine, client):
    publish(engine, *many())
    client.get("/api/v1/repos")

    refused = client.get("/api/v1/repos", headers={"Accept-Encoding": "identity;q=0"})

    assert refused.status_code == 406
    assert refused.get_json()["error"] == {
        "code": "not_acceptable",
        "message": "Accept-Encoding 'identity;q=0' excludes every encoding of this answer: identity, br, gzip",
    }


def test_errors_and_tiny_answers_stay_plain(engine, client):
    publish(engine, repository(1, "alice/a"))
    headers = {"Accept-Encoding": "gzip, br"}

    for path in ("/api/v1/repos?page=0", "/api/v1/repos/alice/nope", "/api/v1/languages"):
        response = client.get(path, headers=headers)

        assert "Content-Encoding" not in response.headers, path
        assert response.get_json() is not None, path


def test_the_memory_budget_counts_compressed_bodies_too():
    document = {"items": ["a portfolio project"] * 200}
    rendered = Rendered.of(document)
    assert set(rendered.encodings) == {"gzip", "br"}
    responses = RenderedResponses(max_bytes=len(rendered.body) + 10)

    responses.get_or_render("first", lambda: rendered)
    responses.get_or_render("second", lambda: Rendered.of({"x": 1}))

    assert rendered.size > len(rendered.body) + 10
    assert responses.get("first") is None and responses.get("second") is not None


def test_last_modified_is_when_the_published_data_last_changed(engine, client):
    publish(engine, *many())

    response = client.get("/api/v1/repos")

    assert response.headers["Last-Modified"] == http_date(changed_at(engine))


def test_if_modified_since_the_last_change_gets_304_and_before_it_the_body(engine, client):
    publish(engine, *many())
    changed = changed_at(engine)

    current = client.get("/api/v1/repos", headers={"If-Modified-Since": http_date(changed)})
    older = client.get("/api/v1/repos", headers={"If-Modified-Since": http_date(changed - timedelta(seconds=2))})

    assert current.status_code == 304 and current.get_data() == b""
    assert older.status_code == 200 and older.get_json()["total"] == PROJECTS


def test_if_none_match_wins_over_if_modified_since(engine, client):
    publish(engine, *many())
    later = http_date(datetime.now(timezone.utc) + timedelta(days=1))

    response = client.get("/api/v1/repos", headers={"If-None-Match": '"stale"', "If-Modified-Since": later})

    assert response.status_code == 200


def test_a_new_generation_moves_last_modified(engine, make_client):
    publish(engine, repository(1, "alice/a"))
    client = make_client(generation_check_interval=0.0)
    before = parse_date(client.get("/api/v1/repos").headers["Last-Modified"])

    with Session(engine) as session, session.begin():  # a sync seconds later (the header counts whole seconds)
        session.add(repository(2, "alice/b"))
        bump_generation(session)
        session.get(DatasetState, 1).changed_at = before + timedelta(seconds=3)
    after = client.get("/api/v1/repos", headers={"If-Modified-Since": http_date(before)})

    assert after.status_code == 200 and after.get_json()["total"] == 2
    assert after.headers["Last-Modified"] == http_date(before + timedelta(seconds=3))


def test_a_middle_page_links_next_and_prev_absolute_as_github_does(engine, client):
    publish(engine, *many(3))

    response = client.get("/api/v1/repos?per_page=1&page=2", base_url="https://api.example.com")
    body = response.get_json()

    assert response.headers["Link"] == (
        f'<https://api.example.com{body["next"]}>; rel="next", <https://api.example.com{body["prev"]}>; rel="prev"'
    )
    assert body["next"] == "/api/v1/repos?page=3&per_page=1"


def test_the_link_header_from_memory_names_the_host_that_was_asked(engine, client):
    publish(engine, *many(3))
    client.get("/api/v1/repos?per_page=1", base_url="http://first.example")

    again = client.get("/api/v1/repos?per_page=1", base_url="http://second.example:8080")

    assert again.headers["Link"] == '<http://second.example:8080/api/v1/repos?page=2&per_page=1>; rel="next"'


def test_the_link_header_keeps_the_prefix_the_api_is_mounted_under(engine, client):
    publish(engine, *many(3))

    response = client.get("/api/v1/repos?per_page=1", base_url="https://example.com/portfolio/")

    assert response.headers["Link"] == '<https://example.com/portfolio/api/v1/repos?page=2&per_page=1>; rel="next"'


def test_a_single_page_and_a_repository_have_no_link_header(engine, client):
    publish(engine, repository(1, "alice/a"))

    for path in ("/api/v1/repos", "/api/v1/repos/alice/a"):
        assert "Link" not in client.get(path).headers, path


def test_cors_lets_a_page_read_the_link_header(engine, make_client):
    publish(engine, repository(1, "alice/a"))
    origin = "https://portfolio.example"

    response = make_client(cors_origins=(origin,)).get("/api/v1/repos", headers={"Origin": origin})

    assert "Link" in response.headers["Access-Control-Expose-Headers"]
