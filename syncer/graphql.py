"""GitHub GraphQL: where it lives, the documents the sync sends, and their answers parsed into plain values.

Nothing here does I/O. The caller POSTs ``build_request(...)`` (or ``pins_request``/``extras_requests``)
as JSON to ``endpoint(api_url)`` with the token, and gives the decoded answer to ``parse_pins`` or
``parse_extras``. GraphQL reports most failures inside an HTTP 200 (``errors``, with ``data``
partial or null): the parsed results say, per owner, repository and field, what is known, so the
caller keeps its previous values for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: ``nodes(ids:)`` takes at most this many ids.
MAX_IDS = 100
#: A profile shows at most six pinned items.
MAX_PINS = 6

_RATE_LIMIT = "rateLimit { cost remaining resetAt }"

PINNED_REPOSITORIES = f"""
query PinnedRepositories($login: String!) {{
  {_RATE_LIMIT}
  repositoryOwner(login: $login) {{
    __typename
    login
    ... on User {{
      pinnedItems(first: {MAX_PINS}, types: REPOSITORY) {{ nodes {{ ...PinnedRepository }} }}
    }}
    ... on Organization {{
      pinnedItems(first: {MAX_PINS}, types: REPOSITORY) {{ nodes {{ ...PinnedRepository }} }}
    }}
  }}
}}

fragment PinnedRepository on Repository {{
  id
  databaseId
  nameWithOwner
  owner {{ __typename login }}
  isPrivate
  visibility
}}
"""

REPOSITORY_EXTRAS = f"""
query RepositoryExtras($ids: [ID!]!) {{
  {_RATE_LIMIT}
  nodes(ids: $ids) {{
    __typename
    ... on Repository {{
      id
      databaseId
      openGraphImageUrl
      usesCustomOpenGraphImage
      latestRelease {{ tagName name publishedAt url }}
      languages(first: 100, orderBy: {{ field: SIZE, direction: DESC }}) {{
        edges {{ size node {{ name color }} }}
      }}
    }}
  }}
}}
"""

#: Every document the syncer sends, by operation name (the tests validate each against GitHub's schema).
DOCUMENTS = {"PinnedRepositories": PINNED_REPOSITORIES, "RepositoryExtras": REPOSITORY_EXTRAS}

#: The fields of `RepositoryExtras` that an error can leave unknown, by their GraphQL name.
_EXTRAS_FIELDS = {
    "openGraphImageUrl": "social_image",
    "usesCustomOpenGraphImage": "social_image",
    "latestRelease": "release",
    "languages": "languages",
}


def endpoint(api_url: str) -> str:
    """GraphQL's URL: ``…/api/v3`` (GitHub Enterprise Server) becomes ``…/api/graphql``, else ``/graphql`` is appended."""
    api_url = api_url.rstrip("/")
    if api_url.endswith("/api/v3"):
        return api_url.removesuffix("/v3") + "/graphql"
    return api_url + "/graphql"


def build_request(document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of one GraphQL POST."""
    return {"query": document, "variables": dict(variables)}


def pins_request(login: str) -> dict[str, Any]:
    return build_request(PINNED_REPOSITORIES, {"login": login})


def extras_requests(node_ids: Iterable[str]) -> list[tuple[list[str], dict[str, Any]]]:
    """``(ids, body)`` for each batch of at most `MAX_IDS` repositories, by their REST ``node_id``.

    Give each batch's ``ids`` with its answer to `parse_extras`.
    """
    ids = list(dict.fromkeys(node_ids))
    batches = [ids[start : start + MAX_IDS] for start in range(0, len(ids), MAX_IDS)]
    return [(batch, build_request(REPOSITORY_EXTRAS, {"ids": batch})) for batch in batches]


@dataclass(frozen=True)
class GraphQLError:
    """One entry of an answer's ``errors``: ``type`` is e.g. NOT_FOUND or RATE_LIMITED (None for timeouts)."""

    message: str
    type: str | None = None
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class RateLimit:
    """The answer's ``rateLimit``: what the query cost and what is left until ``reset_at``."""

    cost: int
    remaining: int
    reset_at: datetime


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What every parsed answer carries besides its data."""

    errors: tuple[GraphQLError, ...] = ()
    rate_limit: RateLimit | None = None

    @property
    def rate_limited(self) -> bool:
        """GitHub refused the query for the rate limit; ``X-RateLimit-Reset`` says when to ask again."""
        return any(error.type == "RATE_LIMITED" for error in self.errors)


@dataclass(frozen=True)
class PinnedRepository:
    """One pinned repository, possibly of another account: ``owner`` is its real owner."""

    position: int  # 1 ... 6, in the profile's order
    node_id: str
    database_id: int
    full_name: str
    owner: str
    owner_type: str  # "User" or "Organization"
    private: bool
    visibility: str  # "public", "private" or "internal", as in REST


@dataclass(frozen=True, kw_only=True)
class Pins(Answer):
    """An owner's pinned repositories; ``repositories`` is None when unknown (keep the previous pins)."""

    login: str
    repositories: tuple[PinnedRepository, ...] | None = None


@dataclass(frozen=True)
class Release:
    tag: str
    name: str | None
    published_at: datetime | None
    url: str


@dataclass(frozen=True)
class LanguageShare:
    name: str
    size: int  # bytes
    color: str | None  # "#3572A5"; None when GitHub has no colour for it


@dataclass(frozen=True)
class RepositoryExtras:
    """GraphQL-only facts of one repository. Fields named in ``unknown`` failed: keep their previous values."""

    node_id: str
    database_id: int | None
    social_image_url: str | None
    social_image_custom: bool | None
    release: Release | None
    languages: tuple[LanguageShare, ...]
    unknown: frozenset[str] = frozenset()  # of "social_image", "release", "languages"


@dataclass(frozen=True, kw_only=True)
class ExtrasBatch(Answer):
    """One batch: ``extras`` by node id; ``gone`` were not found (deleted); ``failed`` are unknown entirely."""

    extras: dict[str, RepositoryExtras] = field(default_factory=dict)
    gone: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()


def parse_errors(answer: Mapping[str, Any]) -> tuple[GraphQLError, ...]:
    return tuple(
        GraphQLError(
            message=str(error.get("message", "")),
            type=error.get("type"),
            path=tuple(error.get("path") or ()),
        )
        for error in answer.get("errors") or ()
        if isinstance(error, Mapping)
    )


def parse_rate_limit(data: Mapping[str, Any] | None) -> RateLimit | None:
    value = (data or {}).get("rateLimit")
    if not value:
        return None
    return RateLimit(int(value["cost"]), int(value["remaining"]), _timestamp(value["resetAt"]))


def parse_pins(login: str, answer: Mapping[str, Any]) -> Pins:
    """Parse a `PINNED_REPOSITORIES` answer for ``login``."""
    errors = parse_errors(answer)
    data = answer.get("data") or None
    common = {"errors": errors, "rate_limit": parse_rate_limit(data), "login": login}
    owner = (data or {}).get("repositoryOwner")
    failed = any(error.path[:1] in ((), ("repositoryOwner",)) for error in errors)
    if not owner or failed or not isinstance(owner.get("pinnedItems"), Mapping):
        return Pins(**common)
    nodes = [node for node in owner["pinnedItems"].get("nodes") or () if node]
    repositories = tuple(
        PinnedRepository(
            position=position,
            node_id=node["id"],
            database_id=int(node["databaseId"]),
            full_name=node["nameWithOwner"],
            owner=node["owner"]["login"],
            owner_type=node["owner"]["__typename"],
            private=bool(node["isPrivate"]),
            visibility=str(node["visibility"]).lower(),
        )
        for position, node in enumerate(nodes, start=1)
    )
    return Pins(**common, repositories=repositories)


def parse_extras(node_ids: Sequence[str], answer: Mapping[str, Any]) -> ExtrasBatch:
    """Parse a `REPOSITORY_EXTRAS` answer for the batch ``node_ids`` (in the order they were sent)."""
    errors = parse_errors(answer)
    data = answer.get("data") or None
    nodes = (data or {}).get("nodes")
    common = {"errors": errors, "rate_limit": parse_rate_limit(data)}
    if not isinstance(nodes, list) or len(nodes) != len(node_ids):
        return ExtrasBatch(**common, failed=frozenset(node_ids))
    if any(error.path[:1] in ((), ("nodes",)) and len(error.path) < 2 for error in errors):
        return ExtrasBatch(**common, failed=frozenset(node_ids))
    by_index: dict[int, list[GraphQLError]] = {}
    for error in errors:
        if len(error.path) >= 2 and error.path[0] == "nodes" and isinstance(error.path[1], int):
            by_index.setdefault(error.path[1], []).append(error)
    extras, gone, failed = {}, set(), set()
    for index, (node_id, node) in enumerate(zip(node_ids, nodes)):
        node_errors = by_index.get(index, [])
        whole = [error for error in node_errors if len(error.path) == 2]
        if any(error.type == "NOT_FOUND" for error in whole):
            gone.add(node_id)
        elif whole or not node or node.get("__typename") != "Repository":
            failed.add(node_id)
        else:
            unknown = frozenset(
                _EXTRAS_FIELDS.get(str(error.path[2]), str(error.path[2])) for error in node_errors
            )
            extras[node_id] = _repository_extras(node_id, node, unknown)
    return ExtrasBatch(**common, extras=extras, gone=frozenset(gone), failed=frozenset(failed))


def _repository_extras(node_id: str, node: Mapping[str, Any], unknown: frozenset[str]) -> RepositoryExtras:
    release = node.get("latestRelease")
    edges = (node.get("languages") or {}).get("edges") or ()
    return RepositoryExtras(
        node_id=node_id,
        database_id=node.get("databaseId"),
        social_image_url=node.get("openGraphImageUrl"),
        social_image_custom=node.get("usesCustomOpenGraphImage"),
        release=(
            Release(
                tag=release["tagName"],
                name=release.get("name"),
                published_at=_timestamp(release["publishedAt"]) if release.get("publishedAt") else None,
                url=release["url"],
            )
            if release
            else None
        ),
        languages=tuple(
            LanguageShare(edge["node"]["name"], int(edge["size"]), edge["node"].get("color"))
            for edge in edges
            if edge and edge.get("node")
        ),
        unknown=unknown,
    )


def _timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
