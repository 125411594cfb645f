"""Load the whole published dataset in one read transaction and build immutable views of it."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from sys import intern
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import Connection, Engine, Row, select
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

PERSON_COLUMNS = ("id", "login", "avatar_url", "html_url", "type")  # a Contribution's fields before its count
STREAMED_ROWS = 2000  # contributions are read this many at a time, never all at once
NO_PAIRS = array("q")  # shared by every repository without contributors; never written to


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
class Contributions:
    """One repository's contributors, kept compact: an array of (contributor id, contributions)
    pairs and the people shared by the whole dataset. At 10,000 repositories and 200,000
    contributions an object per contribution cost a third of the dataset's memory and load time."""

    pairs: array  # id, count, id, count, ...
    people: Mapping[int, tuple]  # PERSON_COLUMNS by contributor id

    def __len__(self) -> int:
        return len(self.pairs) // 2

    def counts(self) -> Iterator[tuple[int, int]]:
        """(contributor id, contributions) pairs, unordered."""
        pairs = iter(self.pairs)
        return zip(pairs, pairs)

    def ranked(self) -> tuple[Contribution, ...]:
        """Most contributions first, then by login."""
        people = (Contribution(*self.people[cid], count) for cid, count in self.counts())
        return tuple(sorted(people, key=lambda c: (-c.contributions, c.login.lower())))


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
    contributions: Contributions | None  # None: GitHub would not list them
    pinned: bool | None  # None: some owner's pins are not known
    pinned_position: int | None  # its place among an owner's visible pins, the first when several pin it
    release: ReleaseView | None
    social_image: SocialImageView | None
    readme_html: str | None

    @property
    def contributors(self) -> tuple[Contribution, ...] | None:
        return None if self.contributions is None else self.contributions.ranked()

    @property
    def contributors_count(self) -> int | None:
        return None if self.contributions is None else len(self.contributions)


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
    contributors: tuple[ContributorTotal, ...]  # most contributions first
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
    people: Sequence[tuple] = ()  # contributors as PERSON_COLUMNS
    contributions: Iterable[Sequence[tuple[int, int, int]]] = ()  # chunks of (repository, contributor, count)
    extras: Sequence[RepositoryExtra] = ()
    owners: Sequence[Owner] = ()
    pins: Sequence[tuple[int, int]] = ()  # owner id, repository id; in position order
    readmes: Sequence[tuple[int, str]] = ()  # repository id, html
    releases: Sequence[Release] = ()


def read_version(connection: Connection | Session) -> Version:
    row = connection.execute(
        select(DatasetState.generation, DatasetState.synced_at, DatasetState.changed_at).where(DatasetState.id == 1)
    ).one_or_none()
    return Version(generation=0, synced_at=None) if row is None else Version(*row)


def current_version(engine: Engine) -> Version:
    """The published dataset's version: one small query."""
    with engine.connect() as connection:
        return read_version(connection)


def load_dataset(engine: Engine) -> Dataset:
    """Read everything the API publishes in one transaction with ten queries, whatever its size.

    The version is read inside the same transaction as the data, so a Dataset is always one
    generation (REPEATABLE READ on servers, a single read transaction on SQLite). Plain rows, not
    ORM objects, and the contributions streamed: at 10,000 repositories and 200,000 contributions,
    entities and whole lists of rows took most of the time and memory.
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        version = read_version(session)
        if version.synced_at is None:
            return build_dataset(version, Rows())
        core = session.connection()  # Core rows: the ORM's row processing doubled the load time
        rows = Rows(
            repositories=core.execute(select(Repository.__table__)).all(),
            languages=core.execute(
                select(RepositoryLanguage.repository_id, Language.name, RepositoryLanguage.bytes, Language.color).join(
                    Language, Language.id == RepositoryLanguage.language_id
                )
            ).all(),
            extras=session.execute(select(RepositoryExtra)).scalars().all(),
            owners=session.execute(select(Owner)).scalars().all(),
            pins=session.execute(select(Pin.owner_id, Pin.repository_id).order_by(Pin.owner_id, Pin.position)).all(),
            readmes=session.execute(
                select(Readme.repository_id, Readme.html).where(Readme.html.is_not(None))
            ).all(),
            releases=session.execute(select(Release)).scalars().all(),
            people=core.execute(select(*(getattr(Contributor, column) for column in PERSON_COLUMNS))).all(),
            # Last: MariaDB streams it on an unbuffered cursor, which no other query may interrupt.
            contributions=core.execute(
                select(RepositoryContributor.repository_id, RepositoryContributor.contributor_id,
                       RepositoryContributor.contributions).execution_options(yield_per=STREAMED_ROWS)
            ).partitions(),
        )
        return build_dataset(version, rows)


def build_dataset(version: Version, rows: Rows) -> Dataset:
    """Join the rows in memory: extras applied, hidden repositories dropped, pins and totals computed."""
    languages_of: dict[int, list[tuple[str, int, str | None]]] = defaultdict(list)
    for repository_id, name, size, color in rows.languages:
        languages_of[repository_id].append((intern(name), size, color))
    person_of = MappingProxyType({person[0]: tuple(person) for person in rows.people})
    pairs_of: dict[int, array] = defaultdict(lambda: array("q"))
    for chunk in rows.contributions:
        for repository_id, contributor_id, count in chunk:
            pairs_of[repository_id].extend((contributor_id, count))

    published_ids = {repository.id for repository in rows.repositories}
    extras_by_id = {extra.repository_id: extra for extra in rows.extras if extra.repository_id is not None}
    # A row attached to another published repository stays with it even if this one took its name.
    extras_by_name = {
        extra.full_name.lower(): extra for extra in rows.extras if extra.repository_id not in published_ids
    }
    visible = {}
    for repository in rows.repositories:
        extra = extras_by_id.get(repository.id) or extras_by_name.get(repository.full_name.lower())
        if extra is None or not extra.hidden:
            visible[repository.id] = (repository, extra)

    pinned_by = _visible_pins(rows, visible)
    pins_known = bool(rows.owners) and all(owner.pins_known for owner in rows.owners)
    positions: dict[int, int] = {}
    for repository_ids in pinned_by.values():
        for position, repository_id in enumerate(repository_ids, 1):
            positions[repository_id] = min(position, positions.get(repository_id, position))
    readmes = dict(rows.readmes)
    releases = {release.repository_id: release for release in rows.releases}

    views = [
        _repo_view(
            repository,
            extra,
            languages_of[rid],
            Contributions(pairs_of.pop(rid, NO_PAIRS), person_of),
            pinned=True if rid in positions else (False if pins_known else None),
            pinned_position=positions.get(rid),
            release=releases.get(rid),
            readme_html=readmes.get(rid),
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
        contributors=_contributor_totals(views, person_of),
        by_full_name=MappingProxyType({view.full_name.lower(): view for view in views}),
        owners=owners,
        by_login=MappingProxyType({owner.login.lower(): owner for owner in owners}),
    )


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
    contributions: Contributions,
    *,
    pinned: bool | None,
    pinned_position: int | None,
    release: Release | None,
    readme_html: str | None,
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
        contributions=None if repository.contributors_status == "unavailable" else contributions,
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
        readme_html=readme_html,
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


def _contributor_totals(views: list[RepoView], people: Mapping[int, tuple]) -> tuple[ContributorTotal, ...]:
    contributions: dict[int, int] = defaultdict(int)
    repositories: dict[int, int] = defaultdict(int)
    for view in views:
        for contributor_id, count in view.contributions.counts() if view.contributions is not None else ():
            contributions[contributor_id] += count
            repositories[contributor_id] += 1
    totals = (
        ContributorTotal(*people[contributor_id], contributions[contributor_id], repositories[contributor_id])
        for contributor_id in contributions
    )
    return tuple(sorted(totals, key=lambda t: (-t.contributions, t.login.lower(), t.id)))
