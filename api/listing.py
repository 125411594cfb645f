"""Filter, sort and paginate the repository list the way /api/v1/repos describes."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from api.dataset import RepoView

DESCENDING_BY_DEFAULT = {"stars", "pushed", "updated", "created"}
SORT_KEYS: dict[str, Callable[[RepoView], Any]] = {
    "stars": lambda repo: repo.stars,
    "pushed": lambda repo: repo.pushed_at,
    "updated": lambda repo: repo.updated_at,
    "created": lambda repo: repo.created_at,
    "name": lambda repo: (repo.name.lower(), repo.owner.lower()),
}
FLAGS = ("fork", "archived", "featured", "pinned")
FILTERS = ("owner", "language", "topic", "q")


def pinned_order(repo: RepoView) -> tuple:
    """Pinned first by position, then the rest; each by most stars, then name."""
    return (
        repo.pinned_position is None,
        repo.pinned_position or 0,
        -repo.stars,
        repo.name.lower(),
        repo.full_name.lower(),
    )


def matches(repo: RepoView, params: dict[str, Any]) -> bool:
    if params["owner"] is not None and repo.owner.lower() != params["owner"].lower():
        return False
    if params["language"] is not None:
        wanted = params["language"].lower()
        names = [share.name for share in repo.languages] + [repo.language or ""]
        if not any(name.lower() == wanted for name in names):
            return False
    if params["topic"] is not None and params["topic"].lower() not in (topic.lower() for topic in repo.topics):
        return False
    if params["q"] is not None:
        text = params["q"].casefold()
        if text not in repo.name.casefold() and text not in (repo.description or "").casefold():
            return False
    return all(params[flag] is None or getattr(repo, flag) == params[flag] for flag in FLAGS)


def sort_repositories(repos: Sequence[RepoView], sort: str, order: str | None) -> list[RepoView]:
    """`repos` in curated order, re-sorted; ties keep name order, missing timestamps go last."""
    descending = (order or ("desc" if sort in DESCENDING_BY_DEFAULT else "asc")) == "desc"
    if sort == "curated":
        return list(reversed(repos)) if descending else list(repos)
    if sort == "pinned":
        return sorted(repos, key=pinned_order, reverse=descending)
    key = SORT_KEYS[sort]
    by_name = sorted(repos, key=SORT_KEYS["name"])
    present = [repo for repo in by_name if key(repo) is not None]
    missing = [repo for repo in by_name if key(repo) is None]
    return sorted(present, key=key, reverse=descending) + missing


@dataclass(frozen=True)
class Page:
    items: list[RepoView]
    total: int
    page: int
    per_page: int
    next_page: int | None
    prev_page: int | None


def select_page(repos: Sequence[RepoView], params: dict[str, Any]) -> Page:
    # Without a filter nothing is checked: at 10,000 repositories that was most of a page's time.
    filtered = any(params[name] is not None for name in (*FILTERS, *FLAGS))
    chosen = [repo for repo in repos if matches(repo, params)] if filtered else repos
    selected = sort_repositories(chosen, params["sort"], params["order"])
    page, per_page = params["page"], params["per_page"]
    last_page = max(1, math.ceil(len(selected) / per_page))
    start = (page - 1) * per_page
    return Page(
        items=selected[start : start + per_page],
        total=len(selected),
        page=page,
        per_page=per_page,
        next_page=page + 1 if page < last_page else None,
        prev_page=min(page - 1, last_page) if page > 1 else None,
    )
