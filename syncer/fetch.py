"""Fetch what GitHub holds for the configured owners into a snapshot; nothing is written here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from shared.config import GitHubSettings
from syncer.github import GitHubClient, GitHubError

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 4000  # GitHub allows 350; anything longer is cut, not refused
MAX_URL = 2000


@dataclass(frozen=True)
class Known:
    """What the database already holds about a repository, to skip unchanged ones."""

    pushed_at: datetime | None


@dataclass
class RepoData:
    """One repository as GitHub shows it now.

    `languages` and `contributors` are None when the repository is unchanged since the last
    sync (same `pushed_at`): the stored rows stay as they are.
    """

    row: dict[str, Any]
    languages: dict[str, int] | None = None
    contributors: list[dict[str, Any]] | None = None


@dataclass
class Snapshot:
    """Everything a sync publishes, fetched before anything is written."""

    owners: tuple[str, ...]
    repos: dict[int, RepoData] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # "owner/name: reason"
    skipped_ids: set[int] = field(default_factory=set)  # keep their published rows as they are


class BadShape(ValueError):
    """A GitHub object lacks what we need to store it."""


Progress = Callable[[int, int], None]


def fetch_snapshot(
    client: GitHubClient,
    settings: GitHubSettings,
    known: dict[int, Known],
    progress: Progress | None = None,
) -> Snapshot:
    """List every owner's repositories and fetch languages and contributors of the changed ones.

    Per-repository requests start as soon as a list page arrives, on a pool of
    `settings.workers` threads; languages and contributors are separate tasks.
    """
    snapshot = Snapshot(owners=settings.owners)
    with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="fetch") as pool:
        futures: dict[Future, RepoData] = {}
        try:
            for owner in settings.owners:
                for entry in list_repositories(client, owner):
                    data = _take_entry(snapshot, entry, settings)
                    if data is not None and _changed(data, known):
                        futures[pool.submit(fetch_languages, client, data)] = data
                        futures[pool.submit(fetch_contributors, client, data)] = data
            log.info("%d repositories listed, %d need languages and contributors",
                     len(snapshot.repos), len(futures) // 2)
            done = 0
            for future in as_completed(futures):
                skip_reason = future.result()
                data = futures[future]
                if skip_reason and data.row["id"] not in snapshot.skipped_ids:
                    _skip(snapshot, data.row["id"], data.row["full_name"], skip_reason)
                done += 1
                if progress and done % 2 == 0:
                    progress(done // 2, len(futures) // 2)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return snapshot


def _changed(data: RepoData, known: dict[int, Known]) -> bool:
    """A repository needs its languages and contributors again unless its last push is the same."""
    previous = known.get(data.row["id"])
    return previous is None or previous.pushed_at is None or previous.pushed_at != data.row["pushed_at"]


def list_repositories(client: GitHubClient, owner: str) -> Iterator[dict[str, Any]]:
    """Every repository entry of a user or an organisation, page by page."""
    account = client.get(client.url(f"/users/{owner}"), allow=(404,))
    if account.status == 404:
        raise GitHubError(f"GitHub has no user or organisation named {owner!r} (check GITHUB_OWNERS)")
    if isinstance(account.data, dict) and account.data.get("type") == "Organization":
        url = client.url(f"/orgs/{owner}/repos", type="all", per_page=100)
    else:
        url = client.url(f"/users/{owner}/repos", type="owner", per_page=100)
    for page in client.pages(url):
        if not isinstance(page.data, list):
            raise GitHubError(f"GitHub's repository list for {owner} is not a list")
        yield from (e for e in page.data if isinstance(e, dict))


def fetch_languages(client: GitHubClient, data: RepoData) -> str | None:
    """Fill in the language byte counts; returns a reason when the repository must be skipped."""
    reply = client.get(client.url(f"/repos/{data.row['full_name']}/languages"), allow=(404, 451))
    if reply.status in (404, 451):
        return f"GitHub answered {reply.status} for its languages"
    data.languages = _languages(reply.data)
    return None


def fetch_contributors(client: GitHubClient, data: RepoData) -> str | None:
    """Fill in every page of contributors (204: none; 403: too large to list, kept as unavailable)."""
    contributors: list[dict[str, Any]] = []
    status = "ok"
    url = client.url(f"/repos/{data.row['full_name']}/contributors", per_page=100)
    for page in client.pages(url, allow=(403, 404, 451)):
        if page.status in (404, 451):
            return f"GitHub answered {page.status} for its contributors"
        if page.status == 204:
            status = "empty"
            break
        if page.status == 403:
            status = "unavailable"
            log.info("%s: contributors unavailable (%s)", data.row["full_name"], page.message)
            break
        contributors.extend(c for c in map(_contributor, page.data or []) if c is not None)
    data.row["contributors_status"] = status
    data.contributors = contributors
    return None


def _take_entry(snapshot: Snapshot, entry: dict[str, Any], settings: GitHubSettings) -> RepoData | None:
    """Add one list entry to the snapshot (None when it is private or cannot be stored)."""
    name = entry.get("full_name") or entry.get("name") or "?"
    is_private = entry.get("private") is True or entry.get("visibility") in ("private", "internal")
    if is_private and not settings.include_private:
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


def parse_repository(entry: dict[str, Any]) -> dict[str, Any]:
    """The `repositories` row for a GitHub repository object; BadShape when it cannot be stored."""
    repo_id = entry.get("id")
    if not isinstance(repo_id, int) or isinstance(repo_id, bool) or repo_id <= 0:
        raise BadShape("no numeric id")
    owner = entry.get("owner") if isinstance(entry.get("owner"), dict) else {}
    name, login = entry.get("name"), owner.get("login")
    if not _short_text(name, 100) or not _short_text(login, 100):
        raise BadShape("missing or overlong name or owner login")
    full_name = f"{login}/{name}"
    license_ = entry.get("license") if isinstance(entry.get("license"), dict) else {}
    private = entry.get("private") is True
    visibility = entry.get("visibility")
    if visibility not in ("public", "private", "internal"):
        visibility = "private" if private else "public"
    html_url = entry.get("html_url")
    topics = entry.get("topics")
    return {
        "id": repo_id,
        "owner_login": login,
        "name": name,
        "full_name": full_name,
        "description": _text(entry.get("description"), MAX_DESCRIPTION),
        "html_url": html_url if _short_text(html_url, 500) else f"https://github.com/{full_name}",
        "homepage": _text(entry.get("homepage"), MAX_URL) or None,
        "language": entry.get("language") if _short_text(entry.get("language"), 100) else None,
        "topics": [t for t in topics if _short_text(t, 100)] if isinstance(topics, list) else [],
        "stargazers_count": _count(entry.get("stargazers_count")),
        "forks_count": _count(entry.get("forks_count")),
        "watchers_count": _count(entry.get("watchers_count")),
        "open_issues_count": _count(entry.get("open_issues_count")),
        "fork": entry.get("fork") is True,
        "archived": entry.get("archived") is True,
        "private": private,
        "visibility": visibility,
        "license_spdx_id": license_.get("spdx_id") if _short_text(license_.get("spdx_id"), 100) else None,
        "license_name": license_.get("name") if _short_text(license_.get("name"), 200) else None,
        "default_branch": entry.get("default_branch") if _short_text(entry.get("default_branch"), 255) else None,
        "created_at": _timestamp(entry.get("created_at")),
        "updated_at": _timestamp(entry.get("updated_at")),
        "pushed_at": _timestamp(entry.get("pushed_at")),
        "size": _count(entry.get("size")),
    }


def _languages(data: Any) -> dict[str, int]:
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if _short_text(k, 100) and isinstance(v, int) and v >= 0}


def _contributor(entry: Any) -> dict[str, Any] | None:
    """A contributor row with its count; anonymous or malformed entries are left out."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), int) or not _short_text(entry.get("login"), 100):
        return None
    return {
        "id": entry["id"],
        "login": entry["login"],
        "avatar_url": entry.get("avatar_url") if _short_text(entry.get("avatar_url"), 500) else None,
        "html_url": entry.get("html_url") if _short_text(entry.get("html_url"), 500) else None,
        "type": entry.get("type") if _short_text(entry.get("type"), 20) else "User",
        "contributions": _count(entry.get("contributions")),
    }


def _short_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
