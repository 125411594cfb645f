"""A sync resumes where it stopped, for free: what a run paid for is kept, asked for again with
`If-None-Match` and answered 304; stored responses of what is gone are pruned by complete runs only."""

from __future__ import annotations

import re
import signal
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shared.config import Secret
from shared.models import DatasetState, HttpCacheEntry, Repository, SyncRun
from tests.helpers import (
    dump_dataset, expected_repositories, rest_minimum, run_syncer, start_once, stored_repositories, syncer_env,
    wait_for_requests,
)
from tests.helpers import TOKEN

ONLY_SQLITE = pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
WINDOW = 4.0  # seconds between refills of the fake's small rate limit
RESETS_AT = re.compile(r"resets at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def request_key(path: str, query: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A request as the fake logs it and a stored response's URL compare equal through this."""
    return path, tuple(sorted(query.items()))


def stored_keys(engine) -> set:
    with Session(engine) as session:
        urls = session.scalars(select(HttpCacheEntry.url)).all()
    return {request_key(urlsplit(url).path, dict(parse_qsl(urlsplit(url).query))) for url in urls}


def answered_200(fake) -> set:
    return {request_key(r.path, r.query) for r in fake.requests if r.status == 200}


def bodiless_contributor_answers(fake) -> int:
    """Paid 204s (no contributors) and 403s (too many to list): nothing to store, a resumed run asks again."""
    return sum(r.counted_against_limit and r.status in (204, 403) for r in fake.requests)


def published_generation(engine) -> int:
    with Session(engine) as session:
        return session.get(DatasetState, 1).generation


def run_statuses(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(SyncRun.status).order_by(SyncRun.id)))


# -- a run stopped by the rate limit ----------------------------------------------------------------


def test_a_first_sync_stopped_by_the_rate_limit_publishes_nothing_and_keeps_every_answer(fake, sync, engine):
    fake.populate(owners=["alice"], n=30)
    fake.set_rate_limit(25, limit=25, window_seconds=WINDOW)
    report = sync(max_rate_limit_wait=0)
    assert report.status == "failed" and "rate limit" in report.error
    assert report.resume_at is not None and report.resume_at > datetime.now(timezone.utc)
    assert published_generation(engine) == 0
    with Session(engine) as session:
        assert session.scalars(select(Repository.id)).all() == []
        assert session.scalar(select(func.count()).select_from(HttpCacheEntry)) == len(answered_200(fake))
    assert fake.points_spent == 25
    assert stored_keys(engine) == answered_200(fake)


def test_after_the_reset_a_run_pays_only_for_what_the_stopped_one_had_not_fetched(fake, sync, engine):
    fake.populate(owners=["alice"], n=30)
    minimum = rest_minimum(fake.snapshot(), ["alice"])
    fake.set_rate_limit(25, limit=25, window_seconds=WINDOW)
    assert sync(max_rate_limit_wait=0).resume_at is not None
    paid, asked_again = answered_200(fake), bodiless_contributor_answers(fake)
    fake.reset_log()
    fake.set_rate_limit(1000, limit=1000)
    report = sync()
    assert report.ok, report.error
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())
    repeated = [r for r in fake.requests if request_key(r.path, r.query) in paid]
    assert repeated and all(r.status == 304 and r.if_none_match and not r.counted_against_limit for r in repeated)
    assert fake.points_spent == minimum - 25 + asked_again
    assert report.points_spent == fake.points_spent


def test_a_run_that_waits_out_a_short_reset_completes_in_one_go_for_the_minimum(fake, sync, engine):
    fake.populate(owners=["alice"], n=30)
    minimum = rest_minimum(fake.snapshot(), ["alice"])
    fake.set_rate_limit(25, limit=25, window_seconds=1.0)
    report = sync(max_rate_limit_wait=5, timeout=10)  # no answer is slow enough to be asked twice
    assert report.ok, report.error
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())
    assert fake.points_spent == minimum == report.points_spent


@ONLY_SQLITE
def test_once_runs_stopped_by_the_limit_each_resumed_after_the_reset_converge_for_the_rest_minimum(fake, engine, db_url):
    fake.populate(owners=["alice"], n=60)
    truth = fake.snapshot()
    minimum = rest_minimum(truth, ["alice"])
    limit = minimum // 3 + 2  # three windows: two stopped runs, then one that completes
    # The first window opens with the first request; each later one with the first after a reset.
    fake.set_rate_limit(limit, 0, limit=limit, window_seconds=WINDOW)
    env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN=TOKEN,
                     GITHUB_MAX_RATE_LIMIT_WAIT="0")
    outputs = []
    for _ in range(6):
        result = run_syncer("once", env=env)
        outputs.append(result.stdout)
        if result.returncode == 0:
            break
        assert result.returncode == 1 and "sync failed" in result.stdout, result.stdout + result.stderr
        assert published_generation(engine) == 0  # a stopped run publishes nothing
        resets = datetime.strptime(RESETS_AT.search(result.stdout).group(1), "%Y-%m-%d %H:%M:%S")
        time.sleep(max(0.0, resets.replace(tzinfo=timezone.utc).timestamp() - time.time()) + 0.2)
    assert run_statuses(engine) == ["failed", "failed", "success"], "\n".join(outputs)
    assert stored_repositories(engine) == expected_repositories(truth)
    assert minimum <= fake.points_spent <= 1.05 * minimum
    with Session(engine) as session:
        assert sum(session.scalars(select(SyncRun.points_spent))) == fake.points_spent


# -- a run killed or stopped halfway --------------------------------------------------------------


@ONLY_SQLITE
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_what_a_run_stopped_halfway_had_fetched_is_not_paid_again(fake, engine, db_url, signum):
    fake.populate(owners=["alice"], n=60)
    minimum = rest_minimum(fake.snapshot(), ["alice"])
    workers = 4
    env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN=TOKEN,
                     SYNC_WORKERS=str(workers))
    fake.latency = 0.03
    process = start_once(env)
    wait_for_requests(fake, minimum // 2)
    process.send_signal(signum)
    process.communicate(timeout=20)
    time.sleep(0.2)  # requests in flight at the kill are answered (and paid) all the same
    fake.latency = 0.0
    first_points, paid, asked_again = fake.points_spent, answered_200(fake), bodiless_contributor_answers(fake)
    kept = stored_keys(engine)
    assert published_generation(engine) == 0
    assert kept <= paid and minimum // 3 < len(kept) < minimum
    lost = paid - kept  # answered while the process died, never received or stored
    assert len(lost) <= (workers + 1 if signum == signal.SIGKILL else 0)

    fake.reset_log()
    again = run_syncer("once", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())
    repeated = [r for r in fake.requests if request_key(r.path, r.query) in kept]
    assert {request_key(r.path, r.query) for r in repeated} == kept
    assert all(r.status == 304 and r.if_none_match and not r.counted_against_limit for r in repeated)
    assert fake.points_spent == minimum - first_points + len(lost) + asked_again
    assert fake.points_spent <= minimum - first_points + workers + 1 + asked_again


# -- pruning stored responses -------------------------------------------------------------------


OTHER_TOKEN = "ghp_the_new_token_of_the_same_user"


def entries(engine, *conditions) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(HttpCacheEntry.url).where(or_(*conditions))))


def fail_the_next_run(fake) -> None:
    fake.fail(r"^/users/alice/repos$", "500", times=None)


@pytest.fixture
def two_owners(fake, sync):
    """alice's and acme-org's repositories synced; the id of one of alice's."""
    fake.add_owner("acme-org", "Organization")
    doomed = fake.add_repo("alice", "doomed", languages={"C": 1}, contributors=[{"login": "d", "id": 9, "contributions": 1}])
    fake.add_repo("alice", "kept", languages={"Go": 1})
    fake.add_repo("acme-org", "tool", languages={"Rust": 1}, contributors=[{"login": "t", "id": 8, "contributions": 2}])
    assert sync(owners=("alice", "acme-org")).ok
    return doomed


def test_stored_responses_of_a_deleted_repository_go_with_a_complete_run_only(fake, sync, engine, two_owners):
    of_doomed = (HttpCacheEntry.repository_id == two_owners, HttpCacheEntry.url.contains("/alice/doomed/"))
    assert len(entries(engine, *of_doomed)) == 2  # languages and contributors
    fake.delete_repo(two_owners)
    fail_the_next_run(fake)
    assert not sync(owners=("alice", "acme-org"), max_attempts=1).ok
    assert len(entries(engine, *of_doomed)) == 2
    fake.clear_faults()
    assert sync(owners=("alice", "acme-org")).ok
    assert entries(engine, *of_doomed) == []
    assert entries(engine, HttpCacheEntry.url.contains("/alice/kept/"))


def test_stored_responses_of_an_owner_no_longer_mirrored_go_with_a_complete_run_only(fake, sync, engine, two_owners):
    of_acme = (HttpCacheEntry.owner_login == "acme-org", HttpCacheEntry.url.contains("acme-org"))
    assert len(entries(engine, *of_acme)) == 4  # the lookup, the list, languages and contributors
    fail_the_next_run(fake)
    assert not sync(max_attempts=1).ok
    assert len(entries(engine, *of_acme)) == 4
    fake.clear_faults()
    assert sync().ok
    assert entries(engine, *of_acme) == []
    assert entries(engine, HttpCacheEntry.url.contains("/alice/kept/"))


def test_stored_responses_of_an_old_token_go_with_a_complete_run_only(fake, sync, engine, settings, two_owners):
    old = HttpCacheEntry.fingerprint == settings.token.fingerprint()
    kept_before = len(entries(engine, old))
    assert kept_before >= 8
    fail_the_next_run(fake)
    assert not sync(owners=("alice", "acme-org"), token=Secret(OTHER_TOKEN), max_attempts=1).ok
    assert len(entries(engine, old)) == kept_before
    fake.clear_faults()
    assert sync(owners=("alice", "acme-org"), token=Secret(OTHER_TOKEN)).ok
    assert entries(engine, old) == []
    assert entries(engine, HttpCacheEntry.fingerprint == Secret(OTHER_TOKEN).fingerprint())


def test_stored_responses_of_a_repository_deleted_before_it_was_ever_published_go_with_the_complete_run(
        fake, sync, engine):
    early = fake.add_repo("alice", "early", languages={"C": 1})
    fake.populate(owners=["alice"], n=20)
    fake.set_rate_limit(8, limit=8, window_seconds=WINDOW)
    assert sync(max_rate_limit_wait=0).resume_at is not None
    of_early = (HttpCacheEntry.repository_id == early,)
    assert entries(engine, *of_early)  # paid for, never published
    fake.delete_repo(early)
    fake.set_rate_limit(1000, limit=1000)
    assert sync().ok
    assert entries(engine, *of_early) == []
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())


def test_a_failed_run_prunes_nothing_and_publishes_nothing(fake, sync, engine, two_owners):
    before_rows, before_entries = dump_dataset(engine), entries(engine, HttpCacheEntry.url.is_not(None))
    fake.delete_repo(two_owners)
    fake.fail(r"/contributors$", "500", times=None)
    fake.push(fake.snapshot()[-1]["id"])
    report = sync(owners=("alice", "acme-org"), token=Secret(OTHER_TOKEN), max_attempts=1)
    assert report.status == "failed" and "giving up" in report.error
    assert dump_dataset(engine) == before_rows
    assert set(before_entries) <= set(entries(engine, HttpCacheEntry.url.is_not(None)))
