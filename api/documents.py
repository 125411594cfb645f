"""The JSON shapes the API answers with, as the OpenAPI document's schemas describe them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from api.dataset import Contribution, ContributorTotal, Dataset, RepoView
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
        "languages": [{"name": s.name, "bytes": s.bytes, "percent": s.percent} for s in repo.languages],
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
    }


def person(someone: Contribution | ContributorTotal) -> dict[str, Any]:
    return {
        "id": someone.id,
        "login": someone.login,
        "avatar_url": someone.avatar_url,
        "html_url": someone.html_url,
        "type": someone.type,
    }


def repository_detail(repo: RepoView) -> dict[str, Any]:
    contributors = None
    if repo.contributors is not None:
        contributors = [{**person(c), "contributions": c.contributions} for c in repo.contributors]
    return {**repository(repo), "contributors": contributors}


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
            {"name": t.name, "bytes": t.bytes, "percent": t.percent, "repositories": t.repositories}
            for t in dataset.languages
        ],
        "total_bytes": sum(t.bytes for t in dataset.languages),
    }


def contributor_totals(dataset: Dataset) -> dict[str, Any]:
    return {
        "items": [
            {**person(t), "contributions": t.contributions, "repositories": t.repositories}
            for t in dataset.contributors
        ],
        "total": len(dataset.contributors),
    }
