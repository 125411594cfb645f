"""Answers come from memory per dataset generation; a new generation is noticed within a second."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api import create_app
from api.cache import DatasetCache
from api.dataset import load_dataset
from api.rendered import Rendered
from shared.config import ApiSettings
from shared.db import make_engine
from shared.models import Repository
from tests.api.data import (
    bump_generation,
    contributions,
    languages,
    owner,
    publish,
    readme,
    release,
    repository,
)

ENDPOINTS = [
    "/api/v1/repos",
    "/api/v1/repos/alice/r1",
    "/api/v1/languages",
    "/api/v1/contributors",
    "/api/v1/owners",
    "/api/v1/owners/owner1",
]


def publish_many(engine, count: int, start: int = 1) -> None:
    def build(session):
        for i in range(start, start + count):
            languages(session, i, Python=100 + i, Go=i)
            contributions(session, i, alice=i, bob=1)
            session.add_all([readme(i, f"<p>r{i}</p>"), release(i, f"v{i}")])
        session.add(owner(start, f"owner{start}", *range(start, start + min(count, 6))))

    publish(engine, *(repository(i, f"alice/r{i}") for i in range(start, start + count)), build=build)


def test_an_uncached_request_runs_the_same_few_queries_for_3_or_60_repositories(engine, make_client, queries):
    publish_many(engine, 3)
    for path in ENDPOINTS:
        make_client().get(path)
    small = queries.take()

    publish_many(engine, 57, start=4)
    for path in ENDPOINTS:
        make_client().get(path)
    large = queries.take()

    # per fresh app: state, repositories, languages, extras, owners, pins, releases, contributor counts;
    # then the repository's detail reads the state, its README and contributors, the totals the state and the sums
    assert small == large == len(ENDPOINTS) * 8 + 3 + 2


def test_a_cached_answer_runs_no_query_at_all(engine, make_client, queries):
    publish_many(engine, 3)
    client = make_client(generation_check_interval=60)
    first = client.get("/api/v1/repos")
    queries.take()

    again = [client.get("/api/v1/repos") for _ in range(20)]

    assert queries.take() == 0
    assert all(response.get_data() == first.get_data() for response in again)


def test_within_the_check_interval_the_generation_is_read_at_most_once(engine, make_client, queries):
    publish_many(engine, 3)
    client = make_client(generation_check_interval=0.2)
    client.get("/api/v1/repos")
    queries.take()

    time.sleep(0.25)
    for _ in range(30):
        client.get("/api/v1/repos")

    assert queries.take() == 1  # the version check; same generation, nothing reloaded


def test_a_new_generation_is_served_within_one_second(engine, client):
    publish(engine, repository(1, "alice/first"))
    assert client.get("/api/v1/repos").get_json()["total"] == 1

    publish(engine, repository(2, "alice/second"))
    published = time.monotonic()
    while client.get("/api/v1/repos").get_json()["total"] != 2:
        assert time.monotonic() - published < 1.0, "the new generation was not noticed within a second"
        time.sleep(0.02)


def test_the_first_sync_ends_the_503(engine, client):
    assert client.get("/api/v1/repos").status_code == 503

    publish(engine, repository(1, "alice/first"))
    time.sleep(0.6)

    assert client.get("/api/v1/repos").status_code == 200


def test_a_loaded_dataset_is_one_generation_even_while_the_syncer_commits(engine, api_engine):
    # Every commit sets all stars to the generation it publishes: a dataset mixing two commits shows it.
    publish(engine, *(repository(i, f"alice/r{i}", stargazers_count=1) for i in range(1, 30)))
    stop = threading.Event()

    def syncer():
        while not stop.is_set():
            with Session(engine) as session, session.begin():
                generation = bump_generation(session)
                session.execute(update(Repository).values(stargazers_count=generation))

    writer = threading.Thread(target=syncer)
    writer.start()
    try:
        datasets = [load_dataset(api_engine) for _ in range(40)]
    finally:
        stop.set()
        writer.join()

    assert len({d.version.generation for d in datasets}) > 1, "the writer never committed during the reads"
    for dataset in datasets:
        assert {repo.stars for repo in dataset.repositories} == {dataset.version.generation}


def test_threads_share_one_app_and_all_get_a_whole_answer(engine, api_engine):
    publish_many(engine, 20)
    app = create_app(ApiSettings(generation_check_interval=0.01), api_engine)

    def fetch(i: int):
        with app.test_client() as client:
            return client.get(ENDPOINTS[i % len(ENDPOINTS)])

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(fetch, range(400)))

    assert {response.status_code for response in responses} == {200}
    assert {r.get_json()["total"] for r in responses[:: len(ENDPOINTS)]} == {20}


def test_once_loaded_answers_keep_coming_while_the_database_is_gone(sqlite_url, sqlite_engine, tmp_path, caplog):
    publish(sqlite_engine, repository(1, "alice/a"))
    sqlite_engine.dispose()
    api_engine = make_engine(sqlite_url, read_only=True)
    client = create_app(ApiSettings(generation_check_interval=0), api_engine).test_client()
    assert client.get("/api/v1/repos").status_code == 200

    api_engine.dispose()  # no pooled connection left open on the file
    Path(sqlite_url.database).rename(tmp_path / "elsewhere.db")
    response = client.get("/api/v1/repos")

    assert response.status_code == 200 and response.get_json()["total"] == 1
    assert "database unavailable, still serving generation 1" in caplog.text


def test_while_the_database_is_gone_a_detail_rendered_before_is_served_and_another_answers_503(
        sqlite_url, sqlite_engine, tmp_path):
    publish(sqlite_engine, repository(1, "alice/a"), repository(2, "alice/b"), readme(1, "<p>a</p>"))
    sqlite_engine.dispose()
    api_engine = make_engine(sqlite_url, read_only=True)
    client = create_app(ApiSettings(generation_check_interval=0), api_engine).test_client()
    assert client.get("/api/v1/repos/alice/a").get_json()["readme_html"] == "<p>a</p>"

    api_engine.dispose()
    Path(sqlite_url.database).rename(tmp_path / "elsewhere.db")

    assert client.get("/api/v1/repos/alice/a").get_json()["readme_html"] == "<p>a</p>"
    gone = client.get("/api/v1/repos/alice/b")
    assert gone.status_code == 503 and gone.get_json()["error"]["code"] == "database_unavailable"
    assert client.get("/api/v1/repos?sort=name").get_json()["total"] == 2  # a list never asked before


def test_the_answers_of_a_replaced_generation_are_dropped_before_the_next_is_loaded(engine, api_engine):
    publish_many(engine, 3)
    cache = DatasetCache(api_engine, check_interval=0)
    old = cache.current()
    old.responses.get_or_render("page", lambda: Rendered.of({"generation": 1}))
    seen_while_loading = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if "FROM repositories" in statement:  # the next generation is being loaded
            seen_while_loading.append(old.responses.get("page"))

    bump(engine)
    event.listen(api_engine, "after_cursor_execute", record)
    try:
        new = cache.current()
    finally:
        event.remove(api_engine, "after_cursor_execute", record)

    assert new is not old and seen_while_loading == [None]
    # a thread still answering from the old generation renders, and keeps nothing
    old.responses.get_or_render("page", lambda: Rendered.of({"generation": 1}))
    assert old.responses.get("page") is None


def test_a_generation_served_on_after_a_failed_load_keeps_its_answers_again(sqlite_url, sqlite_engine, tmp_path):
    publish_many(sqlite_engine, 3)
    sqlite_engine.dispose()
    api_engine = make_engine(sqlite_url, read_only=True)
    cache = DatasetCache(api_engine, check_interval=0)
    old = cache.current()
    bump(sqlite_engine)
    sqlite_engine.dispose()

    def vanish(_conn, _cursor, statement, *_args) -> None:
        if "FROM repositories" in statement:  # the load of the next generation fails half-way
            raise OperationalError(statement, {}, Exception("disk I/O error"))

    event.listen(api_engine, "before_cursor_execute", vanish)
    try:
        served = cache.current()
    finally:
        event.remove(api_engine, "before_cursor_execute", vanish)
        api_engine.dispose()

    assert served is not old and served.dataset is old.dataset
    served.responses.get_or_render("page", lambda: Rendered.of({"generation": 1}))
    assert served.responses.get("page") is not None


def bump(engine) -> None:
    with Session(engine) as session, session.begin():
        bump_generation(session)
