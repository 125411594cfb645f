"""Small helpers the tests share: running the real `syncer` command as a subprocess."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "ghp_test_token_never_logged"  # the sync tests' GitHub token; never to appear in a log


def url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def syncer_env(db_url: URL | None = None, **extra: str) -> dict[str, str]:
    """A clean environment for a `syncer` subprocess: no settings leak in from the test runner."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SYNC_", "DATABASE_", "CORS_", "API_", "WEBHOOK_"))}
    env["PYTHONPATH"] = str(ROOT)
    if db_url is not None:
        env["DATABASE_URL"] = url_string(db_url)
    env.update(extra)
    return env


def run_syncer(*args: str, env: dict[str, str], timeout: float = 120, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "syncer", *args],
        env=env,
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_once(env: dict[str, str]) -> subprocess.Popen:
    """`syncer once` as a subprocess that the test may signal."""
    return subprocess.Popen([sys.executable, "-m", "syncer", "once"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_requests(fake, count: int, timeout: float = 20) -> None:
    """Until the fake GitHub has answered `count` requests."""
    deadline = time.monotonic() + timeout
    while len(fake.requests) < count:
        assert time.monotonic() < deadline, "the sync did not get going"
        time.sleep(0.02)


def dump_dataset(engine) -> dict:
    """Every published row, sorted, as plain values: two dumps are equal iff the datasets are."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from shared.models import (
        Contributor, DatasetState, Language, Owner, Pin, Readme, Release, Repository, RepositoryContributor,
        RepositoryExtra, RepositoryLanguage,
    )

    def rows(session, model):
        columns = list(model.__table__.columns)
        result = session.execute(select(*columns)).all()
        return sorted((tuple(r) for r in result), key=repr)

    with Session(engine) as session:
        return {
            "generation": session.get(DatasetState, 1).generation,
            **{
                model.__tablename__: rows(session, model)
                for model in (Repository, Language, Contributor, RepositoryLanguage, RepositoryContributor,
                              RepositoryExtra, Owner, Pin, Readme, Release)
            },
        }


def expected_repositories(truth: list[dict], include_private: bool = False) -> dict[int, dict]:
    """What the database should hold for the fake's ground truth, by repository id."""
    expected = {}
    for repo in truth:
        if not include_private and (repo["private"] or repo["visibility"] != "public"):
            continue
        expected[repo["id"]] = {
            "full_name": repo["full_name"],
            "description": repo["description"],
            "homepage": repo["homepage"] or None,
            "language": repo["language"],
            "topics": repo["topics"],
            "stargazers_count": repo["stargazers_count"],
            "forks_count": repo["forks_count"],
            "watchers_count": repo["watchers_count"],
            "fork": repo["fork"],
            "archived": repo["archived"],
            "license_spdx_id": (repo["license"] or {}).get("spdx_id"),
            "pushed_at": repo["pushed_at"],
            "languages": repo["languages"],
            "contributors": {c["id"]: c["contributions"] for c in repo["contributors"]},
            "contributors_status": {"ok": "ok", "empty": "empty", "too_large": "unavailable"}[repo["contributors_mode"]],
        }
    return expected


def stored_repositories(engine) -> dict[int, dict]:
    """The same shape as `expected_repositories`, read from the database."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session, selectinload

    from shared.models import Repository, RepositoryContributor, RepositoryLanguage

    with Session(engine) as session:
        repos = session.scalars(
            select(Repository).options(
                selectinload(Repository.languages).selectinload(RepositoryLanguage.language),
                selectinload(Repository.contributions).selectinload(RepositoryContributor.contributor),
            )
        ).all()
        return {
            r.id: {
                "full_name": r.full_name,
                "description": r.description,
                "homepage": r.homepage,
                "language": r.language,
                "topics": r.topics,
                "stargazers_count": r.stargazers_count,
                "forks_count": r.forks_count,
                "watchers_count": r.watchers_count,
                "fork": r.fork,
                "archived": r.archived,
                "license_spdx_id": r.license_spdx_id,
                "pushed_at": r.pushed_at.strftime("%Y-%m-%dT%H:%M:%SZ") if r.pushed_at else None,
                "languages": {rl.language.name: rl.bytes for rl in r.languages},
                "contributors": {rc.contributor_id: rc.contributions for rc in r.contributions},
                "contributors_status": r.contributors_status,
            }
            for r in repos
        }


def rest_minimum(truth: list[dict], owners: Iterable[str], per_page: int = 100) -> int:
    """The fewest points a first sync of `owners` can spend with a token, from the fake's ground truth.

    One lookup per owner, every page of each owner's list (an organisation lists its private and
    internal repositories to a token, a user's list only its public ones), then for each public
    repository one languages call, every contributors page (one for a 204 or a 403) and its README.
    """
    wanted = {owner.lower() for owner in owners}
    mine = [repo for repo in truth if repo["owner"]["login"].lower() in wanted]
    public = [repo for repo in mine if repo["visibility"] == "public"]
    lists = 0
    for owner in wanted:
        listed = [r for r in mine if r["owner"]["login"].lower() == owner
                  and (r["owner"]["type"] == "Organization" or r["visibility"] == "public")]
        lists += max(1, math.ceil(len(listed) / per_page))
    contributor_pages = sum(max(1, math.ceil(len(repo["contributors"]) / per_page)) for repo in public)
    return len(wanted) + lists + 2 * len(public) + contributor_pages


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
