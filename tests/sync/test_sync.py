"""`syncer once` semantics on every backend: complete, atomic, conditional, identity-preserving."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shared.models import Contributor, Language, Repository, RepositoryExtra, SyncRun
from syncer.extras import Extra, import_extras
from syncer.parse import parse_repository
from syncer.lock import sync_lock
from tests.helpers import dump_dataset, expected_repositories, run_syncer, stored_repositories, syncer_env


def test_first_sync_stores_exactly_what_github_holds(fake, sync, engine):
    fake.populate(owners=["alice"], n=16)
    report = sync()
    assert report.ok, report.error
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())
    assert report.changes.added == len(expected_repositories(fake.snapshot()))
    assert report.changes.generation == 1


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_one_worker_gives_the_same_dataset_as_four(fake, sync, engine):
    fake.populate(owners=["alice"], n=16)
    report = sync(workers=1)
    assert report.ok
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())


def test_repeat_sync_without_change_is_conditional_free_and_keeps_the_generation(fake, sync, engine):
    fake.populate(owners=["alice"], n=16)
    assert sync().ok
    before = dump_dataset(engine)
    fake.reset_log()
    report = sync()
    assert report.ok
    assert all(r.if_none_match and r.status == 304 for r in fake.requests)
    assert not [r for r in fake.requests if r.path.endswith(("/languages", "/contributors"))]
    assert fake.points_spent == 0 and report.points_spent == 0
    assert report.changes.unchanged == len(before["repositories"]) and report.changes.updated == 0
    assert dump_dataset(engine) == before


def test_a_push_refetches_only_that_repository(fake, sync, engine):
    ids = fake.populate(owners=["alice"], n=8)
    assert sync().ok
    fake.update_repo(ids[0], languages={"Rust": 99}, contributors=[{"login": "new", "id": 777, "contributions": 3}])
    fake.push(ids[0])
    fake.reset_log()
    report = sync()
    per_repo = {r.path for r in fake.requests if r.path.endswith(("/languages", "/contributors"))}
    assert per_repo == {f"/repos/{fake.snapshot()[0]['full_name']}/languages",
                        f"/repos/{fake.snapshot()[0]['full_name']}/contributors"}
    assert report.changes.updated == 1 and report.changes.generation == 2
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())


def test_rename_keeps_identity_and_curated_extras(fake, sync, engine):
    rid = fake.add_repo("alice", "old-name", description="d", languages={"Go": 5})
    assert sync().ok
    import_extras(engine, [Extra("alice/old-name", demo_url="https://demo.example", featured=True)])
    fake.rename_repo(rid, "new-name")
    fake.push(rid)
    assert sync().ok
    with Session(engine) as session:
        repo = session.get(Repository, rid)
        extra = session.scalars(select(RepositoryExtra)).one()
    assert repo.full_name == "alice/new-name"
    assert extra.repository_id == rid and extra.demo_url == "https://demo.example" and extra.featured


def test_names_can_swap_in_one_run(fake, sync, engine):
    a = fake.add_repo("alice", "one")
    b = fake.add_repo("alice", "two")
    assert sync().ok
    fake.rename_repo(a, "tmp")
    fake.rename_repo(b, "one")
    fake.rename_repo(a, "two")
    assert sync().ok
    assert {r: v["full_name"] for r, v in stored_repositories(engine).items()} == {a: "alice/two", b: "alice/one"}


def test_deleted_repository_leaves_with_its_rows_and_orphans(fake, sync, engine):
    keep = fake.add_repo("alice", "keep", languages={"Python": 10}, contributors=[{"login": "k", "id": 1, "contributions": 1}])
    gone = fake.add_repo("alice", "gone", languages={"COBOL": 10}, contributors=[{"login": "g", "id": 2, "contributions": 1}])
    assert sync().ok
    fake.delete_repo(gone)
    report = sync()
    assert report.changes.removed == 1
    with Session(engine) as session:
        assert set(session.scalars(select(Repository.id))) == {keep}
        assert set(session.scalars(select(Language.name))) == {"Python"}
        assert set(session.scalars(select(Contributor.login))) == {"k"}


def test_private_and_internal_repositories_stay_out_unless_enabled(fake, sync, engine):
    fake.add_owner("acme-org", "Organization")
    public = fake.add_repo("acme-org", "public")
    fake.add_repo("acme-org", "secret", private=True)
    fake.add_repo("acme-org", "inside", visibility="internal")
    assert sync(owners=("acme-org",)).ok
    assert set(stored_repositories(engine)) == {public}
    assert sync(owners=("acme-org",), include_private=True).ok
    assert len(stored_repositories(engine)) == 3


def test_forks_and_archived_are_stored_with_their_flags(fake, sync, engine):
    fork = fake.add_repo("alice", "f", fork=True)
    old = fake.add_repo("alice", "a", archived=True)
    assert sync().ok
    stored = stored_repositories(engine)
    assert stored[fork]["fork"] and not stored[fork]["archived"]
    assert stored[old]["archived"] and not stored[old]["fork"]


def test_empty_and_too_large_contributor_lists_are_remembered(fake, sync, engine):
    empty = fake.add_repo("alice", "empty", contributors_mode="empty")
    large = fake.add_repo("alice", "large", contributors_mode="too_large", languages={"C": 1})
    assert sync().ok
    stored = stored_repositories(engine)
    assert stored[empty]["contributors_status"] == "empty"
    assert stored[large]["contributors_status"] == "unavailable" and stored[large]["languages"] == {"C": 1}
    fake.reset_log()
    assert sync().ok
    assert not [r for r in fake.requests if r.path.endswith("/contributors")]


def test_a_repository_answering_404_is_skipped_not_the_run(fake, sync, engine):
    ok = fake.add_repo("alice", "fine")
    broken = fake.add_repo("alice", "broken")
    fake.fail(r"/broken/languages$", "404", times=None)
    report = sync()
    assert report.ok and len(report.skipped) == 1 and "alice/broken" in report.skipped[0]
    assert set(stored_repositories(engine)) == {ok}
    with Session(engine) as session:
        assert session.get(SyncRun, report.run_id).skipped == 1
        assert session.get(Repository, broken) is None


STEPS = {
    "owner lookup": r"^/users/alice$",
    "repository list": r"^/users/alice/repos$",
    "languages": r"/languages$",
    "contributors": r"/contributors$",
}


@pytest.mark.parametrize("kind", ["500", "timeout", "primary"])
@pytest.mark.parametrize("step", list(STEPS))
def test_a_fault_at_any_step_leaves_the_published_dataset_intact(fake, sync, engine, step, kind):
    ids = fake.populate(owners=["alice"], n=6)
    assert sync().ok
    before = dump_dataset(engine)
    fake.push(ids[0])
    fake.push(ids[1])
    fake.delete_repo(ids[2])
    fake.fail(STEPS[step], kind, times=None, seconds=2, reset_in=3600)
    report = sync(max_attempts=2, timeout=0.5)
    assert report.status == "failed" and report.error
    assert dump_dataset(engine) == before
    with Session(engine) as session:
        run = session.get(SyncRun, report.run_id)
        assert run.status == "failed" and run.error == report.error and run.finished_at is not None
    fake.clear_faults()
    fake.set_rate_limit(5000)  # the primary limit has reset by the next run
    assert sync().ok
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())


def _install_failing_trigger(engine, backend: str) -> None:
    statements = {
        "sqlite": ["CREATE TRIGGER boom BEFORE INSERT ON repository_languages "
                   "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
        "postgresql": [
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ "
            "LANGUAGE plpgsql",
            "CREATE TRIGGER boom BEFORE INSERT ON repository_languages FOR EACH ROW EXECUTE FUNCTION boom()",
        ],
        "mariadb": ["CREATE TRIGGER boom BEFORE INSERT ON repository_languages FOR EACH ROW "
                    "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'"],
    }[backend]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _drop_failing_trigger(engine, backend: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER boom" + (" ON repository_languages" if backend == "postgresql" else "")))
        if backend == "postgresql":
            conn.execute(text("DROP FUNCTION boom()"))


def test_a_database_error_while_publishing_rolls_everything_back(fake, sync, engine, backend):
    ids = fake.populate(owners=["alice"], n=6)
    assert sync().ok
    before = dump_dataset(engine)
    fake.update_repo(ids[0], languages={"Zig": 1})
    fake.push(ids[0])
    fake.delete_repo(ids[1])
    _install_failing_trigger(engine, backend)
    try:
        report = sync()
    finally:
        _drop_failing_trigger(engine, backend)
    assert report.status == "failed" and "injected failure" in report.error
    assert dump_dataset(engine) == before
    assert sync().ok
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())


def test_two_owners_and_a_partial_run_removes_only_that_owners_repositories(fake, sync, engine):
    fake.add_owner("acme-org", "Organization")
    mine = fake.add_repo("alice", "mine")
    theirs = fake.add_repo("acme-org", "theirs")
    assert sync(owners=("alice", "acme-org")).ok
    assert set(stored_repositories(engine)) == {mine, theirs}
    fake.delete_repo(mine)
    fake.delete_repo(theirs)
    report = sync(owners=("alice",), scope_owners=("alice",))
    assert report.changes.removed == 1
    assert set(stored_repositories(engine)) == {theirs}


def test_an_unknown_owner_fails_the_run_and_keeps_the_data(fake, sync, engine):
    fake.add_repo("alice", "x")
    assert sync().ok
    before = dump_dataset(engine)
    report = sync(owners=("alice", "nobody-here"))
    assert report.status == "failed" and "nobody-here" in report.error
    assert dump_dataset(engine) == before


def test_unexpected_shapes_store_what_is_valid():
    row = parse_repository({
        "id": 5, "name": "n", "owner": {"login": "o"}, "description": "x" * 100_000, "stargazers_count": None,
        "topics": ["ok", 3, None], "license": "MIT", "pushed_at": "not a date", "extra": {"field": 1},
    })
    assert len(row["description"]) == 4000 and row["stargazers_count"] == 0
    assert row["topics"] == ["ok"] and row["license_spdx_id"] is None and row["pushed_at"] is None
    assert row["html_url"] == "https://github.com/o/n"
    for broken in ({"name": "n", "owner": {"login": "o"}}, {"id": 1, "owner": {"login": "o"}}, {"id": 1, "name": "n"}):
        with pytest.raises(ValueError):
            parse_repository(broken)


def test_once_exits_3_and_names_the_holder_when_another_sync_runs(fake, engine, db_url):
    fake.add_repo("alice", "x")
    env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice")
    with sync_lock(engine) as lease:
        result = run_syncer("once", env=env)
    assert result.returncode == 3
    assert f"pid {lease.pid}" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_once_against_a_github_that_always_fails_ends_failed_within_two_minutes(fake, db_url):
    fake.fail(r".*", "500", times=None)
    env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN="ghp_secret_value_123")
    started = time.monotonic()
    result = run_syncer("--log-level", "DEBUG", "once", env=env, timeout=150)
    assert time.monotonic() - started < 120
    assert result.returncode == 1
    assert "sync failed" in result.stdout and "giving up" in result.stdout
    assert "ghp_secret_value_123" not in result.stdout + result.stderr


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_once_prints_a_summary_and_never_the_token(fake, db_url):
    fake.populate(owners=["alice"], n=5)
    env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN="ghp_secret_value_123")
    first = run_syncer("--log-level", "DEBUG", "once", env=env)
    assert first.returncode == 0, first.stderr
    second = run_syncer("--log-level", "DEBUG", "once", env=env)
    assert second.returncode == 0
    for line in ("added", " requests (", "not modified", "points spent", "remaining", "dataset generation"):
        assert line in first.stdout
    assert "0 points spent" in second.stdout
    assert fake.auth_tokens == {"ghp_secret_value_123"}
    for output in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert "ghp_secret_value_123" not in output
    status = run_syncer("status", env=syncer_env(db_url))
    assert status.returncode == 0 and status.stdout.count("success") == 2


def test_a_sync_whose_lease_was_taken_over_publishes_nothing(fake, settings, engine):
    from datetime import datetime, timedelta, timezone

    from shared.models import SyncLock
    from syncer.service import sync_now

    fake.populate(owners=["alice"], n=4)
    before = dump_dataset(engine)

    def steal_the_lock(done: int, total: int) -> None:  # runs mid-fetch, as a stalled holder would see it
        with Session(engine) as session, session.begin():
            lock = session.get(SyncLock, "sync")
            lock.holder, lock.pid = "elsewhere:1:abcd", 1
            lock.expires_at = datetime.now(timezone.utc) + timedelta(minutes=2)

    report = sync_now(engine, settings, trigger="once", progress=steal_the_lock)
    assert report.status == "failed" and "taken over" in report.error
    assert dump_dataset(engine) == before


def test_stored_responses_of_deleted_and_renamed_repositories_are_forgotten(fake, sync, engine):
    from shared.models import HttpCacheEntry

    gone = fake.add_repo("alice", "gone_one", languages={"C": 1})
    moved = fake.add_repo("alice", "old_name", languages={"C": 1})
    fake.add_repo("alice", "kept", languages={"C": 1})
    assert sync().ok
    fake.delete_repo(gone)
    fake.rename_repo(moved, "new_name")
    fake.push(moved)
    assert sync().ok
    with Session(engine) as session:
        urls = list(session.scalars(select(HttpCacheEntry.url)))
    assert not [u for u in urls if "/gone_one/" in u or "/old_name/" in u]
    assert [u for u in urls if "/new_name/" in u]
    assert [u for u in urls if "/repos/alice/kept/" in u]


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_many_workers_share_the_pool_without_discarding_connections(fake, sync, caplog):
    fake.populate(owners=["alice"], n=40)
    caplog.set_level(logging.WARNING, logger="urllib3")
    assert sync(workers=6).ok
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
