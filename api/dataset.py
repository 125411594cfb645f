"""Load the whole published dataset in one read transaction and build immutable views of it."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from sys import intern
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import Connection, Engine, Row, bindparam, func, select
from sqlalchemy.orm import Session

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

PERSON = (Contributor.id, Contributor.login, Contributor.avatar_url, Contributor.html_url, Contributor.type)


@dataclass(frozen=True)
class Version:
    """What identifies one published dataset: the API reloads when any part changes."""

    generation: int
    synced_at: datetime | None
    changed_at: datetime | None = None  # when the published data last changed: answers' Last-Modified


@dataclass(frozen=True, slots=True)
class LanguageShare:
    name: str
    bytes: int
    percent: float
    color: str | None


@dataclass(frozen=True)
class ReleaseView:
    tag: str
    name: str | None
    published_at: datetime | None
    url: str


@dataclass(frozen=True)
class SocialImageView:
    url: str
    custom: bool


class Contribution(NamedTuple):
    """One person's contributions to one repository."""

    id: int
    login: str
    avatar_url: str | None
    html_url: str | None
    type: str
    contributions: int


@dataclass(frozen=True, slots=True)
class RepoView:
    """A published, visible repository with its curated extras applied."""

    id: int
    owner: str
    name: str
    full_name: str
    description: str | None
    html_url: str
    homepage: str | None
    demo_url: str | None
    video_urls: tuple[str, ...]
    language: str | None
    languages: tuple[LanguageShare, ...]
    topics: tuple[str, ...]
    stars: int
    forks: int
    watchers: int
    open_issues: int
    fork: bool
    archived: bool
    private: bool
    visibility: str
    featured: bool
    sort_order: int | None
    license_spdx_id: str | None
    license_name: str | None
    default_branch: str | None
    created_at: datetime | None
    updated_at: datetime | None
    pushed_at: datetime | None
    contributors_status: str
    contributors_count: int | None  # None: GitHub would not list them
    pinned: bool | None  # None: some owner's pins are not known
    pinned_position: int | None  # its place among an owner's visible pins, the first when several pin it
    release: ReleaseView | None
    social_image: SocialImageView | None


@dataclass(frozen=True)
class LanguageTotal:
    name: str
    bytes: int
    percent: float
    color: str | None
    repositories: int


@dataclass(frozen=True)
class ContributorTotal:
    id: int
    login: str
    avatar_url: str | None
    html_url: str | None
    type: str
    contributions: int
    repositories: int


@dataclass(frozen=True)
class OwnerView:
    """A mirrored account's profile with the full names of its visible pinned repositories."""

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
    pinned: tuple[str, ...] | None  # None: not known


@dataclass(frozen=True)
class Dataset:
    """One generation of published data as the API shows it (hidden repositories left out)."""

    version: Version
    repositories: tuple[RepoView, ...]  # in curated order
    languages: tuple[LanguageTotal, ...]  # most bytes first
    uncounted: frozenset[int]  # published repositories whose contributions do not count: hidden, or unavailable
    by_full_name: Mapping[str, RepoView]  # keyed by lower-cased full_name
    owners: tuple[OwnerView, ...]  # by login, case-insensitively
    by_login: Mapping[str, OwnerView]  # keyed by lower-cased login

    @property
    def synced(self) -> bool:
        return self.version.synced_at is not None

    def find(self, owner: str, name: str) -> RepoView | None:
        """The repository `owner/name`, compared case-insensitively like GitHub does."""
        return self.by_full_name.get(f"{owner}/{name}".lower())

    def find_owner(self, login: str) -> OwnerView | None:
        return self.by_login.get(login.lower())


@dataclass(frozen=True)
class Rows:
    """What one load read: the rows build_dataset joins in memory."""

    repositories: Sequence[Repository | Row] = ()
    languages: Sequence[tuple[int, str, int, str | None]] = ()  # repository id, name, bytes, colour
    contributor_counts: Sequence[tuple[int, int]] = ()  # repository id, contributors
    extras: Sequence[RepositoryExtra | Row] = ()
    owners: Sequence[Owner | Row] = ()
    pins: Sequence[tuple[int, int]] = ()  # owner id, repository id; in position order
    releases: Sequence[Release | Row] = ()


def read_version(connection: Connection | Session) -> Version:
    row = connection.execute(
        select(DatasetState.generation, DatasetState.synced_at, DatasetState.changed_at).where(DatasetState.id == 1)
    ).one_or_none()
    return Version(generation=0, synced_at=None) if row is None else Version(*row)


def current_version(engine: Engine) -> Version:
    """The published dataset's version: one small query."""
    with engine.connect() as connection:
        return read_version(connection)


class GenerationChanged(Exception):
    """Another generation was published since the dataset a request answers from was loaded."""


@dataclass(frozen=True)
class Detail:
    """What only a repository's own page shows: read when that page is first rendered."""

    readme_html: str | None  # None: it has none, or it was not stored
    contributors: tuple[Contribution, ...] | None  # most contributions first; None: GitHub would not list them


def read_detail(engine: Engine, repo: RepoView, version: Version) -> Detail:
    """A repository's README and contributors as published in `version`.

    Read one repository at a time, not with the dataset: at 10,000 repositories the READMEs were a
    third of every API worker's memory and the 200,000 contributions half of its load time. Read in
    one transaction with the version, so they are of the generation the rest of the answer is of.
    """
    with engine.connect() as connection, connection.begin():
        if read_version(connection) != version:
            raise GenerationChanged()
        readme_html = connection.scalar(select(Readme.html).where(Readme.repository_id == repo.id))
        if repo.contributors_count is None:  # GitHub would not list them: none are stored
            return Detail(readme_html, None)
        people = connection.execute(
            select(*PERSON, RepositoryContributor.contributions)
            .join(RepositoryContributor, RepositoryContributor.contributor_id == Contributor.id)
            .where(RepositoryContributor.repository_id == repo.id)
        ).all()
    ranked = sorted((Contribution(*person) for person in people), key=lambda c: (-c.contributions, c.login.lower()))
    return Detail(readme_html, tuple(ranked))


def read_contributor_totals(engine: Engine, dataset: Dataset) -> tuple[ContributorTotal, ...]:
    """Everyone's contributions summed over the dataset's visible repositories, most first; summed by
    the database, in one transaction with the version (see `read_detail`)."""
    with engine.connect() as connection, connection.begin():
        if read_version(connection) != dataset.version:
            raise GenerationChanged()
        counted = (
            select(RepositoryContributor.contributor_id, func.sum(RepositoryContributor.contributions).label("total"),
                   func.count().label("repositories"))
            # the ids are written into the statement: no driver's limit on bound parameters applies
            .where(RepositoryContributor.repository_id.not_in(
                bindparam("uncounted", sorted(dataset.uncounted), literal_execute=True)))
            .group_by(RepositoryContributor.contributor_id)
            .subquery()
        )
        rows = connection.execute(
            select(*PERSON, counted.c.total, counted.c.repositories).join(counted, counted.c.contributor_id == Contributor.id)
        ).all()
    totals = (ContributorTotal(*person, int(total), repositories) for *person, total, repositories in rows)
    return tuple(sorted(totals, key=lambda t: (-t.contributions, t.login.lower(), t.id)))


def load_dataset(engine: Engine) -> Dataset:
    """Read what the API lists in one transaction with eight queries, whatever its size.

    The version is read inside the same transaction as the data, so a Dataset is always one
    generation (REPEATABLE READ on servers, a single read transaction on SQLite). Plain rows, not
    ORM objects (the ORM's row processing doubled the load time); contributions are counted and
    summed by the database when asked for, not read (`read_detail`, `read_contributor_totals`).
    """
    with _cycle_collection_paused(), Session(engine) as session, session.begin():
        version = read_version(session)
        if version.synced_at is None:
            return build_dataset(version, Rows())
        core = session.connection()
        rows = Rows(
            repositories=core.execute(select(Repository.__table__)).all(),
            languages=core.execute(
                select(RepositoryLanguage.repository_id, Language.name, RepositoryLanguage.bytes, Language.color).join(
                    Language, Language.id == RepositoryLanguage.language_id
                )
            ).all(),
            extras=core.execute(select(RepositoryExtra.__table__)).all(),
            owners=core.execute(select(Owner.__table__)).all(),
            pins=core.execute(select(Pin.owner_id, Pin.repository_id).order_by(Pin.owner_id, Pin.position)).all(),
            releases=core.execute(select(Release.__table__)).all(),
            contributor_counts=core.execute(
                select(RepositoryContributor.repository_id, func.count()).group_by(RepositoryContributor.repository_id)
            ).all(),
        )
        return build_dataset(version, rows)


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a dataset is built: its 100,000s of new objects (none in
    a cycle) set it off again and again, a fifth of the load's time. Reference counting still frees."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_dataset(version: Version, rows: Rows) -> Dataset:
    """Join the rows in memory: extras applied, hidden repositories dropped, pins and totals computed."""
    languages_of: dict[int, list[tuple[str, int, str | None]]] = defaultdict(list)
    for repository_id, name, size, color in rows.languages:
        languages_of[repository_id].append((intern(name), size, color))
    contributors_of = dict(rows.contributor_counts)
    visible = _shown(rows)

    pinned_by = _visible_pins(rows, visible)
    pins_known = bool(rows.owners) and all(owner.pins_known for owner in rows.owners)
    positions: dict[int, int] = {}
    for repository_ids in pinned_by.values():
        for position, repository_id in enumerate(repository_ids, 1):
            positions[repository_id] = min(position, positions.get(repository_id, position))
    releases = {release.repository_id: release for release in rows.releases}

    views = [
        _repo_view(
            repository,
            extra,
            languages_of[rid],
            contributors_of.get(rid, 0),
            pinned=True if rid in positions else (False if pins_known else None),
            pinned_position=positions.get(rid),
            release=releases.get(rid),
        )
        for rid, (repository, extra) in visible.items()
    ]
    views.sort(key=curated_order)
    full_names = {rid: repository.full_name for rid, (repository, _) in visible.items()}
    owners = tuple(
        sorted(
            (_owner_view(owner, pinned_by, full_names) for owner in rows.owners),
            key=lambda owner: (owner.login.lower(), owner.id),
        )
    )
    return Dataset(
        version=version,
        repositories=tuple(views),
        languages=_language_totals(views),
        uncounted=frozenset(
            repository.id for repository in rows.repositories
            if repository.id not in visible or repository.contributors_status == "unavailable"
        ),
        by_full_name=MappingProxyType({view.full_name.lower(): view for view in views}),
        owners=owners,
        by_login=MappingProxyType({owner.login.lower(): owner for owner in owners}),
    )


def _shown(rows: Rows) -> dict[int, tuple[Repository | Row, RepositoryExtra | Row | None]]:
    """Repository id -> (repository, its extras) of every repository not hidden, in the rows' order."""
    published_ids = {repository.id for repository in rows.repositories}
    extras_by_id = {extra.repository_id: extra for extra in rows.extras if extra.repository_id is not None}
    # A row attached to another published repository stays with it even if this one took its name.
    extras_by_name = {
        extra.full_name.lower(): extra for extra in rows.extras if extra.repository_id not in published_ids
    }
    shown = {}
    for repository in rows.repositories:
        extra = extras_by_id.get(repository.id) or extras_by_name.get(repository.full_name.lower())
        if extra is None or not extra.hidden:
            shown[repository.id] = (repository, extra)
    return shown


def _visible_pins(rows: Rows, visible: Mapping[int, object]) -> dict[int, list[int]]:
    """Owner id -> its pinned repositories that are visible, in order; only owners whose pins are known."""
    known = {owner.id for owner in rows.owners if owner.pins_known}
    pinned_by: dict[int, list[int]] = {owner_id: [] for owner_id in known}
    for owner_id, repository_id in rows.pins:
        if owner_id in known and repository_id in visible:
            pinned_by[owner_id].append(repository_id)
    return pinned_by


def _owner_view(owner: Owner, pinned_by: Mapping[int, list[int]], full_names: Mapping[int, str]) -> OwnerView:
    pinned = pinned_by.get(owner.id)
    return OwnerView(
        id=owner.id,
        login=owner.login,
        type=owner.type,
        name=owner.name,
        avatar_url=owner.avatar_url,
        html_url=owner.html_url,
        bio=owner.bio,
        blog=owner.blog,
        location=owner.location,
        company=owner.company,
        twitter_username=owner.twitter_username,
        public_repos=owner.public_repos,
        followers=owner.followers,
        following=owner.following,
        created_at=owner.created_at,
        pinned=None if pinned is None else tuple(full_names[rid] for rid in pinned),
    )


def curated_order(repo: RepoView) -> tuple:
    """Curated positions first (ascending), then featured, then pinned (by position), then most stars, then name."""
    return (
        repo.sort_order is None,
        repo.sort_order or 0,
        not repo.featured,
        repo.pinned_position is None,
        repo.pinned_position or 0,
        -repo.stars,
        repo.name.lower(),
        repo.full_name.lower(),
    )


def _shared(text: str | None) -> str | None:
    """One copy of a value many repositories have (an owner, a licence, "main"), not one each."""
    return None if text is None else intern(text)


def _percent(part: int, whole: int) -> float:
    return round(part * 100 / whole, 2) if whole else 0.0


def _repo_view(
    repository: Repository | Row,
    extra: RepositoryExtra | None,
    languages,
    contributors_count: int,
    *,
    pinned: bool | None,
    pinned_position: int | None,
    release: Release | None,
) -> RepoView:
    total = sum(size for _, size, _ in languages)
    shares = tuple(
        LanguageShare(name, size, _percent(size, total), color)
        for name, size, color in sorted(languages, key=lambda entry: (-entry[1], entry[0].lower()))
    )
    description = repository.description
    if extra is not None and extra.description is not None:
        description = extra.description
    return RepoView(
        id=repository.id,
        owner=_shared(repository.owner_login),
        name=repository.name,
        full_name=repository.full_name,
        description=description,
        html_url=repository.html_url,
        homepage=repository.homepage or None,
        demo_url=extra.demo_url if extra is not None else None,
        video_urls=tuple(extra.video_urls or ()) if extra is not None else (),
        language=_shared(repository.language),
        languages=shares,
        topics=tuple(map(intern, repository.topics or ())),
        stars=repository.stargazers_count,
        forks=repository.forks_count,
        watchers=repository.watchers_count,
        open_issues=repository.open_issues_count,
        fork=repository.fork,
        archived=repository.archived,
        private=repository.private,
        visibility=_shared(repository.visibility),
        featured=bool(extra.featured) if extra is not None else False,
        sort_order=extra.sort_order if extra is not None else None,
        license_spdx_id=_shared(repository.license_spdx_id),
        license_name=_shared(repository.license_name),
        default_branch=_shared(repository.default_branch),
        created_at=repository.created_at,
        updated_at=repository.updated_at,
        pushed_at=repository.pushed_at,
        contributors_status=_shared(repository.contributors_status),
        contributors_count=None if repository.contributors_status == "unavailable" else contributors_count,
        pinned=pinned,
        pinned_position=pinned_position,
        release=(
            None
            if release is None
            else ReleaseView(release.tag, release.name, release.published_at, release.url)
        ),
        social_image=(
            None
            if repository.social_image_url is None or repository.social_image_custom is None
            else SocialImageView(repository.social_image_url, repository.social_image_custom)
        ),
    )


def _language_totals(views: list[RepoView]) -> tuple[LanguageTotal, ...]:
    sizes: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    colors: dict[str, str | None] = {}
    for view in views:
        for share in view.languages:
            sizes[share.name] += share.bytes
            counts[share.name] += 1
            colors[share.name] = share.color
    total = sum(sizes.values())
    return tuple(
        LanguageTotal(name, size, _percent(size, total), colors[name], counts[name])
        for name, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0].lower()))
    )
