"""Fetch what GitHub holds for the configured owners into a snapshot; nothing published is written here.

`fetch_*` functions return what they fetched (or raise `Skip` with the reason a repository must
be left as it is); the bodies of languages and contributors stay in the response store, where
the publish reads them back.
"""

from __future__ import annotations

import logging
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
class Details:
    """Where a repository's languages and contributor pages are stored, and how GitHub answered."""

    languages_url: str
    contributor_urls: tuple[str, ...]
    contributors_status: str  # "ok", "empty" (204) or "unavailable" (403: too large to list)


@dataclass
class RepoData:
    """One repository as GitHub shows it now; `details` is None when they were not fetched again
    (unchanged since the last sync): the published rows stay as they are."""

    row: dict[str, Any]
    details: Details | None = None


@dataclass
class Snapshot:
    """Everything a sync publishes, fetched before anything is published."""

    owners: tuple[str, ...]
    repos: dict[int, RepoData] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # "owner/name: reason"
    skipped_ids: set[int] = field(default_factory=set)  # keep their published rows as they are


def fetch_snapshot(
    client: GitHubClient,
    settings: GitHubSettings,
    pushed: dict[int, datetime | None],
    *,
    recheck: bool = False,
    progress: Progress | None = None,
) -> Snapshot:
    """List every owner's repositories and fetch the details of those that changed.

    `pushed` is the published `pushed_at` per repository id: a repository whose last push is the
    same keeps its details, unless `recheck` asks for everyone's again (conditionally: free when
    unchanged). Detail requests start as soon as a list page arrives, on `settings.workers` threads.
    """
    snapshot = Snapshot(owners=settings.owners)
    with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="fetch") as pool:
        futures: dict[Future[Details], RepoData] = {}
        try:
            for owner in settings.owners:
                for entry in list_repositories(client, owner):
                    data = _take_entry(snapshot, entry, settings)
                    if data is not None and (recheck or _pushed_since(data, pushed)):
                        futures[pool.submit(fetch_details, client, data.row["id"], data.row["full_name"])] = data
            log.info("%d repositories listed, %d need languages and contributors", len(snapshot.repos), len(futures))
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


def _pushed_since(data: RepoData, pushed: dict[int, datetime | None]) -> bool:
    """New, never pushed before, or pushed since the last sync."""
    previous = pushed.get(data.row["id"])
    return previous is None or previous != data.row["pushed_at"]


def list_repositories(client: GitHubClient, owner: str) -> Iterator[dict[str, Any]]:
    """Every repository entry of a user or an organisation, page by page."""
    tag = Tag(owner=owner)
    account = client.get(client.url(f"/users/{owner}"), allow=(404,), tag=tag, body=True)
    if account.status == 404:
        raise GitHubError(f"GitHub has no user or organisation named {owner!r} (check GITHUB_OWNERS)")
    if isinstance(account.data, dict) and account.data.get("type") == "Organization":
        url = client.url(f"/orgs/{owner}/repos", type="all", per_page=100)
    else:
        url = client.url(f"/users/{owner}/repos", type="owner", per_page=100)
    for _, page in client.pages(url, tag=tag, body=True):
        if not isinstance(page.data, list):
            raise GitHubError(f"GitHub's repository list for {owner} is not a list")
        yield from (e for e in page.data if isinstance(e, dict))


def fetch_details(client: GitHubClient, repo_id: int, full_name: str) -> Details:
    """Languages, then every page of contributors, of one repository; raises Skip."""
    languages_url = fetch_languages(client, repo_id, full_name)
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
    data = RepoData(row)
    snapshot.repos[row["id"]] = data
    return data


def _skip(snapshot: Snapshot, repo_id: int, full_name: str, reason: str) -> None:
    log.warning("skipping %s: %s", full_name, reason)
    snapshot.repos.pop(repo_id, None)
    snapshot.skipped.append(f"{full_name}: {reason}")
    snapshot.skipped_ids.add(repo_id)
