"""Write owners, pins, READMEs, releases, social images and language colours in the publish transaction.

Every mapping follows one rule: a key that is absent keeps what is stored (GitHub did not answer
for it this run: no token, a failed or partial GraphQL answer), a key that is present replaces it.
Each function returns whether it changed anything, so the caller bumps the generation only then.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from shared.models import (
    Contributor,
    Language,
    Owner,
    Pin,
    Readme,
    Release,
    Repository,
    RepositoryContributor,
    RepositoryLanguage,
)
from syncer.parse import count, short_text, timestamp

log = logging.getLogger(__name__)

MAX_README_BYTES = 1024 * 1024
MAX_PINS = 6
COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
OWNER_TYPES = ("User", "Organization")
PROFILE_TEXT = {"name": 255, "bio": 65535, "blog": 65535, "location": 255, "company": 255, "twitter_username": 100}
PROFILE_COUNTS = ("public_repos", "followers", "following")


@dataclass(frozen=True)
class OwnerProfile:
    """A mirrored account as GET /users/{login} describes it."""

    id: int
    login: str
    type: str
    name: str | None
    avatar_url: str
    html_url: str
    bio: str | None
    blog: str | None
    location: str | None
    company: str | None
    twitter_username: str | None
    public_repos: int
    followers: int
    following: int
    created_at: datetime | None

    @classmethod
    def from_github(cls, body: Any) -> OwnerProfile | None:
        """The profile in a GET /users/{login} answer; None when it lacks an id, a login or a known type."""
        if not isinstance(body, dict):
            return None
        owner_id, login, kind = body.get("id"), body.get("login"), body.get("type")
        if not _positive_int(owner_id) or not short_text(login, 100) or kind not in OWNER_TYPES:
            return None
        texts = {key: body.get(key) if short_text(body.get(key), limit) else None for key, limit in PROFILE_TEXT.items()}
        counts = {key: count(body.get(key)) for key in PROFILE_COUNTS}
        return cls(
            id=owner_id,
            login=login,
            type=kind,
            avatar_url=_url(body.get("avatar_url"), f"https://avatars.githubusercontent.com/u/{owner_id}"),
            html_url=_url(body.get("html_url"), f"https://github.com/{login}"),
            created_at=timestamp(body.get("created_at")),
            **texts,
            **counts,
        )


@dataclass(frozen=True)
class ReadmeContent:
    """A repository's README: sanitized HTML, or none and why (`missing`: 404, `too_large`)."""

    html: str | None
    size: int
    reason: str | None = None
    etag: str | None = None

    @classmethod
    def rendered(cls, html: str, size: int, etag: str | None = None) -> ReadmeContent:
        """The sanitizer's output of GitHub's rendering of `size` bytes; over 1 MiB it is not kept."""
        if size > MAX_README_BYTES or len(html.encode("utf-8")) > MAX_README_BYTES:
            return cls(None, size, "too_large", etag)
        return cls(html, size, None, etag)

    @classmethod
    def missing(cls) -> ReadmeContent:
        return cls(None, 0, "missing")


@dataclass(frozen=True)
class ReleaseContent:
    """A repository's latest release."""

    tag: str
    name: str | None
    published_at: datetime | None
    url: str


@dataclass(frozen=True)
class SocialImage:
    """GraphQL openGraphImageUrl and usesCustomOpenGraphImage."""

    url: str
    custom: bool


@dataclass(frozen=True)
class Content:
    """What one run learned besides the REST repository data; whatever is left out keeps what is stored.

    `owners`: the whole GITHUB_OWNERS list (a full run) so that others leave, or None (a partial
    `--owner` run) to remove no one. `pins`: owner id -> repository ids in GitHub's order, () for
    none. `releases`: repository id -> its latest release, or None when it has none.
    """

    owners: Collection[str] | None = None
    profiles: Sequence[OwnerProfile] = ()
    pins: Mapping[int, Sequence[int]] = field(default_factory=dict)
    readmes: Mapping[int, ReadmeContent] = field(default_factory=dict)
    releases: Mapping[int, ReleaseContent | None] = field(default_factory=dict)
    social_images: Mapping[int, SocialImage] = field(default_factory=dict)
    language_colors: Mapping[str, str | None] = field(default_factory=dict)


def save_content(session: Session, content: Content) -> bool:
    """Write all of `content`, after the repositories are published; True when anything changed."""
    changed = save_profiles(session, content.profiles)
    changed |= save_pins(session, content.pins)
    if content.owners is not None:
        changed |= remove_unmirrored(session, content.owners)
    changed |= save_readmes(session, content.readmes)
    changed |= save_releases(session, content.releases)
    changed |= save_social_images(session, content.social_images)
    changed |= save_language_colors(session, content.language_colors)
    return changed


def save_profiles(session: Session, profiles: Sequence[OwnerProfile]) -> bool:
    """Insert or update owners by GitHub id.

    A login moves with its account: a stored row holding a login another profile now has is
    renamed in the same call if it is given too, and leaves if not (GitHub gave its login away).
    """
    columns = tuple(OwnerProfile.__dataclass_fields__)
    given = {profile.id: profile for profile in profiles}
    login_owner = {profile.login.lower(): profile.id for profile in profiles}
    stored = {row.id: row for row in session.execute(select(*(getattr(Owner, c) for c in columns)))}
    changed = False
    for row in stored.values():
        holder = login_owner.get(row.login.lower(), row.id)
        if holder == row.id:
            continue
        if row.id in given:
            session.execute(update(Owner).where(Owner.id == row.id).values(login=f"#renaming/{row.id}"))
        else:
            session.execute(delete(Owner).where(Owner.id == row.id))
        changed = True
    for owner_id, profile in given.items():
        values = {c: getattr(profile, c) for c in columns}
        if owner_id not in stored:
            session.execute(insert(Owner).values({**values, "pins_known": False}))
            changed = True
        elif any(getattr(stored[owner_id], c) != v for c, v in values.items()):
            session.execute(update(Owner).where(Owner.id == owner_id).values(values))
            changed = True
    return changed


def save_pins(session: Session, pins: Mapping[int, Sequence[int]]) -> bool:
    """Replace each given owner's pins (repository ids in GitHub's order, at most six; () for none).

    The owner must be stored (save_profiles first); pins of an owner that is not are left out.
    """
    changed = False
    known = {owner_id: pins_known for owner_id, pins_known in session.execute(select(Owner.id, Owner.pins_known))}
    stored: dict[int, list[int]] = {}
    for owner_id, repository_id in session.execute(select(Pin.owner_id, Pin.repository_id).order_by(Pin.position)):
        stored.setdefault(owner_id, []).append(repository_id)
    for owner_id, repository_ids in pins.items():
        if owner_id not in known:
            log.warning("pins of owner %s not saved: its profile is not stored", owner_id)
            continue
        wanted = list(dict.fromkeys(repository_ids))[:MAX_PINS]
        if known[owner_id] and stored.get(owner_id, []) == wanted:
            continue
        session.execute(delete(Pin).where(Pin.owner_id == owner_id))
        if wanted:
            session.execute(
                insert(Pin),
                [{"owner_id": owner_id, "position": i, "repository_id": rid} for i, rid in enumerate(wanted, 1)],
            )
        session.execute(update(Owner).where(Owner.id == owner_id).values(pins_known=True))
        changed = True
    return changed


def remove_unmirrored(session: Session, owners: Collection[str]) -> bool:
    """Owners not in `owners` (logins, any case) leave, and so does every repository whose owner
    is not in `owners` unless a remaining owner pins it (a pinned repository of another account).

    Call it after publish_snapshot and save_pins, with the whole GITHUB_OWNERS list.
    """
    keep = {login.lower() for login in owners}
    gone_owners = [oid for oid, login in session.execute(select(Owner.id, Owner.login)) if login.lower() not in keep]
    if gone_owners:
        session.execute(delete(Owner).where(Owner.id.in_(gone_owners)))
    pinned = set(session.scalars(select(Pin.repository_id)))
    gone_repositories = [
        rid
        for rid, login in session.execute(select(Repository.id, Repository.owner_login))
        if login.lower() not in keep and rid not in pinned
    ]
    if gone_repositories:
        session.execute(delete(Repository).where(Repository.id.in_(gone_repositories)))
        _drop_orphans(session)
    return bool(gone_owners or gone_repositories)


def save_readmes(session: Session, readmes: Mapping[int, ReadmeContent]) -> bool:
    """Store each given repository's README (ReadmeContent.missing() for a 404)."""
    columns = ("html", "size", "reason", "etag")
    given = _stored_only(session, readmes)
    stored = {
        row.repository_id: row
        for row in session.execute(
            select(Readme.repository_id, *(getattr(Readme, c) for c in columns)).where(Readme.repository_id.in_(given))
        )
    }
    changed = False
    for rid, readme in given.items():
        values = {c: getattr(readme, c) for c in columns}
        if rid not in stored:
            session.execute(insert(Readme).values(repository_id=rid, **values))
        elif any(getattr(stored[rid], c) != v for c, v in values.items()):
            session.execute(update(Readme).where(Readme.repository_id == rid).values(values))
        else:
            continue
        changed = True
    return changed


def save_releases(session: Session, releases: Mapping[int, ReleaseContent | None]) -> bool:
    """Store each given repository's latest release; None: it has none (any stored one leaves)."""
    columns = ("tag", "name", "published_at", "url")
    given = _stored_only(session, releases)
    stored = {
        row.repository_id: row
        for row in session.execute(select(Release.repository_id, *(getattr(Release, c) for c in columns)))
        if row.repository_id in given
    }
    changed = False
    for rid, release in given.items():
        if release is None:
            if rid in stored:
                session.execute(delete(Release).where(Release.repository_id == rid))
                changed = True
            continue
        values = {c: getattr(release, c) for c in columns}
        if rid not in stored:
            session.execute(insert(Release).values(repository_id=rid, **values))
        elif any(getattr(stored[rid], c) != v for c, v in values.items()):
            session.execute(update(Release).where(Release.repository_id == rid).values(values))
        else:
            continue
        changed = True
    return changed


def save_social_images(session: Session, images: Mapping[int, SocialImage]) -> bool:
    """Store each given repository's social preview image."""
    given = _stored_only(session, images)
    stored = {
        rid: (url, custom)
        for rid, url, custom in session.execute(
            select(Repository.id, Repository.social_image_url, Repository.social_image_custom)
        )
        if rid in given
    }
    changed = False
    for rid, image in given.items():
        if stored[rid] != (image.url, image.custom):
            session.execute(
                update(Repository)
                .where(Repository.id == rid)
                .values(social_image_url=image.url, social_image_custom=image.custom)
            )
            changed = True
    return changed


def save_language_colors(session: Session, colors: Mapping[str, str | None]) -> bool:
    """Store GitHub's colour of each given language ("#3572A5"; None: GitHub has none).

    Only languages some repository has are stored; a colour not of the form #RRGGBB counts as none.
    """
    changed = False
    for language_id, name, color in session.execute(select(Language.id, Language.name, Language.color)):
        if name not in colors:
            continue
        wanted = colors[name]
        if wanted is not None and not COLOR.fullmatch(wanted):
            log.warning("colour %r of language %r is not #RRGGBB; stored as none", wanted, name)
            wanted = None
        if wanted != color:
            session.execute(update(Language).where(Language.id == language_id).values(color=wanted))
            changed = True
    return changed


def clear_graphql_content(session: Session) -> bool:
    """Forget every GraphQL-sourced value (pins, releases, social images, colours): a run without a token."""
    changed = False
    for statement in (
        update(Owner).where(Owner.pins_known.is_(True)).values(pins_known=False),
        delete(Pin),
        delete(Release),
        update(Repository)
        .where(Repository.social_image_url.is_not(None) | Repository.social_image_custom.is_not(None))
        .values(social_image_url=None, social_image_custom=None),
        update(Language).where(Language.color.is_not(None)).values(color=None),
    ):
        changed |= session.execute(statement).rowcount > 0
    return changed


def _stored_only(session: Session, by_repository: Mapping[int, Any]) -> dict[int, Any]:
    """The entries whose repository is published; others cannot be kept (logged, not an error)."""
    if not by_repository:
        return {}
    published = set(session.scalars(select(Repository.id)))
    unknown = sorted(set(by_repository) - published)
    if unknown:
        log.warning("content of %d repositories not saved: not published (%s)", len(unknown), unknown[:5])
    return {rid: value for rid, value in by_repository.items() if rid in published}


def _drop_orphans(session: Session) -> None:
    """Languages and contributors no repository references any more leave too."""
    session.execute(
        delete(Language).where(
            ~select(RepositoryLanguage.language_id).where(RepositoryLanguage.language_id == Language.id).exists()
        )
    )
    session.execute(
        delete(Contributor).where(
            ~select(RepositoryContributor.contributor_id)
            .where(RepositoryContributor.contributor_id == Contributor.id)
            .exists()
        )
    )


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _url(value: Any, fallback: str) -> str:
    return value if short_text(value, 500) and value.startswith(("https://", "http://")) else fallback
