"""The API at 10,000 repositories: every filter, sort and search stays right, an uncached answer
takes as many queries as at three, and the rendered answers kept in memory stay within their budget."""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import delete

from api import create_app
from api.cache import MAX_RENDERED_BYTES
from shared.config import ApiSettings
from shared.db import make_engine
from shared.models import Base, DatasetState
from tests.api.data import migrated_sqlite
from tests.api.scale import publish_many, select

N = 10_000
ONLY_SQLITE = pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
ENDPOINTS = ["/api/v1/repos", "/api/v1/repos?per_page=100&sort=stars&language=go", "/api/v1/languages",
             "/api/v1/contributors"]
QUERIES = [
    {}, {"owner": "acme-org"}, {"owner": "BOB", "sort": "name"}, {"language": "python"},
    {"language": "jupyter notebook", "sort": "pushed", "order": "asc"}, {"language": "Makefile"},
    {"topic": "database"}, {"topic": "CLI", "fork": "false"}, {"q": "café"}, {"q": "日本語", "sort": "created"},
    {"q": "curated"}, {"q": "otter-1"}, {"fork": "true", "sort": "stars"}, {"archived": "true", "order": "desc"},
    {"featured": "true"}, {"featured": "false", "archived": "false", "sort": "updated", "order": "asc"},
    {"owner": "alice", "language": "rust", "topic": "web", "q": "a", "sort": "stars", "order": "asc"},
    *({"sort": sort, "order": order} for sort in ("curated", "stars", "pushed", "updated", "created", "name")
      for order in ("asc", "desc")),
]


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A SQLite database with N published repositories; (read-only engine, what the API should show)."""
    url = migrated_sqlite(Path(tmp_path_factory.mktemp("scale")) / "portfolio.db")
    writer = make_engine(url)
    expected = publish_many(writer, N)
    writer.dispose()
    engine = make_engine(url, read_only=True)
    yield engine, expected
    engine.dispose()


@pytest.fixture(scope="module")
def large_client(large):
    return create_app(ApiSettings(generation_check_interval=3600), large[0]).test_client()


def listed(client, query: dict[str, str], page: int) -> dict:
    response = client.get("/api/v1/repos?" + urlencode({**query, "per_page": 100, "page": page}))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: urlencode(q) or "default")
def test_every_filter_sort_and_search_is_right_at_10000_repositories(large, large_client, query):
    wanted = select(large[1], query)
    last = max(1, math.ceil(len(wanted) / 100))
    for page in sorted({1, 2, last // 2, last - 1, last} - {0}):
        body = listed(large_client, query, page)
        assert body["total"] == len(wanted)
        assert [item["full_name"] for item in body["items"]] == wanted[(page - 1) * 100:page * 100], f"page {page}"


def test_the_large_dataset_exercises_every_rule(large):
    """The queries above are worth asking: they select neither nothing nor everything."""
    expected = large[1]
    for query in QUERIES[1:17]:
        assert 0 < len(select(expected, query)) < len(expected), query


@ONLY_SQLITE
def test_an_uncached_request_runs_as_many_queries_at_10000_repositories_as_at_3(queries, api_engine, engine):
    def count_per_endpoint(detail: str) -> list[int]:
        counts = []
        for path in [*ENDPOINTS, detail]:
            response = create_app(ApiSettings(), api_engine).test_client().get(path)
            assert response.status_code == 200, (path, response.get_json())
            counts.append(queries.take())
        return counts

    first = publish_many(engine, 3)[0].full_name  # the same repository at both sizes (the same seed)
    at_three = count_per_endpoint(f"/api/v1/repos/{first}")
    engine_rows_cleared(engine)
    publish_many(engine, N)
    at_ten_thousand = count_per_endpoint(f"/api/v1/repos/{first}")
    # the dataset's eight; the totals and a repository's detail read the state again and their rows
    assert at_three == at_ten_thousand == [8, 8, 8, 8 + 2, 8 + 3]


def engine_rows_cleared(engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != DatasetState.__tablename__:
                connection.execute(delete(table))


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def test_rendered_answers_stay_within_their_budget_under_a_flood_of_distinct_queries(large):
    client = create_app(ApiSettings(generation_check_interval=3600), large[0]).test_client()
    assert client.get("/api/v1/repos").status_code == 200  # the dataset is loaded
    before, answered = resident_bytes(), 0
    # "page=007" is page 7 again, rendered and kept under a key of its own: the cheapest flood there is.
    paddings = ((page_width, per_page_width) for page_width in range(3, 10) for per_page_width in range(3, 10))
    for page_width, per_page_width in paddings:
        for page in range(1, 101):
            response = client.get(f"/api/v1/repos?per_page={100:0{per_page_width}d}&page={page:0{page_width}d}")
            assert response.status_code == 200
            answered += len(response.get_data())
        if answered > 2 * MAX_RENDERED_BYTES:
            break
    grown = resident_bytes() - before
    assert grown < 1.5 * MAX_RENDERED_BYTES, f"{grown / 2**20:.0f} MB kept for {answered / 2**20:.0f} MB answered"
