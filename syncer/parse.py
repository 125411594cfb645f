"""GitHub JSON into the rows we store; anything malformed is cut, defaulted or refused (BadShape)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from shared.limits import MAX_DESCRIPTION, MAX_NAME, MAX_PROFILE_URL, MAX_URL


class BadShape(ValueError):
    """A GitHub object lacks what we need to store it."""


def is_private(entry: dict[str, Any]) -> bool:
    """Private, or internal to an enterprise: never public unless GITHUB_INCLUDE_PRIVATE says so."""
    return entry.get("private") is True or entry.get("visibility") in ("private", "internal")


def parse_repository(entry: dict[str, Any]) -> dict[str, Any]:
    """The `repositories` row for a GitHub repository object; BadShape when it cannot be stored."""
    repo_id = entry.get("id")
    if not isinstance(repo_id, int) or isinstance(repo_id, bool) or repo_id <= 0:
        raise BadShape("no numeric id")
    owner = entry.get("owner") if isinstance(entry.get("owner"), dict) else {}
    name, login = entry.get("name"), owner.get("login")
    if not short_text(name, MAX_NAME) or not short_text(login, MAX_NAME):
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
        "description": text(entry.get("description"), MAX_DESCRIPTION),
        "html_url": html_url if short_text(html_url, MAX_PROFILE_URL) else f"https://github.com/{full_name}",
        "homepage": text(entry.get("homepage"), MAX_URL) or None,
        "language": entry.get("language") if short_text(entry.get("language"), MAX_NAME) else None,
        "topics": [t for t in topics if short_text(t, MAX_NAME)] if isinstance(topics, list) else [],
        "stargazers_count": count(entry.get("stargazers_count")),
        "forks_count": count(entry.get("forks_count")),
        "watchers_count": count(entry.get("watchers_count")),
        "open_issues_count": count(entry.get("open_issues_count")),
        "fork": entry.get("fork") is True,
        "archived": entry.get("archived") is True,
        "private": private,
        "visibility": visibility,
        "license_spdx_id": license_.get("spdx_id") if short_text(license_.get("spdx_id"), MAX_NAME) else None,
        "license_name": license_.get("name") if short_text(license_.get("name"), 200) else None,
        "default_branch": entry.get("default_branch") if short_text(entry.get("default_branch"), 255) else None,
        "created_at": timestamp(entry.get("created_at")),
        "updated_at": timestamp(entry.get("updated_at")),
        "pushed_at": timestamp(entry.get("pushed_at")),
        "size": count(entry.get("size")),
    }


def parse_languages(data: Any) -> dict[str, int]:
    """Bytes per language from `/languages`; malformed entries are left out."""
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if short_text(k, MAX_NAME) and isinstance(v, int) and v >= 0}


def parse_contributor(entry: Any) -> dict[str, Any] | None:
    """A contributor row with its count; anonymous or malformed entries are left out."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), int) or not short_text(entry.get("login"), MAX_NAME):
        return None
    return {
        "id": entry["id"],
        "login": entry["login"],
        "avatar_url": entry.get("avatar_url") if short_text(entry.get("avatar_url"), MAX_PROFILE_URL) else None,
        "html_url": entry.get("html_url") if short_text(entry.get("html_url"), MAX_PROFILE_URL) else None,
        "type": entry.get("type") if short_text(entry.get("type"), 20) else "User",
        "contributions": count(entry.get("contributions")),
    }


def short_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
