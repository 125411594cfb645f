"""Freshness as real processes: signed deliveries to `syncer hooks` (gunicorn), `syncer run` acting on
them, the API (gunicorn) showing the result, and the light refresh catching what no delivery told.

The fake GitHub runs in this process (its deliveries are built from its ground truth); everything
else is a process of its own, as in production.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from shared import migrate
from shared.clock import utcnow
from shared.db import make_engine
from shared.models import RefreshRequest, SyncRun, WebhookDelivery
from tests.api.servers import gunicorn
from tests.e2e.processes import get_json
from tests.fakegithub import FakeGitHub
from tests.fakehooks import PATH, FakeHooks
from tests.helpers import dump_dataset, free_port, run_syncer
from tests.hooks.receiver import HealthWatch, ReceiverProcess, flood
from tests.worker.processes import WorkerProcess, window_ahead, worker_env

pytestmark = pytest.mark.slow

SECRET = "whsec_freshness_end_to_end_secret"
SQLITE = pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
SQLITE_AND_POSTGRESQL = pytest.mark.parametrize("databases", ["sqlite", "postgresql"], indirect=True)
ALL_THREE = pytest.mark.parametrize("databases", ["sqlite", "postgresql", "mariadb"], indirect=True)


@pytest.fixture
def databases(request, tmp_path_factory):
    """One backend per test (overrides the suite's session-wide factory)."""
    from tests.databases import ThrowawayDatabases

    factory = ThrowawayDatabases(getattr(request, "param", "sqlite"), tmp_path_factory)
    yield factory
    factory.drop_all()


@dataclass
class Product:
    """The fake GitHub, the receiver, the API and a way to start workers, on one database."""

    fake: FakeGitHub
    engine: Engine
    hooks: FakeHooks
    receiver: ReceiverProcess
    api: str
    worker_env: dict[str, str]
    start_worker: Callable[..., WorkerProcess]

    def card(self, full_name: str) -> tuple[int, dict]:
        return get_json(f"{self.api}/api/v1/repos/{full_name}")

    def languages(self, full_name: str) -> dict[str, int] | None:
        status, body = self.card(full_name)
        return {s["name"]: s["bytes"] for s in body["languages"]} if status == 200 else None

    def listed(self) -> set[str]:
        status, body = get_json(f"{self.api}/api/v1/repos?per_page=100")
        assert status == 200, body
        return {item["full_name"] for item in body["items"]}

    def full_name(self, repo_id: int) -> str:
        return next(r["full_name"] for r in self.fake.snapshot() if r["id"] == repo_id)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as github:
        github.populate(owners=["alice"], n=8)  # public: 1000-1003 and 1005-1007; 1004 is private
        yield github


@pytest.fixture
def product(empty_db_url, fake) -> Iterator[Product]:
    """A first full sync published, the receiver and the API up; the worker is started by the test
    (its nightly window hours ahead, no light refresh unless the test asks for one)."""
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    window, _, _ = window_ahead(6 * 3600, 600)
    env = worker_env(empty_db_url, fake, SYNC_WINDOW=window, SYNC_REFRESH_INTERVAL="0")
    first = run_syncer("once", env=env)
    assert first.returncode == 0, first.stderr
    receiver = ReceiverProcess({**env, "GITHUB_WEBHOOK_SECRET": SECRET, "WEBHOOK_PORT": str(free_port())})
    workers: list[WorkerProcess] = []

    def start_worker(**settings: str) -> WorkerProcess:
        workers.append(WorkerProcess({**env, **settings}))
        workers[-1].wait_for("scheduler started")
        return workers[-1]

    try:
        receiver.wait_ready()
        with gunicorn(empty_db_url) as api:
            yield Product(fake, engine, FakeHooks(fake, SECRET, receiver.url + PATH), receiver, api, env,
                          start_worker)
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
        if receiver.process.poll() is None:
            receiver.kill()
        engine.dispose()


def wait_until(check: Callable[[], object], timeout: float, what: str) -> float:
    """Poll `check` until it is truthy; the seconds it took. Fails saying `what` did not happen."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"{what} did not happen within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - started


def requests_of(engine: Engine) -> list[RefreshRequest]:
    with Session(engine) as session:
        return list(session.scalars(select(RefreshRequest).order_by(RefreshRequest.id)))


def statuses(engine: Engine) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in requests_of(engine):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def all_done(engine: Engine) -> bool:
    rows = requests_of(engine)
    return bool(rows) and all(row.status == "done" for row in rows)


def webhook_syncs(engine: Engine) -> int:
    """Targeted syncs run (quiet ones fold into one row that counts them)."""
    with Session(engine) as session:
        return session.scalar(select(func.coalesce(func.sum(SyncRun.runs), 0)).where(SyncRun.trigger == "webhook"))


def asked_for(fake: FakeGitHub, repo_id: int) -> int:
    """How many times the fake was asked for the repository object by id (one per targeted sync)."""
    return sum(r.path == f"/repositories/{repo_id}" for r in fake.requests)


@ALL_THREE
def test_a_signed_push_that_changes_languages_shows_in_the_api_within_seconds(product):
    worker = product.start_worker()
    name = product.full_name(1002)
    assert "Zig" not in product.languages(name)
    product.fake.update_repo(1002, languages={"Zig": 4321, "C": 17})
    product.fake.push(1002)

    assert product.hooks.send(product.hooks.push(1002)).status_code == 202
    wait_until(lambda: product.languages(name) == {"Zig": 4321, "C": 17}, 10, "the push showing in the API")

    assert statuses(product.engine) == {"done": 1}
    assert webhook_syncs(product.engine) == 1 and asked_for(product.fake, 1002) == 1
    assert "targeted sync starting" in worker.log


@SQLITE_AND_POSTGRESQL
def test_a_renamed_a_deleted_and_a_privatized_repository_are_renamed_and_gone_in_the_api(product):
    product.start_worker()
    before = product.listed()
    renamed, deleted, privatized = (product.full_name(i) for i in (1001, 1003, 1005))
    deletion = product.hooks.repository_event(1003, "deleted")  # described as it was, before it goes
    product.fake.rename_repo(1001, "brand-new-name")
    product.fake.delete_repo(1003)
    product.fake.update_repo(1005, private=True)

    for delivery in (product.hooks.renamed(1001, renamed.split("/")[1]), deletion,
                     product.hooks.repository_event(1005, "privatized")):
        assert product.hooks.send(delivery).status_code == 202
    expected = before - {renamed, deleted, privatized} | {"alice/brand-new-name"}
    wait_until(lambda: product.listed() == expected, 10, "the rename, deletion and privatization showing")

    assert product.card("alice/brand-new-name")[1]["id"] == 1001
    assert [product.card(name)[0] for name in (renamed, deleted, privatized)] == [404, 404, 404]
    wait_until(lambda: all_done(product.engine), 5, "the requests being marked done")


@SQLITE
def test_ten_pushes_to_one_repository_within_three_seconds_are_one_targeted_sync(product):
    product.start_worker()
    name = product.full_name(1006)
    for push in range(10):
        product.fake.update_repo(1006, languages={"Rust": 100 + push})
        product.fake.push(1006)
        assert product.hooks.send(product.hooks.push(1006)).status_code == 202
        time.sleep(0.28)

    wait_until(lambda: all_done(product.engine), 15, "the burst being done")
    assert product.languages(name) == {"Rust": 109}
    assert webhook_syncs(product.engine) == 1
    assert asked_for(product.fake, 1006) == 1
    assert statuses(product.engine) == {"done": 10}


@SQLITE_AND_POSTGRESQL
def test_requests_recorded_while_the_worker_is_down_are_done_when_it_starts(product):
    name = product.full_name(1007)
    product.fake.update_repo(1007, languages={"OCaml": 99})
    product.fake.push(1007)
    deletion = product.hooks.repository_event(1000, "deleted")
    product.fake.delete_repo(1000)
    for delivery in (product.hooks.push(1007), deletion):
        assert product.hooks.send(delivery).status_code == 202
    time.sleep(2)  # nobody acts on them
    assert statuses(product.engine) == {"pending": 2}

    product.start_worker()
    wait_until(lambda: all_done(product.engine), 10, "the requests recorded while down being done")
    assert product.languages(name) == {"OCaml": 99}
    assert product.card(f"alice/{product.hooks.repository(1001)['name']}")[0] == 200
    assert deletion.payload["repository"]["full_name"] not in product.listed()


@SQLITE
def test_a_request_that_keeps_failing_is_retried_with_backoff_then_given_up_and_reported(product):
    worker = product.start_worker()
    product.fake.fail(r"^/repositories/1002$", "500", times=None)
    before = dump_dataset(product.engine)
    assert product.hooks.send(product.hooks.push(1002)).status_code == 202

    wait_until(lambda: requests_of(product.engine)[0].attempts == 1, 15, "a first failed attempt")
    first = requests_of(product.engine)[0]
    assert first.status == "pending" and "500" in first.last_error
    assert timedelta(seconds=29) <= first.next_attempt_at - first.received_at <= timedelta(seconds=40)
    time.sleep(2)
    assert requests_of(product.engine)[0].attempts == 1, "tried again before its backoff"

    with Session(product.engine) as session, session.begin():  # as if four backoffs had passed
        session.execute(update(RefreshRequest).values(attempts=4, next_attempt_at=utcnow()))
    wait_until(lambda: requests_of(product.engine)[0].status == "failed", 10, "the request being given up")
    given_up = requests_of(product.engine)[0]
    assert given_up.attempts == 5 and given_up.finished_at is not None and "500" in given_up.last_error
    worker.wait_for("gave up refreshing alice/")
    asked = asked_for(product.fake, 1002)
    time.sleep(2.5)
    assert asked_for(product.fake, 1002) == asked, "a given-up request was tried again"
    assert dump_dataset(product.engine) == before
    with Session(product.engine) as session:
        failed = session.scalars(select(SyncRun.status).where(SyncRun.trigger == "webhook")).all()
    assert failed and set(failed) == {"failed"}


@SQLITE
def test_a_request_taken_with_one_that_keeps_failing_is_still_done(product):
    product.start_worker()
    product.fake.fail(r"^/repositories/1002$", "500", times=None)
    name = product.full_name(1003)
    product.fake.update_repo(1003, languages={"Nim": 321})
    product.fake.push(1003)
    for repo_id in (1002, 1003):  # one burst: taken as one targeted sync
        assert product.hooks.send(product.hooks.push(repo_id)).status_code == 202

    wait_until(lambda: product.languages(name) == {"Nim": 321}, 15, "the healthy repository's push showing")
    wait_until(lambda: {r.repository_id: r.status for r in requests_of(product.engine)}.get(1003) == "done", 5,
               "the healthy request being done")
    broken = next(r for r in requests_of(product.engine) if r.repository_id == 1002)
    assert broken.status == "pending" and broken.attempts == 1 and "500" in broken.last_error


@SQLITE
def test_the_receiver_stays_responsive_under_1000_deliveries_while_syncs_run(product):
    product.fake.latency = 0.05  # each sync takes a while: the flood meets them running
    worker = product.start_worker()
    worker.wait_for("scheduler started", timeout=60)  # polling requests before the flood begins
    repos = (1000, 1001, 1002, 1003, 1005)
    deliveries = [product.hooks.push(repos[i % len(repos)]) for i in range(1000)]
    # Spread over 10 s: a burst that keeps coming is taken once its oldest request is 5 s old
    # (MAX_HOLD), so syncs start while the flood goes on, however fast the machine sends.
    with HealthWatch(product.receiver.url) as health:
        answers = flood(product.hooks, deliveries, spread=10.0)
        synced_during_flood = worker.count("targeted sync starting")

    accepted = {d for d, status in answers.items() if status is not None and 200 <= status < 300}
    assert len(accepted) == 1000
    with Session(product.engine) as session:
        assert set(session.scalars(select(WebhookDelivery.delivery_id))) == accepted
        assert set(session.scalars(select(RefreshRequest.delivery_id))) == accepted
    health.assert_responsive()
    assert synced_during_flood >= 1, "no sync ran during the flood"
    wait_until(lambda: all_done(product.engine), 30, "every request of the flood being done")
    assert webhook_syncs(product.engine) <= 60  # 1000 deliveries, coalesced


@SQLITE
def test_sigkill_of_the_worker_mid_targeted_sync_changes_nothing_published_and_it_is_done_after_restart(product):
    worker = product.start_worker()
    name = product.full_name(1001)  # 250 contributors: three pages to fetch
    before = dump_dataset(product.engine)
    product.fake.update_repo(1001, languages={"Elixir": 2024})
    product.fake.push(1001)
    product.fake.latency = 0.6
    assert product.hooks.send(product.hooks.push(1001)).status_code == 202
    worker.wait_for("targeted sync starting", timeout=10)
    wait_until(lambda: asked_for(product.fake, 1001) == 1, 5, "the targeted sync asking GitHub")

    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(10)
    assert dump_dataset(product.engine) == before
    assert statuses(product.engine) == {"pending": 1}

    product.fake.latency = 0.0
    product.start_worker()
    wait_until(lambda: all_done(product.engine), 15, "the request being done after the restart")
    assert product.languages(name) == {"Elixir": 2024}
    with Session(product.engine) as session:
        runs = session.execute(select(SyncRun.status, SyncRun.error).where(SyncRun.trigger == "webhook")
                               .order_by(SyncRun.id)).all()
    assert [status for status, _ in runs] == ["abandoned", "success"]
    assert runs[0].error == "its process died before it finished"


@SQLITE
def test_a_change_without_any_delivery_shows_through_the_light_refresh(product):
    worker = product.start_worker(SYNC_REFRESH_INTERVAL="2s")
    name = product.full_name(1003)
    product.fake.update_repo(1003, languages={"Haskell": 777}, description="changed on GitHub, no webhook")
    product.fake.push(1003)

    wait_until(lambda: product.languages(name) == {"Haskell": 777}, 10, "the change showing through the refresh")
    assert product.card(name)[1]["description"] == "changed on GitHub, no webhook"
    assert requests_of(product.engine) == [] and "refresh starting" in worker.log
