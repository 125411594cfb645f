"""Published test data written through the ORM as the syncer publishes: rows and a new generation in one commit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from shared import migrate
from shared.db import make_engine
from shared.models import (
    Contributor,
    DatasetState,
    Language,
    Owner,
    Pin,
    Readme,
    Release,
    Repository,
    RepositoryContributor,
    RepositoryExtra,
    RepositoryLanguage,
)

EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def migrated_sqlite(path: Path) -> URL:
    """A new SQLite database at `path` with the schema in place."""
    url = make_url(f"sqlite:///{path}")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def repository(id: int, full_name: str, **fields: Any) -> Repository:
    """A repository row with plausible defaults; `fields` override any column."""
    owner, name = full_name.split("/")
    values = dict(
        id=id,
        owner_login=owner,
        name=name,
        full_name=full_name,
        description=f"The {name} project",
        html_url=f"https://github.com/{full_name}",
        topics=[],
        stargazers_count=0,
        created_at=EPOCH + timedelta(days=id),
        updated_at=EPOCH + timedelta(days=id, hours=1),
        pushed_at=EPOCH + timedelta(days=id, hours=2),
    )
    values.update(fields)
    return Repository(**values)


def extra(full_name: str, **fields: Any) -> RepositoryExtra:
    return RepositoryExtra(full_name=full_name, updated_at=EPOCH, **fields)


def owner(id: int, login: str, *pinned: int, **fields: Any) -> Owner:
    """A mirrored account with plausible defaults; `pinned` repository ids (in order) make its pins known."""
    values = dict(
        id=id,
        login=login,
        type="User",
        name=login.title(),
        avatar_url=f"https://avatars.githubusercontent.com/u/{id}",
        html_url=f"https://github.com/{login}",
        public_repos=0,
        followers=0,
        following=0,
        created_at=EPOCH,
        pins_known=bool(pinned),
        pins=[Pin(position=i, repository_id=rid) for i, rid in enumerate(pinned, 1)],
    )
    values.update(fields)
    return Owner(**values)


def readme(repo_id: int, html: str | None, reason: str | None = None) -> Readme:
    return Readme(repository_id=repo_id, html=html, size=len(html or ""), reason=reason)


def release(repo_id: int, tag: str, **fields: Any) -> Release:
    values = dict(
        repository_id=repo_id, tag=tag, name=tag, published_at=EPOCH, url=f"https://github.com/r/releases/tag/{tag}"
    )
    values.update(fields)
    return Release(**values)


COLORS = {"Python": "#3572A5", "Shell": "#89e051", "Go": "#00ADD8", "Rust": "#dea584"}


def languages(session: Session, repo_id: int, **sizes: int) -> None:
    """Attach a language breakdown (`Python=1200, Shell=300`) to a repository in `session`.

    New languages get GitHub's colour when COLORS knows it.
    """
    for name, size in sizes.items():
        language = session.scalars(select(Language).where(Language.name == name)).one_or_none()
        if language is None:
            language = Language(name=name, color=COLORS.get(name))
            session.add(language)
            session.flush()
        session.add(RepositoryLanguage(repository_id=repo_id, language_id=language.id, bytes=size))


def contributions(session: Session, repo_id: int, **counts: int) -> None:
    """Attach contributors (`alice=10, bob=2`) to a repository in `session`; ids derive from the login."""
    for login, count in counts.items():
        person_id = sum(ord(c) * 31**i for i, c in enumerate(login)) % 10**9
        if session.get(Contributor, person_id) is None:
            session.add(
                Contributor(
                    id=person_id,
                    login=login,
                    avatar_url=f"https://avatars.example/{login}",
                    html_url=f"https://github.com/{login}",
                )
            )
            session.flush()
        session.add(RepositoryContributor(repository_id=repo_id, contributor_id=person_id, contributions=count))


def bump_generation(session: Session, synced: bool = True) -> int:
    state = session.get(DatasetState, 1)
    state.generation += 1
    state.changed_at = datetime.now(timezone.utc)
    if synced:
        state.synced_at = state.changed_at
    return state.generation


def publish(engine: Engine, *rows: Any, build=None) -> int:
    """Add `rows` (and whatever `build(session)` adds) and bump the generation in one transaction."""
    with Session(engine) as session, session.begin():
        session.add_all(rows)
        session.flush()
        if build is not None:
            build(session)
        return bump_generation(session)
