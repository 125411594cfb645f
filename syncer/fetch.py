"""Fetch what GitHub holds for the configured owners into a snapshot; nothing published is written here.

`fetch_*` functions return what they fetched (or raise `Skip` with the reason a repository must
be left as it is); the bodies of languages and contributors stay in the response store, where
the publish reads them back.
"""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.config import GitHubSettings
from syncer.errors import GitHubError
from syncer.github import GitHubClient
from syncer.parse import BadShape, is_private, parse_repository
from syncer.responses import Tag

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (repositories done, repositories to do)


class Skip(Exception):
    """GitHub will not give this repository's details now (404, 451): its published rows stay as they are."""


@dataclass(frozen=True)
class Known:
    """What is published about a repository, to ask GitHub only for what can have changed."""

    pushed_at: datetime | None
    full_name: str = ""
    contributors_status: str = "ok"
    readme_missing: bool = False  # GitHub answered 404 for its README


@dataclass(frozen=True)
class Details:
    """Where a repository's languages and contributor pages are stored, and how GitHub answered."""

    languages_url: str
    contributor_urls: tuple[str, ...]
    contributors_status: str  # "ok", "empty" (204) or "unavailable" (403: too large to list)


@dataclass
class RepoData:
    """One repository as GitHub shows it now; `details` is None when they were not fetched again
    (unchanged since the last sync): the published rows stay as they are.

    Its row (and GraphQL id) are kept pickled, in one bytes object: the strings of a row are cut
    from a parsed list page, and 10,000 rows of them kept those pages' memory from being reused
    (about 25 MB, against 5 MB packed).
    """

    packed: bytes
    details: Details | None = None
    changed: bool = False  # new, pushed or renamed since the last sync, or named by a webhook: its extras are asked too

    @classmethod
    def of(cls, row: dict[str, Any], node_id: str | None = None, *, changed: bool = False) -> RepoData:
        return cls(pickle.dumps((row, node_id), pickle.HIGHEST_PROTOCOL), changed=changed)

    @property
    def row(self) -> dict[str, Any]:
        """The `repositories` row (a new dict at each call)."""
        return pickle.loads(self.packed)[0]

    @property
    def node_id(self) -> str | None:
        """GraphQL's id, to ask for the extras."""
        return pickle.loads(self.packed)[1]


@dataclass(frozen=True)
class Target:
    """One repository to ask GitHub about by itself (a webhook said it changed).

    Asked by id when the id is known: that survives renames and transfers."""

    owner: str
    repository_id: int | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class Plan:
    """What one run asks GitHub for, and what its answer replaces.

    `listed` are the owners whose whole repository list is fetched (a repository of theirs that
    is not in it leaves); `targets` are repositories asked one by one; `recheck` asks every listed
    repository's details again (conditionally) rather than only those pushed since; `ask_owners`
    asks who each owner is rather than trusting the stored answer; `full` marks a sync that makes
    the dataset synced; `everything` one whose answer is the whole truth: every other repository
    leaves and stored responses of what is gone are pruned.
    """

    listed: tuple[str, ...]
    targets: tuple[Target, ...] = ()
    recheck: bool = False
    ask_owners: bool = True
    full: bool = False
    everything: bool = False

    @classmethod
    def full_sync(cls, settings: GitHubSettings, owners: tuple[str, ...] = (), *, recheck: bool = False) -> Plan:
        """Everyone (or `owners` only); with `recheck`, every repository's details again (the nightly
        run, when a token makes the 304s free), else only of those pushed since."""
        return cls(listed=owners or settings.owners, recheck=recheck, full=True, everything=not owners)

    @classmethod
    def refresh(cls, settings: GitHubSettings) -> Plan:
        """Every owner's list pages, conditionally; details only of what was pushed since."""
        return cls(listed=settings.owners, ask_owners=False)

    @classmethod
    def targeted(cls, targets: tuple[Target, ...], owners: tuple[str, ...] = ()) -> Plan:
        """These repositories (and these owners' lists); nothing else is touched."""
        return cls(listed=owners, targets=targets, recheck=True, ask_owners=False)


@dataclass
class Snapshot:
    """Everything a sync publishes, fetched before anything is published."""

    plan: Plan
    repos: dict[int, RepoData] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # "owner/name: reason"
    skipped_ids: set[int] = field(default_factory=set)  # keep their published rows as they are
    gone_ids: set[int] = field(default_factory=set)  # targets GitHub no longer shows us
    gone_names: set[str] = field(default_factory=set)  # the same, known by name only (lower-cased)


def fetch_snapshot(
    client: GitHubClient,
    settings: GitHubSettings,
    known: dict[int, Known],
    plan: Plan,
    *,
    progress: Progress | None = None,
) -> Snapshot:
    """List the planned owners' repositories, ask for the targets, and fetch the details needed.

    `known` is what is published per repository id: a listed repository whose last push is the
    same keeps its details unless the plan rechecks everyone (conditionally: free when unchanged;
    contributors GitHub would not list are not asked again until a push). Detail requests start as
    soon as a list page arrives, on `settings.workers` threads.
    """
    snapshot = Snapshot(plan=plan)
    with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="fetch") as pool:
        futures: dict[Future[Details], RepoData] = {}
        try:
            for owner in plan.listed:
                for entry in list_repositories(client, owner, ask=plan.ask_owners):
                    data = _take_entry(snapshot, entry, settings)
                    if data is None:
                        continue
                    row = data.row
                    data.changed = _pushed_since(row, known)
                    if plan.recheck or data.changed:
                        previous = None if data.changed else known.get(row["id"])
                        futures[pool.submit(fetch_details, client, row["id"], row["full_name"], previous)] = data
            for target, entry in zip(plan.targets, pool.map(lambda t: fetch_target(client, t), plan.targets)):
                data = _take_target(snapshot, target, entry, settings)
                if data is not None:
                    data.changed = True
                    row = data.row
                    futures[pool.submit(fetch_details, client, row["id"], row["full_name"])] = data
            log.info("%d repositories fetched, %d need languages and contributors", len(snapshot.repos), len(futures))
            for done, future in enumerate(as_completed(futures), start=1):
                data = futures[future]
                try:
                    data.details = future.result()
                except Skip as skip:
                    _skip(snapshot, data.row["id"], data.row["full_name"], str(skip))
                if progress:
                    progress(done, len(futures))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return snapshot


def _pushed_since(row: dict[str, Any], known: dict[int, Known]) -> bool:
    """New, never pushed before, pushed since the last sync, or renamed (its links hold its name)."""
    previous = known.get(row["id"])
    return (previous is None or previous.pushed_at is None or previous.pushed_at != row["pushed_at"]
            or previous.full_name != row["full_name"])


def fetch_account(client: GitHubClient, owner: str, *, ask: bool = True) -> dict[str, Any]:
    """The user or organisation `owner` (GitHub's `/users/{login}`); with `ask=False` the stored
    answer serves when there is one, at no request."""
    url = client.url(f"/users/{owner}")
    stored = None if ask else client.store.body(url)
    if stored is not None:
        return json.loads(stored)
    account = client.get(url, allow=(404,), tag=Tag(owner=owner), body=True)
    if account.status == 404 or not isinstance(account.data, dict):
        raise GitHubError(f"GitHub has no user or organisation named {owner!r} (check GITHUB_OWNERS)")
    return account.data


def list_repositories(client: GitHubClient, owner: str, *, ask: bool = True) -> Iterator[dict[str, Any]]:
    """Every repository entry of a user or an organisation, page by page."""
    tag = Tag(owner=owner)
    if fetch_account(client, owner, ask=ask).get("type") == "Organization":
        url = client.url(f"/orgs/{owner}/repos", type="all", per_page=100)
    else:
        url = client.url(f"/users/{owner}/repos", type="owner", per_page=100)
    for _, page in client.pages(url, tag=tag, body=True):
        if not isinstance(page.data, list):
            raise GitHubError(f"GitHub's repository list for {owner} is not a list")
        yield from (e for e in page.data if isinstance(e, dict))


def fetch_target(client: GitHubClient, target: Target) -> dict[str, Any] | None:
    """The repository object of one target; None when GitHub no longer shows it (404, 451)."""
    path = f"/repositories/{target.repository_id}" if target.repository_id else f"/repos/{target.full_name}"
    reply = client.get(client.url(path), allow=(404, 451), tag=Tag(repository_id=target.repository_id), body=True)
    return reply.data if reply.status == 200 and isinstance(reply.data, dict) else None


def fetch_details(client: GitHubClient, repo_id: int, full_name: str, unchanged: Known | None = None) -> Details:
    """Languages, then every page of contributors, of one repository; raises Skip.

    Of a repository `unchanged` since the last push, contributors GitHub would not list (204,
    403: answers without an ETag, never free) are not asked again: only a push changes them.
    """
    languages_url = fetch_languages(client, repo_id, full_name)
    if unchanged is not None and unchanged.contributors_status in ("empty", "unavailable"):
        return Details(languages_url, (), unchanged.contributors_status)
    status, pages = fetch_contributors(client, repo_id, full_name)
    return Details(languages_url, pages, status)


def fetch_languages(client: GitHubClient, repo_id: int, full_name: str) -> str:
    """Fetch the language byte counts; the URL they are stored under."""
    url = client.url(f"/repos/{full_name}/languages")
    reply = client.get(url, allow=(404, 451), tag=Tag(repository_id=repo_id))
    if reply.status in (404, 451):
        raise Skip(f"GitHub answered {reply.status} for its languages")
    return url


def fetch_contributors(client: GitHubClient, repo_id: int, full_name: str) -> tuple[str, tuple[str, ...]]:
    """Fetch every page of contributors: the status ("ok"; "empty" on 204; "unavailable" on 403, the
    list being too large) and the URLs of the stored pages."""
    pages: list[str] = []
    url = client.url(f"/repos/{full_name}/contributors", per_page=100)
    for page_url, page in client.pages(url, allow=(403, 404, 451), tag=Tag(repository_id=repo_id)):
        if page.status in (404, 451):
            raise Skip(f"GitHub answered {page.status} for its contributors")
        if page.status == 204:
            return "empty", ()
        if page.status == 403:
            log.info("%s: contributors unavailable (%s)", full_name, page.message)
            return "unavailable", ()
        pages.append(page_url)
    return "ok", tuple(pages)


def _take_entry(snapshot: Snapshot, entry: dict[str, Any], settings: GitHubSettings) -> RepoData | None:
    """Add one list entry to the snapshot (None when it is private or cannot be stored)."""
    name = entry.get("full_name") or entry.get("name") or "?"
    if is_private(entry) and not settings.include_private:
        return None
    try:
        row = parse_repository(entry)
    except BadShape as error:
        snapshot.skipped.append(f"{name}: {error}")
        if isinstance(entry.get("id"), int):
            snapshot.skipped_ids.add(entry["id"])
        return None
    if row["id"] in snapshot.repos:  # listed twice (an owner given twice, a transfer mid-run)
        return None
    data = RepoData.of(row, entry.get("node_id") if isinstance(entry.get("node_id"), str) else None)
    snapshot.repos[row["id"]] = data
    return data


def _take_target(snapshot: Snapshot, target: Target, entry: dict[str, Any] | None,
                 settings: GitHubSettings) -> RepoData | None:
    """Add a target's repository, or note it as gone: deleted, made private, or moved to an owner
    we do not mirror."""
    owner = (entry or {}).get("owner")
    login = owner.get("login") if isinstance(owner, dict) else None
    mirrored = isinstance(login, str) and login.lower() in {o.lower() for o in settings.owners}
    if entry is None or not mirrored or (is_private(entry) and not settings.include_private):
        snapshot.gone_ids.update(i for i in (target.repository_id, (entry or {}).get("id")) if isinstance(i, int))
        if target.full_name:
            snapshot.gone_names.add(target.full_name.lower())
        return None
    return _take_entry(snapshot, entry, settings)


def _skip(snapshot: Snapshot, repo_id: int, full_name: str, reason: str) -> None:
    log.warning("skipping %s: %s", full_name, reason)
    snapshot.repos.pop(repo_id, None)
    snapshot.skipped.append(f"{full_name}: {reason}")
    snapshot.skipped_ids.add(repo_id)
