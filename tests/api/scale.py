"""A published dataset of thousands of repositories written straight into the database, and the
rules of /api/v1/repos restated over plain values to check the API's answers against."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from shared.models import Contributor, Language, Repository, RepositoryContributor, RepositoryExtra, RepositoryLanguage
from tests.api.data import EPOCH, bump_generation

OWNERS = ("alice", "Acme-Org", "bob")
LANGUAGES = ("Python", "Go", "Rust", "TypeScript", "Shell", "C", "HTML", "Jupyter Notebook")
TOPICS = ("cli", "web", "api", "Database", "games", "self-hosted")
WORDS = ("otter", "compiler", "garden", "parser", "rocket", "Café", "日本語", "toolkit")
PEOPLE = 60


@dataclass(frozen=True)
class Expected:
    """One visible repository as the API's rules see it."""

    full_name: str
    owner: str
    name: str
    description: str | None
    language: str | None
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    stars: int
    fork: bool
    archived: bool
    featured: bool
    sort_order: int | None
    created_at: datetime
    updated_at: datetime
    pushed_at: datetime | None


def publish_many(engine: Engine, n: int, seed: int = 14) -> list[Expected]:
    """Publish `n` varied repositories (ties of stars, missing pushes, curated extras, hidden ones)
    with bulk inserts in one transaction; the visible ones, as `Expected`."""
    rng = random.Random(seed)
    repositories, languages, contributions, extras, expected = [], [], [], [], []
    for rid in range(1, n + 1):
        owner = OWNERS[rid % len(OWNERS)]
        name = f"{rng.choice(WORDS).lower()}-{rid}"
        description = None if rid % 7 == 0 else f"A {rng.choice(WORDS)} for {rng.choice(WORDS)} people"
        breakdown = rng.sample(LANGUAGES, rng.randint(0, 3))
        primary = breakdown[0] if breakdown and rid % 5 else rng.choice((None, "Makefile"))
        created = EPOCH + timedelta(hours=rng.randint(0, 50_000))
        row = dict(
            id=rid, owner_login=owner, name=name, full_name=f"{owner}/{name}", description=description,
            html_url=f"https://github.com/{owner}/{name}", language=primary,
            topics=rng.sample(TOPICS, rng.randint(0, 3)), stargazers_count=rng.choice((0, 0, 1, 2, rng.randint(0, 5000))),
            fork=rng.random() < 0.2, archived=rng.random() < 0.1, created_at=created,
            updated_at=created + timedelta(hours=rng.randint(0, 5000)),
            pushed_at=None if rid % 11 == 0 else created + timedelta(hours=rng.randint(0, 5000)),
        )
        repositories.append(row)
        languages += [{"repository_id": rid, "language_id": LANGUAGES.index(lang) + 1, "bytes": rng.randint(1, 10**6)}
                      for lang in breakdown]
        contributions += [{"repository_id": rid, "contributor_id": person, "contributions": rng.randint(1, 500)}
                          for person in rng.sample(range(1, PEOPLE + 1), rng.randint(0, 5))]
        extra = None
        if rid % 13 == 0:
            extra = dict(full_name=row["full_name"], repository_id=rid, featured=rid % 2 == 0, hidden=rid % 3 == 0,
                         sort_order=rng.choice((None, rng.randint(-5, 5))),
                         description=rng.choice((None, f"Curated {rng.choice(WORDS)}")), updated_at=EPOCH)
            extras.append(extra)
        if extra is None or not extra["hidden"]:
            expected.append(_expected(row, extra, breakdown))
    with Session(engine) as session, session.begin():
        session.execute(insert(Language), [{"id": i, "name": name} for i, name in enumerate(LANGUAGES, start=1)])
        session.execute(insert(Contributor), [
            {"id": i, "login": f"person-{i}", "avatar_url": f"https://avatars.example/{i}",
             "html_url": f"https://github.com/person-{i}"} for i in range(1, PEOPLE + 1)
        ])
        for model, rows in ((Repository, repositories), (RepositoryLanguage, languages),
                            (RepositoryContributor, contributions), (RepositoryExtra, extras)):
            for start in range(0, len(rows), 500):
                session.execute(insert(model), rows[start:start + 500])
        bump_generation(session)
    return expected


def _expected(row: dict[str, Any], extra: dict[str, Any] | None, breakdown: list[str]) -> Expected:
    curated = extra is not None and extra["description"] is not None
    return Expected(
        full_name=row["full_name"], owner=row["owner_login"], name=row["name"],
        description=extra["description"] if curated else row["description"], language=row["language"],
        languages=tuple(breakdown), topics=tuple(row["topics"]), stars=row["stargazers_count"], fork=row["fork"],
        archived=row["archived"], featured=bool(extra and extra["featured"]),
        sort_order=extra["sort_order"] if extra else None, created_at=row["created_at"],
        updated_at=row["updated_at"], pushed_at=row["pushed_at"],
    )


def select(repos: list[Expected], query: dict[str, str]) -> list[str]:
    """The full names /api/v1/repos lists for `query`, on all pages, as its documentation says."""
    def keep(repo: Expected) -> bool:
        if "owner" in query and repo.owner.lower() != query["owner"].lower():
            return False
        if "language" in query and query["language"].lower() not in {
                name.lower() for name in (*repo.languages, repo.language or "")}:
            return False
        if "topic" in query and query["topic"].lower() not in {t.lower() for t in repo.topics}:
            return False
        text = query.get("q", "").casefold()
        if text and text not in repo.name.casefold() and text not in (repo.description or "").casefold():
            return False
        return all(flag not in query or getattr(repo, flag) == (query[flag] == "true")
                   for flag in ("fork", "archived", "featured"))

    chosen = [repo for repo in repos if keep(repo)]
    sort = query.get("sort", "curated")
    descending = query.get("order", "desc" if sort in ("stars", "pushed", "updated", "created") else "asc") == "desc"
    if sort == "curated":
        chosen.sort(key=lambda r: (r.sort_order is None, r.sort_order or 0, not r.featured, -r.stars,
                                   r.name.lower(), r.full_name.lower()), reverse=descending)
        return [r.full_name for r in chosen]
    value = {"stars": lambda r: r.stars, "pushed": lambda r: r.pushed_at, "updated": lambda r: r.updated_at,
             "created": lambda r: r.created_at, "name": lambda r: (r.name.lower(), r.owner.lower())}[sort]
    by_name = sorted(chosen, key=lambda r: (r.name.lower(), r.owner.lower()))
    present = [r for r in by_name if value(r) is not None]
    ordered = sorted(present, key=value, reverse=descending) + [r for r in by_name if value(r) is None]
    return [r.full_name for r in ordered]
