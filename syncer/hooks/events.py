"""What each GitHub webhook event asks us to refresh, read from its payload (a trigger, never data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Events and the actions that change what we mirror (None: every action, or the event has none).
EVENTS: dict[str, frozenset[str] | None] = {
    "push": None,
    "repository": frozenset(
        {"created", "deleted", "archived", "unarchived", "edited", "renamed", "transferred", "publicized", "privatized"}
    ),
    "star": None,
    "release": None,
    "public": None,
    "fork": None,
    "member": None,
    "issues": frozenset({"opened", "closed", "reopened", "deleted", "transferred"}),  # open_issues_count
    "pull_request": frozenset({"opened", "closed", "reopened"}),  # GitHub counts open pull requests as issues
    "organization": frozenset({"renamed", "deleted", "member_added", "member_removed"}),
}


class BadPayload(Exception):
    """The payload lacks what its event needs; the message says what."""


@dataclass(frozen=True)
class Target:
    """A repository (`repository_id` set) or a whole owner (`repository_id` None) to refresh.

    `logins` are the accounts the delivery is about: the current owner and any former one.
    """

    logins: tuple[str, ...]
    repository_id: int | None = None
    name: str | None = None
    full_name: str | None = None


def wanted(event: str, action: str | None) -> bool:
    """Whether a delivery of `event` with `action` can change published data."""
    if event not in EVENTS:
        return False
    actions = EVENTS[event]
    return actions is None or action in actions


def targets(event: str, payload: Any) -> list[Target]:
    """The refreshes a wanted delivery asks for; raises BadPayload when its fields are missing."""
    if not isinstance(payload, dict):
        raise BadPayload("the payload is not a JSON object")
    if event == "organization":
        return [Target(logins=_organization_logins(payload))]
    if event == "fork":
        forked = _repository(payload, "repository")
        return [forked, _repository(payload, "forkee")]
    if event == "repository" and payload.get("action") == "transferred":
        return [_repository(payload, "repository", former_owner=_former_owner(payload))]
    return [_repository(payload, "repository")]


def action_of(payload: Any) -> str | None:
    action = payload.get("action") if isinstance(payload, dict) else None
    return action[:50] if isinstance(action, str) else None


def _repository(payload: dict, key: str, former_owner: str | None = None) -> Target:
    repo = payload.get(key)
    if not isinstance(repo, dict):
        raise BadPayload(f"{key}: expected a repository object")
    repo_id, name, full_name = repo.get("id"), repo.get("name"), repo.get("full_name")
    login = _dig(repo, "owner", "login")
    if not isinstance(repo_id, int) or isinstance(repo_id, bool) or repo_id < 1:
        raise BadPayload(f"{key}.id: expected a positive integer")
    for field, value in (("name", name), ("full_name", full_name), ("owner.login", login)):
        if not isinstance(value, str) or not value:
            raise BadPayload(f"{key}.{field}: expected a string")
    logins = (login,) if former_owner is None else (login, former_owner)
    return Target(logins=logins, repository_id=repo_id, name=name[:100], full_name=full_name[:201])


def _dig(value: Any, *keys: str) -> Any:
    """value[k1][k2]..., or None where a level is missing or not an object."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _former_owner(payload: dict) -> str | None:
    """The owner a transferred repository came from (changes.owner.from.user or .organization)."""
    for kind in ("organization", "user"):
        login = _dig(payload, "changes", "owner", "from", kind, "login")
        if isinstance(login, str) and login:
            return login
    return None


def _organization_logins(payload: dict) -> tuple[str, ...]:
    login = _dig(payload, "organization", "login")
    if not isinstance(login, str) or not login:
        raise BadPayload("organization.login: expected a string")
    former = _dig(payload, "changes", "login", "from")
    return (login, former) if isinstance(former, str) and former else (login,)
