"""Fetch what a portfolio shows beyond the repository list: owner profiles, pins, READMEs, and the
GraphQL extras (latest release, social preview image, language colours).

Profiles come from the `/users/{login}` answers the listing already stored. Pins are asked in
full syncs only (the nightly run), one GraphQL query per owner; a pinned public repository of
another account joins the snapshot as its real owner's. READMEs (REST, GitHub's rendering,
conditional) are asked for the repositories whose details this run fetched, the extras (GraphQL,
up to 100 repositories a query) for those that changed (new, pushed, or named by a webhook). READMEs stay in the response store until the
publish sanitizes them. GraphQL needs a token; without one, or when it fails, the fields it gives
keep their previous values (or are cleared, without a token) and the run says why in its notes:
the REST data is published whatever GraphQL does.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import select

from shared.config import GitHubSettings
from shared.models import Owner, Pin, Repository
from syncer import graphql
from syncer.content_publish import Content, OwnerProfile, ReleaseContent, SocialImage
from syncer.errors import Aborted, GitHubError
from syncer.fetch import Known, RepoData, Skip, Snapshot, Target, fetch_details, fetch_target
from syncer.github import GitHubClient
from syncer.parse import BadShape, is_private, parse_repository
from syncer.responses import Tag

log = logging.getLogger(__name__)

README_MEDIA_TYPE = "application/vnd.github.html+json"
NO_TOKEN_NOTE = ("pins, releases, social images and language colours need GITHUB_TOKEN (GitHub's GraphQL API "
                 "requires one): they are null")


@dataclass(frozen=True)
class ReadmeRef:
    """Where a repository's rendered README is stored (None: it has none) and its ETag."""

    url: str | None
    etag: str | None = None


@dataclass
class ContentFetch:
    """What one run learned besides the repositories; READMEs are read back by the publish."""

    content: Content = field(default_factory=Content)
    readmes: dict[int, ReadmeRef] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    graphql_requests: int = 0
    graphql_cost: int = 0
    graphql: bool = True  # False: no token, so every GraphQL-sourced field is cleared


def fetch_content(client: GitHubClient, settings: GitHubSettings, snapshot: Snapshot,
                  known: dict[int, Known]) -> ContentFetch:
    """Profiles, pins (full syncs), READMEs and extras of the repositories fetched in this run.

    A README known to be missing is not asked again until a push (a 404 is never free)."""
    fetched = ContentFetch(graphql=settings.token is not None)
    plan = snapshot.plan
    profiles = _stored_profiles(client, plan.listed)
    pins: dict[int, list[int]] = {}
    if not fetched.graphql:
        fetched.notes.append(NO_TOKEN_NOTE)
    elif plan.full:
        pins = _fetch_pins(client, settings, snapshot, profiles, fetched)
    with_details = [data for data in snapshot.repos.values() if data.details is not None]
    asked = [data for data in with_details
             if data.changed or not getattr(known.get(data.row["id"]), "readme_missing", False)]
    with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="readme") as pool:
        fetched.readmes = dict(zip((d.row["id"] for d in asked), pool.map(
            lambda data: fetch_readme(client, data.row["id"], data.row["full_name"]), asked)))
    changed = [data for data in with_details if data.changed]
    releases, images, colors = _fetch_extras(client, settings, changed, fetched) if fetched.graphql else ({}, {}, {})
    fetched.content = Content(
        owners=settings.owners if plan.everything else None,
        profiles=list(profiles.values()),
        pins=pins,
        releases=releases,
        social_images=images,
        language_colors=colors,
    )
    return fetched


def fetch_readme(client: GitHubClient, repo_id: int, full_name: str) -> ReadmeRef:
    """GitHub's rendering of a repository's README, stored as it arrives; a 404 means none."""
    url = client.url(f"/repos/{full_name}/readme")
    reply = client.get(url, allow=(404,), tag=Tag(repository_id=repo_id), accept=README_MEDIA_TYPE)
    if reply.status != 200:
        return ReadmeRef(None)
    stored = client.store.stored(url)
    return ReadmeRef(url, stored.etag if stored else None)


def _stored_profiles(client: GitHubClient, owners: tuple[str, ...]) -> dict[str, OwnerProfile]:
    """Each owner's profile, from the `/users/{login}` answer the listing stored."""
    profiles = {}
    for owner in owners:
        body = client.store.body(client.url(f"/users/{owner}"))
        profile = OwnerProfile.from_github(json.loads(body)) if body else None
        if profile is not None:
            profiles[owner.lower()] = profile
    return profiles


def _post(client: GitHubClient, settings: GitHubSettings, payload: dict, fetched: ContentFetch) -> dict | None:
    """One GraphQL query; None (and a note) when GitHub did not answer it."""
    fetched.graphql_requests += 1
    try:
        answer = client.post_graphql(graphql.endpoint(settings.api_url), payload)
    except Aborted:
        raise
    except GitHubError as error:
        fetched.notes.append(f"GraphQL failed, previous values kept: {error}")
        return None
    rate = graphql.parse_rate_limit(answer.get("data") if isinstance(answer, dict) else None)
    if rate is not None:
        fetched.graphql_cost += rate.cost
    return answer if isinstance(answer, dict) else None


def _fetch_pins(client: GitHubClient, settings: GitHubSettings, snapshot: Snapshot,
                profiles: dict[str, OwnerProfile], fetched: ContentFetch) -> dict[int, list[int]]:
    """Every owner's pins in GitHub's order, asked in the nightly run (and until they are known); a
    pinned public repository of another account joins the snapshot. An owner whose pins are not
    asked, or unknown, keeps the stored ones (and their repositories)."""
    pins: dict[int, list[int]] = {}
    with client.store.engine.connect() as connection:
        known = set(connection.scalars(select(Owner.id).where(Owner.pins_known.is_(True))))
    for owner in snapshot.plan.listed:
        profile = profiles.get(owner.lower())
        if profile is not None and profile.id in known and not snapshot.plan.recheck:
            _keep_stored_pins(client, snapshot, profile.id)
            continue
        answer = _post(client, settings, graphql.pins_request(owner), fetched) if profile else None
        parsed = graphql.parse_pins(owner, answer) if answer is not None else None
        if parsed is None or parsed.repositories is None or parsed.rate_limited:
            if parsed is not None:
                fetched.notes.append(f"pins of {owner} unknown this run, previous ones kept: "
                                     + "; ".join(e.message for e in parsed.errors[:3]))
            if profile:
                _keep_stored_pins(client, snapshot, profile.id)
            if parsed is not None and parsed.rate_limited:
                break
            continue
        pins[profile.id] = [pin.database_id for pin in parsed.repositories]
        for pin in parsed.repositories:
            if pin.database_id not in snapshot.repos and not pin.private and pin.visibility == "public":
                _add_pinned(client, snapshot, pin)
    return pins


def _keep_stored_pins(client: GitHubClient, snapshot: Snapshot, owner_id: int) -> None:
    """Pinned repositories of other accounts stay published until the owner's pins are asked again."""
    listed = {owner.lower() for owner in snapshot.plan.listed}
    with client.store.engine.connect() as connection:
        stored = connection.execute(
            select(Repository.id, Repository.owner_login).join(Pin, Pin.repository_id == Repository.id)
            .where(Pin.owner_id == owner_id)
        ).all()
    snapshot.skipped_ids.update(rid for rid, login in stored if login.lower() not in listed and rid not in snapshot.repos)


def _add_pinned(client: GitHubClient, snapshot: Snapshot, pin: graphql.PinnedRepository) -> None:
    """A pinned repository of another account, mirrored as its real owner's (public ones only)."""
    entry = fetch_target(client, Target(pin.owner, pin.database_id, pin.full_name))
    if entry is None or is_private(entry):
        return
    try:
        row = parse_repository(entry)
    except BadShape as error:
        snapshot.skipped.append(f"{pin.full_name}: {error}")
        return
    data = RepoData.of(row, entry.get("node_id") if isinstance(entry.get("node_id"), str) else None, changed=True)
    try:
        data.details = fetch_details(client, row["id"], row["full_name"])
    except Skip as skip:
        snapshot.skipped.append(f"{row['full_name']}: {skip}")
        snapshot.skipped_ids.add(row["id"])
        return
    snapshot.repos[row["id"]] = data


def _fetch_extras(client: GitHubClient, settings: GitHubSettings, repos: list[RepoData], fetched: ContentFetch):
    """Latest release, social image and language colours of these repositories, 100 a query."""
    releases: dict[int, ReleaseContent | None] = {}
    images: dict[int, SocialImage] = {}
    colors: dict[str, str | None] = {}
    by_node = {data.node_id: data.row["id"] for data in repos if data.node_id}
    for ids, payload in graphql.extras_requests(by_node):
        answer = _post(client, settings, payload, fetched)
        if answer is None:
            break
        batch = graphql.parse_extras(ids, answer)
        if batch.failed:
            fetched.notes.append(f"GraphQL extras of {len(batch.failed)} repositories unknown this run, previous kept")
        for node_id, extras in batch.extras.items():
            rid = by_node[node_id]
            if "release" not in extras.unknown:
                r = extras.release
                releases[rid] = None if r is None else ReleaseContent(r.tag, r.name, r.published_at, r.url)
            if "social_image" not in extras.unknown and extras.social_image_url:
                images[rid] = SocialImage(extras.social_image_url, bool(extras.social_image_custom))
            if "languages" not in extras.unknown:
                colors.update((share.name, share.color) for share in extras.languages)
        if batch.rate_limited:
            fetched.notes.append("GraphQL rate limit reached: the remaining extras keep their previous values")
            break
    return releases, images, colors
