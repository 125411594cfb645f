"""The JSON shapes the API answers with, as the OpenAPI document's schemas describe them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from api.dataset import Contribution, ContributorTotal, Dataset, Detail, OwnerView, RepoView
from api.listing import Page


def timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def repository(repo: RepoView) -> dict[str, Any]:
    """What a portfolio card shows."""
    return {
        "id": repo.id,
        "owner": repo.owner,
        "name": repo.name,
        "full_name": repo.full_name,
        "description": repo.description,
        "links": {
            "github": repo.html_url,
            "homepage": repo.homepage,
            "demo": repo.demo_url,
            "videos": list(repo.video_urls),
        },
        "language": repo.language,
        "languages": [
            {"name": s.name, "bytes": s.bytes, "percent": s.percent, "color": s.color} for s in repo.languages
        ],
        "topics": list(repo.topics),
        "stars": repo.stars,
        "forks": repo.forks,
        "watchers": repo.watchers,
        "open_issues": repo.open_issues,
        "fork": repo.fork,
        "archived": repo.archived,
        "private": repo.private,
        "visibility": repo.visibility,
        "featured": repo.featured,
        "license": (
            {"spdx_id": repo.license_spdx_id, "name": repo.license_name}
            if repo.license_spdx_id or repo.license_name
            else None
        ),
        "default_branch": repo.default_branch,
        "created_at": timestamp(repo.created_at),
        "updated_at": timestamp(repo.updated_at),
        "pushed_at": timestamp(repo.pushed_at),
        "contributors_status": repo.contributors_status,
        "contributors_count": repo.contributors_count,
        "pinned": repo.pinned,
        "pinned_position": repo.pinned_position,
        "release": (
            None
            if repo.release is None
            else {
                "tag": repo.release.tag,
                "name": repo.release.name,
                "published_at": timestamp(repo.release.published_at),
                "url": repo.release.url,
            }
        ),
        "social_image": (
            None if repo.social_image is None else {"url": repo.social_image.url, "custom": repo.social_image.custom}
        ),
    }


def person(someone: Contribution | ContributorTotal) -> dict[str, Any]:
    return {
        "id": someone.id,
        "login": someone.login,
        "avatar_url": someone.avatar_url,
        "html_url": someone.html_url,
        "type": someone.type,
    }


def repository_detail(repo: RepoView, detail: Detail) -> dict[str, Any]:
    contributors = None
    if detail.contributors is not None:
        contributors = [{**person(c), "contributions": c.contributions} for c in detail.contributors]
    return {**repository(repo), "contributors": contributors, "readme_html": detail.readme_html}


def repository_page(page: Page, url_of_page) -> dict[str, Any]:
    return {
        "items": [repository(repo) for repo in page.items],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "next": None if page.next_page is None else url_of_page(page.next_page),
        "prev": None if page.prev_page is None else url_of_page(page.prev_page),
    }


def language_totals(dataset: Dataset) -> dict[str, Any]:
    return {
        "items": [
            {"name": t.name, "bytes": t.bytes, "percent": t.percent, "color": t.color, "repositories": t.repositories}
            for t in dataset.languages
        ],
        "total_bytes": sum(t.bytes for t in dataset.languages),
    }


def contributor_totals(totals: tuple[ContributorTotal, ...]) -> dict[str, Any]:
    return {
        "items": [{**person(t), "contributions": t.contributions, "repositories": t.repositories} for t in totals],
        "total": len(totals),
    }


def owner(account: OwnerView) -> dict[str, Any]:
    """A mirrored account's profile; empty text is null."""
    return {
        "login": account.login,
        "id": account.id,
        "type": account.type,
        "name": account.name or None,
        "avatar_url": account.avatar_url,
        "html_url": account.html_url,
        "bio": account.bio or None,
        "blog": account.blog or None,
        "location": account.location or None,
        "company": account.company or None,
        "twitter_username": account.twitter_username or None,
        "public_repos": account.public_repos,
        "followers": account.followers,
        "following": account.following,
        "created_at": timestamp(account.created_at),
        "pinned": None if account.pinned is None else list(account.pinned),
    }


def owner_list(dataset: Dataset) -> dict[str, Any]:
    return {"items": [owner(account) for account in dataset.owners], "total": len(dataset.owners)}
