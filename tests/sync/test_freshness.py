"""Freshness: a light refresh is free when nothing changed, the nightly run rechecks everything,
and a targeted sync publishes one repository's truth without touching the others."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import Contributor, DatasetState, Repository, SyncRun
from syncer.fetch import Plan, Target
from syncer.service import sync_now
from tests.helpers import dump_dataset, expected_repositories, stored_repositories


@pytest.fixture
def run(engine, settings):
    """Run one sync of `plan` (built from the settings) with the given trigger."""

    def go(make_plan, trigger="once", **overrides):
        chosen = replace(settings, **overrides)
        return sync_now(engine, chosen, trigger=trigger, plan=make_plan(chosen))

    return go


def generation(engine) -> int:
    with Session(engine) as session:
        return session.get(DatasetState, 1).generation


def names(engine) -> set[str]:
    with Session(engine) as session:
        return set(session.scalars(select(Repository.full_name)))


def test_a_refresh_with_nothing_changed_is_one_free_conditional_request_per_list_page(fake, sync, run, engine):
    fake.populate(owners=["alice"], n=150)  # two list pages
    assert sync().ok
    before, kept = dump_dataset(engine), generation(engine)
    fake.reset_log()
    report = run(Plan.refresh, trigger="refresh")
    assert report.ok
    assert [(r.path, r.status) for r in fake.requests] == [("/users/alice/repos", 304)] * 2
    assert all(r.if_none_match for r in fake.requests)
    assert fake.points_spent == 0 and report.points_spent == 0
    assert dump_dataset(engine) == before and generation(engine) == kept


def test_a_refresh_publishes_a_push_fetching_only_that_repository(fake, sync, run, engine):
    ids = fake.populate(owners=["alice"], n=6)
    assert sync().ok
    kept = generation(engine)
    fake.update_repo(ids[0], languages={"Zig": 1234})
    fake.push(ids[0])
    fake.reset_log()
    report = run(Plan.refresh, trigger="refresh")
    assert report.ok and report.changes.updated == 1
    detail_paths = {r.path.rsplit("/", 1)[0] for r in fake.requests if r.path.endswith(("/languages", "/contributors"))}
    assert detail_paths == {f"/repos/{fake.snapshot()[0]['full_name']}"}
    assert generation(engine) == kept + 1
    assert stored_repositories(engine) == expected_repositories(fake.snapshot())


def test_a_refresh_does_not_mark_the_dataset_synced(fake, sync, run, engine):
    fake.populate(owners=["alice"], n=3)
    assert sync().ok
    with Session(engine) as session:
        synced_at = session.get(DatasetState, 1).synced_at
    assert run(Plan.refresh, trigger="refresh").ok
    with Session(engine) as session:
        assert session.get(DatasetState, 1).synced_at == synced_at


def test_the_nightly_recheck_corrects_a_renamed_contributor_without_a_push(fake, sync, run, engine):
    rid = fake.add_repo("alice", "tool", contributors=[{"login": "old-login", "id": 4242, "contributions": 7}])
    assert sync().ok
    kept = generation(engine)
    fake.update_repo(rid, contributors=[{"login": "new-login", "id": 4242, "contributions": 7}])
    assert sync().ok  # pushed_at unchanged: a plain run does not ask again
    with Session(engine) as session:
        assert session.get(Contributor, 4242).login == "old-login"
    fake.reset_log()
    report = run(lambda s: Plan.full_sync(s, recheck=True), trigger="schedule")
    assert report.ok
    with Session(engine) as session:
        assert session.get(Contributor, 4242).login == "new-login"
    assert generation(engine) == kept + 1
    languages = [r for r in fake.requests if r.path.endswith("/languages")]
    assert languages and all(r.if_none_match and r.status == 304 for r in languages)  # free


def test_the_nightly_recheck_with_nothing_changed_costs_nothing(fake, sync, run, engine):
    fake.populate(owners=["alice"], n=8)
    assert sync().ok
    assert run(lambda s: Plan.full_sync(s, recheck=True), trigger="schedule").ok
    kept = generation(engine)
    fake.reset_log()
    report = run(lambda s: Plan.full_sync(s, recheck=True), trigger="schedule")
    assert report.ok and generation(engine) == kept
    rest = [r for r in fake.requests if r.method == "GET"]
    assert [(r.path, r.status) for r in rest if r.status != 304] == []  # 204s, 403s, 404s are not asked again
    assert report.points_spent == 0 and fake.points_spent == 0
    assert [r.path for r in fake.requests if r.method == "POST"] == ["/graphql"]  # the pins, nothing else
    assert report.graphql_requests == 1 and report.graphql_cost == 1


def test_a_targeted_sync_publishes_that_repository_and_leaves_the_others(fake, sync, run, engine):
    ids = fake.populate(owners=["alice"], n=5)
    assert sync().ok
    before_rows = stored_repositories(engine)
    fake.update_repo(ids[1], description="fresh", languages={"OCaml": 77})
    fake.push(ids[1])
    fake.update_repo(ids[2], description="not asked about")
    fake.reset_log()
    report = run(lambda s: Plan.targeted((Target("alice", ids[1]),)), trigger="webhook")
    assert report.ok and report.changes.updated == 1
    full_name = fake.snapshot()[1]["full_name"]
    assert {r.path for r in fake.requests if r.method == "GET"} == {
        f"/repositories/{ids[1]}", f"/repos/{full_name}/languages", f"/repos/{full_name}/contributors",
        f"/repos/{full_name}/readme"}
    after = stored_repositories(engine)
    assert after[ids[1]]["description"] == "fresh" and after[ids[1]]["languages"] == {"OCaml": 77}
    assert after[ids[2]] == before_rows[ids[2]] and after[ids[0]] == before_rows[ids[0]]


def test_a_targeted_sync_follows_a_rename(fake, sync, run, engine):
    rid = fake.add_repo("alice", "before")
    fake.add_repo("alice", "other")
    assert sync().ok
    fake.rename_repo(rid, "after")
    assert run(lambda s: Plan.targeted((Target("alice", rid, "alice/after"),)), trigger="webhook").ok
    assert names(engine) == {"alice/after", "alice/other"}


@pytest.mark.parametrize("how", ["deleted", "privatized", "transferred"])
def test_a_targeted_repository_that_is_gone_leaves_at_once(fake, sync, run, engine, how):
    rid = fake.add_repo("alice", "leaving")
    fake.add_repo("alice", "staying")
    assert sync().ok
    if how == "deleted":
        fake.delete_repo(rid)
    elif how == "privatized":
        fake.update_repo(rid, private=True)
    else:
        fake.rename_repo(rid, "leaving", new_owner="someone-else")
    report = run(lambda s: Plan.targeted((Target("alice", rid, "alice/leaving"),)), trigger="webhook")
    assert report.ok and report.changes.removed == 1
    assert names(engine) == {"alice/staying"}


def test_a_targeted_repository_known_only_by_name_leaves_when_gone(fake, sync, run, engine):
    rid = fake.add_repo("alice", "leaving")
    assert sync().ok
    fake.delete_repo(rid)
    assert run(lambda s: Plan.targeted((Target("alice", None, "alice/leaving"),)), trigger="webhook").ok
    assert names(engine) == set()


def test_quiet_runs_in_a_row_fold_into_one_row(fake, sync, run, engine):
    fake.populate(owners=["alice"], n=3)
    assert sync().ok
    for _ in range(96):
        assert run(Plan.refresh, trigger="refresh").ok
    fake.push(fake.snapshot()[0]["id"])
    assert run(Plan.refresh, trigger="refresh").ok  # a run that changed something keeps its own row
    assert run(Plan.refresh, trigger="refresh").ok
    with Session(engine) as session:
        rows = session.scalars(select(SyncRun).order_by(SyncRun.id)).all()
        assert [(r.trigger, r.runs, r.updated > 0) for r in rows] == [
            ("once", 1, False), ("refresh", 96, False), ("refresh", 1, True), ("refresh", 1, False)]
        assert rows[1].requests == 96 and rows[1].finished_at > rows[1].started_at
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 4
