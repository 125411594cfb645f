"""A fake GitHub REST API (v3) and GraphQL API served over real HTTP on 127.0.0.1, for tests.

In-process::

    with FakeGitHub() as gh:
        gh.populate(owners=["alice", "acme-org"], n=50, seed=1)
        gh.fail(r"/contributors$", "500", times=2)
        ...  # point the client at gh.url, then assert on gh.requests / gh.snapshot()

As a process (driven by another process through the ``/_fake/*`` endpoints)::

    python -m tests.fakegithub --port 0 --repos 50 --owners alice,acme-org --base-path /api/v3
    # prints "READY http://127.0.0.1:PORT/api/v3", serves until SIGTERM/SIGINT

Served (GET only, under ``base_path``): ``/rate_limit``, ``/users/{login}``,
``/users/{login}/repos``, ``/orgs/{org}``, ``/orgs/{org}/repos``, ``/repos/{owner}/{name}``
and ``/repositories/{id}``, each of the last two with ``/languages``, ``/contributors``,
``/readme`` (by ``Accept``: rendered HTML, raw, or the JSON object with base64 ``content``)
and ``/releases/latest``.
Like GitHub it paginates with ``Link`` headers, answers conditional requests with 304,
keeps a core rate limit (authenticated 304s are free), redirects renamed repositories
with 301 to ``/repositories/{id}/...`` and matches owner and repository names case-insensitively.
HEAD, other methods and unknown paths answer 404 JSON. ``url`` and ``snapshot()`` need ``start()``.

GraphQL (POST ``graphql_url``: ``/api/graphql`` when ``base_path`` ends in ``/api/v3``, else
``base_path + /graphql``) executes the query with graphql-core against GitHub's published schema
(tests/graphql_schema.py), so only queries the real GitHub accepts are answered. It resolves
``repositoryOwner``/``user``/``organization`` (profile and ``pinnedItems``), ``node``/``nodes`` by
node id (repositories with ``latestRelease``, ``languages`` and their colours, ``openGraphImageUrl``,
``usesCustomOpenGraphImage``) and ``rateLimit``; other fields are null. Like GitHub it needs a token
(401), answers HTTP 200 with ``errors`` (NOT_FOUND with ``path`` for a gone node, RATE_LIMITED when
its own point bucket is empty) and partial ``data``, and sends ``X-RateLimit-*`` for the ``graphql``
resource; a query costs GitHub's estimate (connection requests / 100, at least 1).

Owners that do not exist yet are created on first use (``add_repo``, ``rename_repo``,
``populate``): as an ``Organization`` when the login ends in ``-org``, else as a ``User``.
Call ``add_owner`` first to choose the kind explicitly.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import graphql as gql
from graphql import FragmentSpreadNode, GraphQLError, InlineFragmentNode, value_from_ast_untyped

from tests.graphql_schema import github_schema

DOCS_URL = "https://docs.github.com/rest"
RATE_LIMIT_DOCS_URL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
DEFAULT_TIMESTAMP = "2024-01-02T03:04:05Z"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
JSON_TYPE = "application/json; charset=utf-8"
RATE_LIMIT_WINDOW = 3600.0

TOO_LARGE_MESSAGE = (
    "The history or contributor list is too large to list contributors for this repository via the API."
)
SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
README_DOCS_URL = "https://docs.github.com/rest/repos/contents#get-a-repository-readme"
RELEASE_DOCS_URL = "https://docs.github.com/rest/releases/releases#get-the-latest-release"
GRAPHQL_DOCS_URL = "https://docs.github.com/graphql"
GRAPHQL_AUTH_MESSAGE = "This endpoint requires you to be authenticated."
GRAPHQL_TIMEOUT_MESSAGE = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it could be "
    "a GitHub bug. Please include `0400:3F2E:1A2B3C:4D5E6F:675D1234` when reporting this issue."
)
#: Media types of ``GET .../readme`` (``application/vnd.github.v3.html`` and the like are the same).
README_HTML, README_RAW = "html", "raw"
#: linguist's colours for the languages ``populate`` uses; a language not listed has none (null).
LANGUAGE_COLORS = {
    "Python": "#3572A5", "JavaScript": "#f1e05a", "TypeScript": "#3178c6", "Go": "#00ADD8", "Rust": "#dea584",
    "C": "#555555", "C++": "#f34b7d", "Shell": "#89e051", "HTML": "#e34c26", "CSS": "#663399",
    "Dockerfile": "#384d54", "Makefile": "#427819", "Java": "#b07219", "Ruby": "#701516",
    "Jupyter Notebook": "#DA5B0B",
}  # fmt: skip

FAULT_KINDS = frozenset(
    {
        "500", "502_html", "timeout", "reset", "truncated", "secondary", "primary", "429", "404", "451",
        "graphql_timeout", "graphql_partial",
    }
)  # fmt: skip
#: Faults whose response replaces the real one ("timeout" delays it, "truncated" cuts it, "reset" drops
#: it, "graphql_partial" makes fields fail inside a real answer).
REPLACING_FAULTS = frozenset({"500", "502_html", "secondary", "primary", "429", "404", "451", "graphql_timeout"})
#: Methods that ``POST /_fake/call`` may invoke.
CONTROL_METHODS = frozenset(
    {
        "add_owner",
        "add_repo",
        "update_repo",
        "push",
        "rename_repo",
        "delete_repo",
        "populate",
        "set_profile",
        "pin",
        "set_readme",
        "set_release",
        "set_social_image",
        "set_rate_limit",
        "set_graphql_rate_limit",
        "fail",
        "clear_faults",
        "reset_log",
        "snapshot",
        "owners_snapshot",
    }
)
VISIBILITIES = ("public", "private", "internal")
CONTRIBUTORS_MODES = ("ok", "empty", "too_large")


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered (``status`` is None when the connection was reset)."""

    method: str
    path: str  # without base_path and query string
    query: dict[str, str]
    status: int | None
    if_none_match: str | None
    authorized: bool  # an Authorization header was present
    counted_against_limit: bool  # consumed one point of the rate limit
    fault: str | None  # the injected fault kind, if any
    headers: dict[str, str]  # as received, with the Authorization value redacted
    graphql_points: int = 0  # points of the graphql rate limit the query cost


@dataclass
class _Owner:
    login: str
    id: int
    kind: str  # "User" or "Organization"
    name: str | None = None
    bio: str | None = None  # an organisation's description
    blog: str = ""
    location: str | None = None
    company: str | None = None
    email: str | None = None
    twitter_username: str | None = None
    followers: int = 0
    following: int = 0
    created_at: str = DEFAULT_TIMESTAMP
    pins: list[int] = field(default_factory=list)  # repository ids in the profile's order


#: Profile fields ``set_profile`` may set.
_PROFILE_FIELDS = frozenset(f.name for f in fields(_Owner)) - {"login", "id", "kind", "pins"}


@dataclass
class _Repo:
    """Ground truth of one repository; ``owner`` is the owner's login."""

    id: int
    owner: str
    name: str
    description: str | None = None
    visibility: str = "public"
    fork: bool = False
    archived: bool = False
    homepage: str | None = None
    language: str | None = None
    topics: list[str] = field(default_factory=list)
    stars: int = 0
    forks: int = 0
    watchers: int | None = None  # None: follows stars, as on GitHub
    open_issues: int = 0
    license: tuple[str, str] | None = None  # (spdx_id, name)
    default_branch: str = "main"
    size: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    contributors: list[dict] = field(default_factory=list)
    contributors_mode: str = "ok"
    created_at: str = DEFAULT_TIMESTAMP
    updated_at: str = DEFAULT_TIMESTAMP
    pushed_at: str = DEFAULT_TIMESTAMP
    readme: tuple[str, str, str] | None = None  # (rendered HTML, Markdown source, path)
    release: dict | None = None  # the latest release: tag_name, name, body, published_at, id
    social_image: str | None = None  # a custom social preview image; None: GitHub's generated one


#: Fields ``add_repo``/``update_repo`` may set (``private`` is an alias handled separately).
_MUTABLE_FIELDS = frozenset(f.name for f in fields(_Repo)) - {"id", "owner", "name", "readme", "release", "social_image"}


@dataclass
class _Fault:
    pattern: re.Pattern
    kind: str
    remaining: int | None  # None: forever
    opts: dict


@dataclass
class _Request:
    method: str
    path: str
    in_base: bool
    query_string: str
    target: str  # the raw request target, base path and query included
    if_none_match: str | None
    authorized: bool
    accept: str = ""
    graphql: bool = False  # a POST to the GraphQL endpoint

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


_RESET = object()  # returned instead of a response: drop the connection


def _json_response(status: int, payload, headers: dict[str, str] | None = None) -> _Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def _error(status: int, message: str, **extra) -> _Response:
    return _json_response(
        status, {"message": message, "documentation_url": DOCS_URL, "status": str(status), **extra}
    )


def _node_id(kind: str, number: int) -> str:
    """GitHub's legacy global node id, e.g. base64("010:Repository1296269")."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def _media_kind(accept: str) -> str | None:
    """"html" or "raw" for GitHub's ``application/vnd.github[.v3].html[+json]`` and the like, else None."""
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media.startswith("application/vnd.github."):
            name = media.removeprefix("application/vnd.github.").removeprefix("v3.").split("+")[0]
            if name in (README_HTML, README_RAW):
                return name
    return None


def _parse_node_id(node_id: str) -> tuple[str | None, int | None]:
    """(kind, number) of a legacy global node id made by ``_node_id``, else (None, None)."""
    try:
        text = base64.b64decode(node_id, validate=True).decode()
        length, rest = text.split(":", 1)
        kind, number = rest[: int(length)], rest[int(length) :]
        return kind, int(number)
    except ValueError:
        return None, None


def _not_found(message: str) -> GraphQLError:
    """GitHub's error for a lookup that found nothing (returned by a resolver, it nulls that field)."""
    return GraphQLError(message, extensions={"type": "NOT_FOUND"})


def _failing_field(info, **_arguments):
    raise GraphQLError(GRAPHQL_TIMEOUT_MESSAGE)


def _language_node(name: str) -> dict:
    number = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)
    return {"__typename": "Language", "id": _node_id("Language", number), "name": name, "color": LANGUAGE_COLORS.get(name)}


def _connection(items: list, first: int | None, last: int | None) -> dict:
    """A Relay connection of ``items`` cut to ``first``/``last`` (cursors are positions)."""
    start, stop = 0, len(items)
    if first is not None:
        stop = min(stop, start + first)
    if last is not None:
        start = max(start, stop - last)
    cursors = [base64.b64encode(f"cursor:{index + 1}".encode()).decode() for index in range(start, stop)]
    page = items[start:stop]
    return {
        "totalCount": len(items),
        "nodes": page,
        "edges": [{"cursor": cursor, "node": item} for cursor, item in zip(cursors, page)],
        "pageInfo": {
            "hasNextPage": stop < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _graphql_error_json(error: GraphQLError) -> dict:
    """An error as GitHub writes it: its ``type`` (NOT_FOUND, ...) beside the message, not in extensions."""
    formatted = dict(error.formatted)
    extensions = dict(formatted.pop("extensions", None) or {})
    if "type" in extensions:
        formatted = {"type": extensions.pop("type"), **formatted}
    if extensions:
        formatted["extensions"] = extensions
    return formatted


def _query_cost(document, operation, variables: dict) -> tuple[int, int]:
    """GitHub's documented estimate: (requests to fill every connection, assuming each reaches its
    ``first``/``last``, ÷ 100 rounded, at least 1; the most nodes the query may return)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, gql.FragmentDefinitionNode)}
    requests = nodes = 0

    def walk(selection_set, multiplier: int) -> None:
        nonlocal requests, nodes
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                walk(fragments[selection.name.value].selection_set, multiplier)
                continue
            if isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, multiplier)
                continue
            arguments = {a.name.value: value_from_ast_untyped(a.value, variables) for a in selection.arguments or ()}
            inner, page, ids = multiplier, arguments.get("first") or arguments.get("last"), arguments.get("ids")
            if isinstance(page, int):
                requests += multiplier
                inner = multiplier * page
                nodes += inner
            elif isinstance(ids, list):
                inner = multiplier * len(ids)
                nodes += inner
            if selection.selection_set:
                walk(selection.selection_set, inner)

    walk(operation.selection_set, 1)
    return max(1, round(requests / 100)), nodes


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison of an If-None-Match header against ``etag``."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag == "*" or tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        return default


def _shift_timestamp(value: str, seconds: int) -> str:
    moment = datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    return (moment + timedelta(seconds=seconds)).strftime(TIMESTAMP_FORMAT)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, fake: FakeGitHub):
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        """A client that went away (a timed-out or killed syncer) is normal here, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Translates HTTP to ``FakeGitHub._handle`` and back; keeps connections alive."""

    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "GitHub.com"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track_connection(self.connection, add=True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.fake._track_connection(self.connection, add=False)

    def do_GET(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.fake._handle(self.command, self.path, self.headers, body)
        if response is _RESET:
            self._reset_connection()
        else:
            self._write(response)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _write(self, response: _Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:  # the client gave up (e.g. its timeout fired) or stop() cut the socket
            self.close_connection = True

    def _reset_connection(self) -> None:
        """Close abruptly: SO_LINGER 0 makes the kernel send RST instead of FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()  # really closed (with RST) once finish() closes rfile/wfile

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        if self.server.fake.verbose:
            super().log_message(format, *args)


class FakeGitHub:
    """A thread-safe fake GitHub: mutable ground truth + a real HTTP server serving it.

    ``latency`` (seconds, applied to every API request) may be changed at any time.
    """

    def __init__(
        self,
        base_path: str = "",
        latency: float = 0.0,
        per_page_max: int = 100,
        rate_limit: int = 5000,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
    ):
        self.base_path = ("/" + base_path.strip("/")) if base_path.strip("/") else ""
        self.latency = latency
        self.per_page_max = per_page_max
        self.verbose = verbose
        self._address = (host, port)
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._origin: str | None = None
        self._owners: dict[str, _Owner] = {}  # by lower-case login
        self._repos: dict[int, _Repo] = {}
        self._by_path: dict[tuple[str, str], int] = {}  # (owner, name) lower-cased -> live repo id
        self._redirects: dict[tuple[str, str], int] = {}  # old (owner, name) lower-cased -> repo id
        self._next_owner_id = 1
        self._next_repo_id = 1000
        self._faults: list[_Fault] = []
        self._log: list[RequestRecord] = []
        self._tokens: set[str] = set()
        self._points_spent = 0
        self._limit = rate_limit
        self._remaining = rate_limit
        self._window = RATE_LIMIT_WINDOW
        self._reset_at = time.time() + RATE_LIMIT_WINDOW
        self._graphql_limit = rate_limit
        self._graphql_remaining = rate_limit
        self._graphql_reset_at = time.time() + RATE_LIMIT_WINDOW
        self._graphql_points_spent = 0

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeGitHub:
        """Bind (port 0 by default) and serve in a daemon thread (GitHub's schema built first, once
        per process, so the first GraphQL answer is as quick as the others)."""
        github_schema()
        self._server = _Server(self._address, self)
        host, port = self._server.server_address[:2]
        self._origin = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakegithub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: cut injected sleeps short and close every open connection."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join()
        self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API root, e.g. ``http://127.0.0.1:PORT/api/v3`` (only once started)."""
        if self._origin is None:
            raise RuntimeError("FakeGitHub is not started")
        return self._origin + self.base_path

    @property
    def graphql_url(self) -> str:
        """GraphQL's URL: ``http://127.0.0.1:PORT/api/graphql`` for base path /api/v3, else ``url + /graphql``."""
        if self._origin is None:
            raise RuntimeError("FakeGitHub is not started")
        return self._origin + self._graphql_path

    @property
    def _graphql_path(self) -> str:
        if self.base_path.endswith("/api/v3"):
            return self.base_path.removesuffix("/v3") + "/graphql"
        return self.base_path + "/graphql"

    # ----------------------------------------------------------------- data

    def add_owner(self, login: str, kind: str = "User", **profile) -> int:
        """Create a user or organisation (idempotent) and return its id; ``profile`` as for ``set_profile``."""
        if kind not in ("User", "Organization"):
            raise ValueError(f"kind must be 'User' or 'Organization', not {kind!r}")
        with self._lock:
            owner = self._owners.get(login.lower())
            if owner is None:
                owner = _Owner(login, self._next_owner_id, kind)
                self._owners[login.lower()] = owner
                self._next_owner_id += 1
            self.set_profile(login, **profile)
            return owner.id

    def set_profile(self, login: str, **profile) -> None:
        """Change profile fields: name, bio (an organisation's description), blog, location, company,
        email, twitter_username, followers, following, created_at."""
        unknown = set(profile) - _PROFILE_FIELDS
        if unknown:
            raise TypeError(f"unknown profile field(s): {sorted(unknown)}")
        with self._lock:
            owner = self._owner(login)
            for name, value in profile.items():
                setattr(owner, name, value)

    def pin(self, login: str, repo_ids: list[int]) -> None:
        """Set an owner's pinned repositories, in order (at most 6; any owner's repositories)."""
        if len(repo_ids) > 6:
            raise ValueError("a profile pins at most 6 items")
        with self._lock:
            owner = self._owner(login)
            for repo_id in repo_ids:
                self._repo(repo_id)
            owner.pins = [int(repo_id) for repo_id in repo_ids]

    def set_readme(self, repo_id: int, html: str | None, markdown: str | None = None, path: str = "README.md") -> None:
        """Give a repository GitHub's rendered README ``html`` (None: no README); ``markdown`` is its source
        (served raw; defaults to the HTML, which Markdown allows)."""
        with self._lock:
            repo = self._repo(repo_id)
            repo.readme = None if html is None else (html, html if markdown is None else markdown, path)

    def set_release(
        self,
        repo_id: int,
        tag: str | None,
        name: str | None = None,
        published_at: str = DEFAULT_TIMESTAMP,
        body: str | None = None,
    ) -> None:
        """Set a repository's latest release (``tag`` None: it has none)."""
        with self._lock:
            repo = self._repo(repo_id)
            if tag is None:
                repo.release = None
                return
            release_id = 50_000_000 + repo.id * 100 + (repo.release["id"] % 100 + 1 if repo.release else 0)
            repo.release = {"id": release_id, "tag_name": tag, "name": name, "published_at": published_at, "body": body}

    def set_social_image(self, repo_id: int, url: str | None) -> None:
        """Set a custom social preview image URL (None: GitHub's generated opengraph image)."""
        with self._lock:
            self._repo(repo_id).social_image = url

    def add_repo(
        self,
        owner: str,
        name: str,
        *,
        description: str | None = None,
        private: bool = False,
        visibility: str | None = None,
        fork: bool = False,
        archived: bool = False,
        homepage: str | None = None,
        language: str | None = None,
        topics=(),
        stars: int = 0,
        forks: int = 0,
        watchers: int | None = None,
        open_issues: int = 0,
        license: tuple[str, str] | None = None,  # noqa: A002 - GitHub's field name
        default_branch: str = "main",
        size: int = 0,
        languages: dict[str, int] | None = None,
        contributors: list[dict] | None = None,
        contributors_mode: str = "ok",
        created_at: str = DEFAULT_TIMESTAMP,
        updated_at: str | None = None,
        pushed_at: str | None = None,
    ) -> int:
        """Create a repository and return its id (1000, 1001, ...).

        ``visibility`` defaults to "private"/"public" from ``private``; "internal" repos are
        private too. ``contributors`` items are ``{login, id, type ("User"/"Bot"), contributions}``.
        ``updated_at``/``pushed_at`` default to ``created_at``.
        """
        changes = {
            "description": description,
            "private": private,
            "visibility": visibility,
            "fork": fork,
            "archived": archived,
            "homepage": homepage,
            "language": language,
            "topics": topics,
            "stars": stars,
            "forks": forks,
            "watchers": watchers,
            "open_issues": open_issues,
            "license": license,
            "default_branch": default_branch,
            "size": size,
            "languages": languages,
            "contributors": contributors,
            "contributors_mode": contributors_mode,
            "created_at": created_at,
            "updated_at": updated_at or created_at,
            "pushed_at": pushed_at or created_at,
        }
        with self._lock:
            login = self._ensure_owner(owner)
            key = (login.lower(), name.lower())
            if key in self._by_path:
                raise ValueError(f"repository {login}/{name} already exists")
            repo = _Repo(self._next_repo_id, login, name)
            self._apply(repo, changes)
            self._next_repo_id += 1
            self._repos[repo.id] = repo
            self._by_path[key] = repo.id
            self._redirects.pop(key, None)
            return repo.id

    def update_repo(self, repo_id: int, **changes) -> None:
        """Change any ``add_repo`` keyword field (responses, hence ETags, change with it)."""
        with self._lock:
            self._apply(self._repo(repo_id), changes)

    def push(self, repo_id: int) -> None:
        """Simulate a push: ``pushed_at`` and ``updated_at`` move one second later."""
        with self._lock:
            repo = self._repo(repo_id)
            repo.pushed_at = _shift_timestamp(repo.pushed_at, 1)
            repo.updated_at = _shift_timestamp(repo.updated_at, 1)

    def rename_repo(self, repo_id: int, new_name: str, new_owner: str | None = None) -> None:
        """Rename and/or transfer; the old path then answers 301 to ``/repositories/{id}/...``."""
        with self._lock:
            repo = self._repo(repo_id)
            login = self._ensure_owner(new_owner) if new_owner else repo.owner
            old_key = (repo.owner.lower(), repo.name.lower())
            new_key = (login.lower(), new_name.lower())
            if self._by_path.get(new_key, repo_id) != repo_id:
                raise ValueError(f"repository {login}/{new_name} already exists")
            del self._by_path[old_key]
            self._redirects[old_key] = repo_id
            self._redirects.pop(new_key, None)
            self._by_path[new_key] = repo_id
            repo.owner, repo.name = login, new_name

    def delete_repo(self, repo_id: int) -> None:
        """Remove a repository: gone from lists and pins, 404 on its endpoints and old paths, NOT_FOUND as a node."""
        with self._lock:
            repo = self._repos.pop(repo_id)
            del self._by_path[(repo.owner.lower(), repo.name.lower())]
            self._redirects = {key: rid for key, rid in self._redirects.items() if rid != repo_id}
            for owner in self._owners.values():
                owner.pins = [pinned for pinned in owner.pins if pinned != repo_id]

    def populate(self, owners=("alice",), n: int = 50, seed: int = 1) -> list[int]:
        """Add ``n`` deterministic, varied repositories spread round-robin over ``owners``.

        For a given seed the data is always the same. Fixed positions (when ``n`` reaches them)
        guarantee the edge cases: #0 emoji and #2 CJK description, #1 has 250 contributors,
        #4 is private, #5 has an HTML-looking description, #9 answers 204 and #13 403 for
        contributors, #11 is internal (private for a user owner).
        Contributors come from one shared pool, so people appear in several repositories.
        Content comes from its own random numbers (the repositories are the same as without it):
        profiles, READMEs (#0 has one, #3 none), latest releases (#0 has one, #1 none), custom social
        images (#2), and pins: each owner its most-starred public repositories; a user also pins the
        most-starred public repository of the first organisation, when there is one.
        """
        rng = random.Random(seed)
        with self._lock:
            logins = [self._ensure_owner(login) for login in owners]
            ids = [self._add_generated_repo(rng, index, logins[index % len(logins)]) for index in range(n)]
            self._add_generated_content(random.Random(f"content-{seed}"), logins, ids)
            return ids

    # ----------------------------------------------------------------- rate limit and faults

    def set_rate_limit(
        self,
        remaining: int,
        reset_in_seconds: float | None = None,
        *,
        limit: int | None = None,
        window_seconds: float | None = None,
    ) -> None:
        """Set the remaining points; the bucket refills to the limit ``reset_in_seconds`` from now
        (default: one window), then again every window.

        ``limit`` changes what a refill gives (default: as before, 5000 unless given to the
        constructor); ``window_seconds`` the length of a window (default: as before, an hour).
        """
        with self._lock:
            if limit is not None:
                self._limit = limit
            if window_seconds is not None:
                self._window = window_seconds
            self._remaining = remaining
            self._reset_at = time.time() + (self._window if reset_in_seconds is None else reset_in_seconds)

    def fail(self, path_regex: str, kind: str, times: int | None = 1, **opts) -> None:
        """Queue a fault for the next ``times`` requests (None: forever) whose path matches.

        The regex is searched in the path without base path and query string. Kinds:
        "500", "502_html", "404", "451"; "timeout" (sleep ``seconds``=30, then answer);
        "reset" (RST, no response); "truncated" (200, JSON cut in half);
        "secondary" (403, ``retry_after``=1, None for no Retry-After header);
        "primary"/"429" (empty the bucket for ``reset_in``=1 seconds, answer 403/429);
        for GraphQL, "graphql_timeout" (200, ``data`` null, GitHub's timeout error) and "graphql_partial"
        (the real answer, but ``field``, e.g. "latestRelease", fails with that error on every node,
        or only on repository ``repo_id``).
        A fault response is delivered even when the rate limit is exhausted.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be None or at least 1")
        with self._lock:
            self._faults.append(_Fault(re.compile(path_regex), kind, times, opts))

    def set_graphql_rate_limit(self, remaining: int, reset_in_seconds: float = RATE_LIMIT_WINDOW) -> None:
        """The same as ``set_rate_limit`` for the separate ``graphql`` resource."""
        with self._lock:
            self._graphql_remaining = remaining
            self._graphql_reset_at = time.time() + reset_in_seconds

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ----------------------------------------------------------------- observability

    @property
    def requests(self) -> list[RequestRecord]:
        """Copy of the API requests answered so far (``/_fake/*`` is not logged)."""
        with self._lock:
            return list(self._log)

    @property
    def auth_tokens(self) -> set[str]:
        """Tokens seen in Authorization headers ("token X" / "Bearer X" give X)."""
        with self._lock:
            return set(self._tokens)

    @property
    def points_spent(self) -> int:
        """Requests that consumed a rate-limit point."""
        with self._lock:
            return self._points_spent

    @property
    def graphql_points_spent(self) -> int:
        """Points of the graphql rate limit that queries cost."""
        with self._lock:
            return self._graphql_points_spent

    def reset_log(self) -> None:
        """Forget the request log, the tokens seen, ``points_spent`` and ``graphql_points_spent``."""
        with self._lock:
            self._log.clear()
            self._tokens.clear()
            self._points_spent = 0
            self._graphql_points_spent = 0

    def snapshot(self) -> list[dict]:
        """Ground truth: every repository (private too) as served, plus ``languages``, all ``contributors``
        (sorted as served), ``contributors_mode``, ``readme_html``, ``release`` (REST shape or None),
        ``social_image`` ({url, custom}) and ``language_colors``."""
        with self._lock:
            return [
                {
                    **self._repo_json(repo),
                    "languages": self._languages_json(repo),
                    "contributors": [self._contributor_json(c) for c in self._sorted_contributors(repo)],
                    "contributors_mode": repo.contributors_mode,
                    "readme_html": repo.readme[0] if repo.readme else None,
                    "release": self._release_json(repo) if repo.release else None,
                    "social_image": {"url": self._social_image_url(repo), "custom": repo.social_image is not None},
                    "language_colors": {name: LANGUAGE_COLORS.get(name) for name in self._languages_json(repo)},
                }
                for repo in sorted(self._repos.values(), key=lambda r: r.id)
            ]

    def owners_snapshot(self) -> list[dict]:
        """Ground truth of every owner: its ``GET /users/{login}`` body plus ``pins`` (full names, in order)."""
        with self._lock:
            return [
                {**self._user_json(owner), "pins": [self._full_name(self._repos[rid]) for rid in owner.pins]}
                for owner in sorted(self._owners.values(), key=lambda o: o.id)
            ]

    # ----------------------------------------------------------------- internals: state

    def _ensure_owner(self, login: str) -> str:
        """The canonical login of ``login``, creating the owner if needed."""
        existing = self._owners.get(login.lower())
        if existing is not None:
            return existing.login
        self.add_owner(login, "Organization" if login.lower().endswith("-org") else "User")
        return login

    def _repo(self, repo_id: int) -> _Repo:
        try:
            return self._repos[repo_id]
        except KeyError:
            raise KeyError(f"no repository with id {repo_id}") from None

    def _owner(self, login: str) -> _Owner:
        try:
            return self._owners[login.lower()]
        except KeyError:
            raise KeyError(f"no owner {login!r}") from None

    @staticmethod
    def _apply(repo: _Repo, changes: dict) -> None:
        """Validate, normalise and set ``changes`` on ``repo``."""
        changes = dict(changes)
        private = changes.pop("private", None)
        if changes.get("visibility", "") is None:
            del changes["visibility"]
        if private is not None and "visibility" not in changes:
            changes["visibility"] = "private" if private else "public"
        unknown = set(changes) - _MUTABLE_FIELDS
        if unknown:
            raise TypeError(f"unknown repository field(s): {sorted(unknown)}")
        if changes.get("visibility", "public") not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {VISIBILITIES}")
        if changes.get("contributors_mode", "ok") not in CONTRIBUTORS_MODES:
            raise ValueError(f"contributors_mode must be one of {CONTRIBUTORS_MODES}")
        if changes.get("license") is not None:
            spdx_id, license_name = changes["license"]
            changes["license"] = (spdx_id, license_name)
        if "topics" in changes:
            changes["topics"] = list(changes["topics"] or ())
        if "languages" in changes:
            changes["languages"] = dict(changes["languages"] or {})
        if "contributors" in changes:
            changes["contributors"] = [
                {
                    "login": c["login"],
                    "id": int(c["id"]),
                    "type": c.get("type", "User"),
                    "contributions": int(c["contributions"]),
                }
                for c in changes["contributors"] or ()
            ]
        for name, value in changes.items():
            setattr(repo, name, value)

    def _add_generated_repo(self, rng: random.Random, index: int, login: str) -> int:
        """One ``populate`` repository; draws the same random numbers whatever the index."""
        owner = self._owners[login.lower()]
        name = f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}"
        if (login.lower(), name) in self._by_path:
            name = f"{name}-{index}"
        noun = name.split("-")[1]
        description = None if rng.random() < 0.2 else rng.choice(_DESCRIPTIONS).format(noun=noun)
        homepage_roll = rng.random()
        homepage = f"https://{name}.example.com" if homepage_roll < 0.3 else ("" if homepage_roll < 0.4 else None)
        language_names = rng.sample(_LANGUAGES, rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5]))
        languages = {language: rng.randint(200, 400_000) for language in language_names}
        created = _POPULATE_EPOCH + timedelta(seconds=rng.randint(0, 9 * 365 * 86400))
        pushed = created + timedelta(seconds=rng.randint(0, 400 * 86400))
        updated = pushed + timedelta(seconds=rng.randint(0, 30 * 86400))
        stars = min(int(rng.paretovariate(1.2) * 3) - 3, 50_000)
        fields_ = {
            "description": description,
            "homepage": homepage,
            "languages": languages,
            "language": max(languages, key=languages.get) if languages else None,
            "fork": rng.random() < 0.15,
            "archived": rng.random() < 0.1,
            "license": rng.choice(_LICENSES),
            "topics": rng.sample(_TOPICS, rng.randint(0, 4)),
            "stars": stars,
            "forks": rng.randint(0, stars // 4 + 1),
            "open_issues": rng.randint(0, 20),
            "size": rng.randint(0, 80_000),
            "default_branch": "master" if rng.random() < 0.2 else "main",
            "contributors": self._generated_contributors(rng, index, owner),
            "created_at": created.strftime(TIMESTAMP_FORMAT),
            "pushed_at": pushed.strftime(TIMESTAMP_FORMAT),
            "updated_at": updated.strftime(TIMESTAMP_FORMAT),
        }
        special = {
            0: {"description": "🚀 Blazing-fast launcher for side projects"},
            2: {"description": "日本語の説明"},
            4: {"private": True},
            5: {"description": "<script>alert(1)</script> & <b>bold</b>"},
            9: {"contributors": [], "contributors_mode": "empty"},
            11: {"visibility": "internal" if owner.kind == "Organization" else "private"},
            13: {"contributors": [], "contributors_mode": "too_large"},
        }
        fields_.update(special.get(index, {}))
        return self.add_repo(login, name, **fields_)

    def _add_generated_content(self, rng: random.Random, logins: list[str], ids: list[int]) -> None:
        """Profiles, READMEs, releases, social images and pins for ``populate``."""
        for login in logins:
            owner = self._owners[login.lower()]
            self.set_profile(
                login,
                name=login.replace("-", " ").title(),
                bio=rng.choice([None, "Builds small tools.", "Open source, mostly 🐍 — 日本語も"]),
                blog=rng.choice(["", f"https://{login}.example.com"]),
                location=rng.choice([None, "Berlin", "Lagos", "Kyoto"]),
                company=None if owner.kind == "Organization" else rng.choice([None, "@acme-org"]),
                twitter_username=rng.choice([None, login.replace("-", "_")]),
                followers=rng.randint(0, 5000),
                following=0 if owner.kind == "Organization" else rng.randint(0, 300),
                created_at=_shift_timestamp("2012-01-01T00:00:00Z", rng.randint(0, 3 * 365 * 86400)),
            )
        for index, repo_id in enumerate(ids):
            repo = self._repos[repo_id]
            has_readme, has_release, custom_image = rng.random() < 0.75, rng.random() < 0.4, rng.random() < 0.2
            if (has_readme or index == 0) and index != 3:
                self.set_readme(repo_id, _generated_readme(repo, index))
            if (has_release or index == 0) and index != 1:
                version = f"v{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
                self.set_release(repo_id, version, rng.choice([None, version, f"{version} — {repo.name}"]),
                                 _shift_timestamp(repo.pushed_at, -rng.randint(0, 86400)))  # fmt: skip
            if custom_image or index == 2:
                image = f"https://repository-images.githubusercontent.com/{repo_id}/{rng.getrandbits(64):016x}"
                self.set_social_image(repo_id, image)
        public = [self._repos[repo_id] for repo_id in ids if self._repos[repo_id].visibility == "public"]
        organisations = [login for login in logins if self._owners[login.lower()].kind == "Organization"]
        for login in logins:
            owner = self._owners[login.lower()]
            own = sorted((r for r in public if r.owner == login), key=lambda r: (-r.stars, r.id))[:4]
            foreign = []
            if owner.kind == "User" and organisations:
                foreign = sorted((r for r in public if r.owner == organisations[0]), key=lambda r: (-r.stars, r.id))[:1]
            owner.pins = [r.id for r in own[:2] + foreign + own[2:]]

    @staticmethod
    def _generated_contributors(rng: random.Random, index: int, owner: _Owner) -> list[dict]:
        roll = rng.random()
        if index == 1:
            count = 250
        elif roll < 0.1:
            count = 0
        elif roll < 0.7:
            count = rng.randint(1, 10)
        elif roll < 0.95:
            count = rng.randint(11, 60)
        else:
            count = rng.randint(101, 250)
        people = rng.sample(_CONTRIBUTOR_POOL, count)
        if count and owner.kind == "User":
            people[0] = {"login": owner.login, "id": owner.id, "type": "User"}
        if count > 1 and rng.random() < 0.35:
            people[-1] = rng.choice(_BOTS)
        contributions = sorted((rng.randint(1, 400) for _ in people), reverse=True)
        return [dict(person, contributions=n) for person, n in zip(people, contributions)]

    # ----------------------------------------------------------------- internals: HTTP

    def _track_connection(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _handle(self, method: str, target: str, headers, body: bytes):
        """Answer one request: a ``_Response``, or ``_RESET`` to drop the connection."""
        split = urlsplit(target)
        path, in_base = split.path, not self.base_path
        is_graphql = method == "POST" and path == self._graphql_path
        if is_graphql:
            path, in_base = "/graphql", True
        elif self.base_path and (path == self.base_path or path.startswith(self.base_path + "/")):
            path, in_base = path[len(self.base_path) :] or "/", True
        if in_base and path.startswith("/_fake/"):
            return self._control(method, path, body)

        self._sleep(self.latency)
        authorization = headers.get("Authorization")
        request = _Request(
            method=method,
            path=path,
            in_base=in_base,
            query_string=split.query,
            target=target,
            if_none_match=headers.get("If-None-Match"),
            authorized=authorization is not None,
            accept=headers.get("Accept") or "",
            graphql=is_graphql,
        )
        if authorization is not None:
            with self._lock:
                self._tokens.add(authorization.split(" ", 1)[-1].strip())
        fault = self._take_fault(path)
        if fault is not None and fault.kind == "reset":
            self._record(request, headers, None, False, fault)
            return _RESET
        if fault is not None and fault.kind == "timeout":
            self._sleep(fault.opts.get("seconds", 30))
        if request.graphql:
            return self._answer_graphql(request, headers, body, fault)
        if fault is not None and fault.kind in REPLACING_FAULTS:
            response = self._fault_response(fault, request)
        elif fault is not None and fault.kind == "truncated":
            whole = self._route(request).body
            response = _Response(200, whole[: len(whole) // 2], {"Content-Type": JSON_TYPE})
        else:
            response = self._conditional(request, self._route(request))

        is_rate_limit = in_base and path == "/rate_limit"
        counted = not is_rate_limit and not (response.status == 304 and request.authorized)
        with self._lock:
            self._refill_if_due()
            if counted and self._remaining > 0:
                self._remaining -= 1
                self._points_spent += 1
            elif counted:
                counted = False
                if fault is None or fault.kind == "timeout":
                    response = self._rate_limited(request, 403)
            response.headers.update(self._rate_headers())
            self._record(request, headers, response.status, counted, fault)
        return response

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.pattern.search(path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _fault_response(self, fault: _Fault, request: _Request) -> _Response:
        kind = fault.kind
        if kind == "500":
            return _json_response(500, {"message": "Server Error"})
        if kind == "502_html":
            html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
            return _Response(502, html.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if kind == "secondary":
            retry_after = fault.opts.get("retry_after", 1)
            response = _json_response(
                403, {"message": SECONDARY_MESSAGE, "documentation_url": RATE_LIMIT_DOCS_URL}
            )
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response
        if kind in ("primary", "429"):
            self.set_rate_limit(0, fault.opts.get("reset_in", 1))
            return self._rate_limited(request, 403 if kind == "primary" else 429)
        if kind == "404":
            return _error(404, "Not Found")
        return _error(
            451,
            "Repository access blocked",
            block={"reason": "dmca", "created_at": DEFAULT_TIMESTAMP, "html_url": "https://github.com/github/dmca"},
        )

    @staticmethod
    def _rate_limited(request: _Request, status: int) -> _Response:
        if request.authorized:
            message = "API rate limit exceeded for user ID 1."
        else:
            message = (
                "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests "
                "get a higher rate limit. Check out the documentation for more details.)"
            )
        return _json_response(status, {"message": message, "documentation_url": RATE_LIMIT_DOCS_URL})

    def _refill_if_due(self) -> None:
        if time.time() >= self._reset_at:
            self._remaining = self._limit
            self._reset_at = time.time() + self._window

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self._limit),
            "X-RateLimit-Remaining": str(self._remaining),
            "X-RateLimit-Used": str(self._limit - self._remaining),
            "X-RateLimit-Reset": str(math.ceil(self._reset_at)),
            "X-RateLimit-Resource": "core",
        }

    # ----------------------------------------------------------------- internals: GraphQL

    def _answer_graphql(self, request: _Request, headers, body: bytes, fault: _Fault | None) -> _Response:
        """POST to ``graphql_url``: faults, then GitHub's answer; logged with the points it cost."""
        points = 0
        if fault is not None and fault.kind == "graphql_timeout":
            response = _json_response(200, {"data": None, "errors": [{"message": GRAPHQL_TIMEOUT_MESSAGE}]})
        elif fault is not None and fault.kind in REPLACING_FAULTS:
            response = self._fault_response(fault, request)
        else:
            broken = fault.opts if fault is not None and fault.kind == "graphql_partial" else None
            response, points = self._execute_graphql(request, body, broken)
            if fault is not None and fault.kind == "truncated":
                response = _Response(200, response.body[: len(response.body) // 2], {"Content-Type": JSON_TYPE})
        with self._lock:
            self._refill_graphql_if_due()
            response.headers.update(self._graphql_rate_headers())
            self._record(request, headers, response.status, False, fault, points)
        return response

    def _execute_graphql(self, request: _Request, body: bytes, broken: dict | None) -> tuple[_Response, int]:
        """Validate against GitHub's schema, charge the query's cost, execute: (response, points charged)."""
        if not request.authorized:
            return _json_response(401, {"message": GRAPHQL_AUTH_MESSAGE, "documentation_url": GRAPHQL_DOCS_URL}), 0
        try:
            call = json.loads(body or b"null")
        except ValueError:
            call = None
        if (
            not isinstance(call, dict)
            or not isinstance(call.get("query"), str)
            or not isinstance(call.get("variables") or {}, dict)
        ):
            return _json_response(400, {"message": "Problems parsing JSON", "documentation_url": GRAPHQL_DOCS_URL}), 0
        variables, operation_name = call.get("variables") or {}, call.get("operationName")
        schema = github_schema()
        try:
            document = gql.parse(call["query"])
        except GraphQLError as error:
            return _json_response(200, {"errors": [_graphql_error_json(error)]}), 0
        problems = gql.validate(schema, document)
        operation = gql.get_operation_ast(document, operation_name)
        if not problems and operation is None:
            problems = [GraphQLError(f"No operation named {operation_name!r}" if operation_name else "No operation given")]
        if problems:
            return _json_response(200, {"errors": [_graphql_error_json(error) for error in problems]}), 0
        cost, node_count = _query_cost(document, operation, variables)
        with self._lock:
            self._refill_graphql_if_due()
            if self._graphql_remaining < cost:
                message = "API rate limit already exceeded for user ID 1."
                error = {"type": "RATE_LIMITED", "code": "graphql_rate_limit", "message": message}
                return _json_response(200, {"errors": [error]}), 0
            self._graphql_remaining -= cost
            self._graphql_points_spent += cost
            result = gql.execute_sync(
                schema,
                document,
                root_value=self._graphql_root(cost, node_count, broken),
                variable_values=variables,
                operation_name=operation_name,
            )
        answer: dict = {"data": result.data}
        if result.errors:
            answer["errors"] = [_graphql_error_json(error) for error in result.errors]
        return _json_response(200, answer), cost

    def _graphql_root(self, cost: int, node_count: int, broken: dict | None) -> dict:
        """The Query type's fields; a callable is called with the field's arguments (graphql-core's default)."""

        def owner_by_login(kind: str):
            def resolve(info, login: str):
                owner = self._owners.get(login.lower())
                if owner is None or owner.kind != kind:
                    return _not_found(f"Could not resolve to a {kind} with the login of '{login}'.")
                return self._owner_node(owner, broken)

            return resolve

        def repository_owner(info, login: str):
            owner = self._owners.get(login.lower())
            return None if owner is None else self._owner_node(owner, broken)

        return {
            "rateLimit": lambda info, dryRun=False: self._graphql_rate_limit_node(cost, node_count),
            "repositoryOwner": repository_owner,
            "user": owner_by_login("User"),
            "organization": owner_by_login("Organization"),
            "node": lambda info, id: self._node(id, broken),  # noqa: A006 - GraphQL's argument name
            "nodes": lambda info, ids: [self._node(node_id, broken) for node_id in ids],
        }

    def _graphql_rate_limit_node(self, cost: int, node_count: int) -> dict:
        return {
            "cost": cost,
            "limit": self._graphql_limit,
            "nodeCount": node_count,
            "remaining": self._graphql_remaining,
            "resetAt": datetime.fromtimestamp(math.ceil(self._graphql_reset_at), timezone.utc).strftime(TIMESTAMP_FORMAT),
            "used": self._graphql_limit - self._graphql_remaining,
        }

    def _node(self, node_id: str, broken: dict | None):
        kind, number = _parse_node_id(node_id)
        if kind == "Repository" and number in self._repos:
            return self._repository_node(self._repos[number], broken)
        owner = next((o for o in self._owners.values() if o.kind == kind and o.id == number), None)
        if owner is not None:
            return self._owner_node(owner, broken)
        return _not_found(f"Could not resolve to a node with the global id of '{node_id}'")

    def _owner_node(self, owner: _Owner, broken: dict | None) -> dict:
        def avatar_url(info, size=None):
            return f"https://avatars.githubusercontent.com/u/{owner.id}?v=4" + (f"&s={size}" if size else "")

        def pinned_items(info, first=None, last=None, types=None, **_cursors):
            wanted = types is None or "REPOSITORY" in types
            repos = [self._repos[repo_id] for repo_id in owner.pins if repo_id in self._repos] if wanted else []
            return _connection([self._repository_node(repo, broken) for repo in repos], first, last)

        node = {
            "__typename": owner.kind,
            "id": _node_id(owner.kind, owner.id),
            "databaseId": owner.id,
            "login": owner.login,
            "name": owner.name if owner.kind == "User" or owner.name is not None else owner.login,
            "url": f"https://github.com/{owner.login}",
            "avatarUrl": avatar_url,
            "location": owner.location,
            "websiteUrl": owner.blog or None,
            "twitterUsername": owner.twitter_username,
            "createdAt": owner.created_at,
            "pinnedItems": pinned_items,
        }
        if owner.kind == "User":
            return {**node, "bio": owner.bio, "company": owner.company, "email": owner.email or ""}
        return {**node, "description": owner.bio, "email": owner.email}

    def _repository_node(self, repo: _Repo, broken: dict | None) -> dict:
        owner = self._owners[repo.owner.lower()]
        release = repo.release

        def languages(info, first=None, last=None, orderBy=None, **_cursors):  # noqa: N803 - GraphQL's name
            items = list(self._languages_json(repo).items() if orderBy else repo.languages.items())
            if orderBy and orderBy.get("direction") == "ASC":
                items.reverse()
            page = _connection(items, first, last)
            edges = [
                {"cursor": edge["cursor"], "size": size, "node": _language_node(name)}
                for edge, (name, size) in zip(page["edges"], page["nodes"])
            ]
            return {**page, "edges": edges, "nodes": [e["node"] for e in edges], "totalSize": sum(repo.languages.values())}

        node = {
            "__typename": "Repository",
            "id": _node_id("Repository", repo.id),
            "databaseId": repo.id,
            "name": repo.name,
            "nameWithOwner": self._full_name(repo),
            "owner": lambda info: self._owner_node(owner, broken),
            "description": repo.description,
            "url": f"https://github.com/{self._full_name(repo)}",
            "homepageUrl": repo.homepage or None,
            "isPrivate": repo.visibility != "public",
            "visibility": repo.visibility.upper(),
            "isFork": repo.fork,
            "isArchived": repo.archived,
            "stargazerCount": repo.stars,
            "forkCount": repo.forks,
            "createdAt": repo.created_at,
            "updatedAt": repo.updated_at,
            "pushedAt": repo.pushed_at,
            "openGraphImageUrl": self._social_image_url(repo),
            "usesCustomOpenGraphImage": repo.social_image is not None,
            "primaryLanguage": _language_node(repo.language) if repo.language else None,
            "languages": languages,
            "latestRelease": None
            if release is None
            else {
                "__typename": "Release",
                "id": _node_id("Release", release["id"]),
                "databaseId": release["id"],
                "tagName": release["tag_name"],
                "name": release["name"],
                "description": release["body"],
                "createdAt": release["published_at"],
                "publishedAt": release["published_at"],
                "url": self._release_json(repo)["html_url"],
                "isDraft": False,
                "isPrerelease": False,
                "isLatest": True,
            },
        }
        if broken is not None and broken.get("repo_id") in (None, repo.id):
            node[broken["field"]] = _failing_field
        return node

    def _refill_graphql_if_due(self) -> None:
        if time.time() >= self._graphql_reset_at:
            self._graphql_remaining = self._graphql_limit
            self._graphql_reset_at = time.time() + RATE_LIMIT_WINDOW

    def _graphql_rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self._graphql_limit),
            "X-RateLimit-Remaining": str(self._graphql_remaining),
            "X-RateLimit-Used": str(self._graphql_limit - self._graphql_remaining),
            "X-RateLimit-Reset": str(math.ceil(self._graphql_reset_at)),
            "X-RateLimit-Resource": "graphql",
        }

    @staticmethod
    def _conditional(request: _Request, response: _Response) -> _Response:
        """Give a 200 JSON response its weak ETag; 304 if the client already has it."""
        if response.status != 200:
            return response
        digest = hashlib.sha256(response.body + request.target.encode()).hexdigest()
        etag = f'W/"{digest}"'
        if _etag_matches(request.if_none_match, etag):
            return _Response(304, b"", {"ETag": etag})
        response.headers["ETag"] = etag
        return response

    def _record(
        self, request: _Request, headers, status, counted: bool, fault: _Fault | None, graphql_points: int = 0
    ) -> None:
        received = {
            name: ("<redacted>" if name.lower() == "authorization" else value) for name, value in headers.items()
        }
        record = RequestRecord(
            request.method,
            request.path,
            request.query,
            status,
            request.if_none_match,
            request.authorized,
            counted,
            fault.kind if fault else None,
            received,
            graphql_points,
        )
        with self._lock:
            self._log.append(record)

    def _control(self, method: str, path: str, body: bytes) -> _Response:
        """``/_fake/*``: drive the fake from another process (never counted, delayed or faulted)."""
        if method == "POST" and path == "/_fake/call":
            try:
                call = json.loads(body or b"{}")
                if call.get("method") not in CONTROL_METHODS:
                    raise ValueError(f"method must be one of {sorted(CONTROL_METHODS)}")
                result = getattr(self, call["method"])(*call.get("args", ()), **call.get("kwargs", {}))
            except Exception as error:  # noqa: BLE001 - reported to the calling process
                return _json_response(400, {"error": f"{type(error).__name__}: {error}"})
            return _json_response(200, {"result": result})
        if method == "GET" and path == "/_fake/log":
            return _json_response(200, [asdict(record) for record in self.requests])
        if method == "GET" and path == "/_fake/state":
            return _json_response(200, self.snapshot())
        return _error(404, "Not Found")

    # ----------------------------------------------------------------- internals: routes

    def _route(self, request: _Request) -> _Response:
        if request.in_base and request.method == "GET":
            for pattern, handler in _ROUTES:
                match = pattern.fullmatch(request.path)
                if match:
                    with self._lock:
                        return handler(self, request, **match.groupdict())
        return _error(404, "Not Found")

    def _get_rate_limit(self, request: _Request) -> _Response:
        self._refill_if_due()
        core = {
            "limit": self._limit,
            "used": self._limit - self._remaining,
            "remaining": self._remaining,
            "reset": math.ceil(self._reset_at),
        }
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": math.ceil(time.time() + 60)}
        return _json_response(200, {"resources": {"core": core, "search": search}, "rate": core})

    def _get_user(self, request: _Request, login: str) -> _Response:
        owner = self._owners.get(login.lower())
        if owner is None:
            return _error(404, "Not Found")
        return _json_response(200, self._user_json(owner))

    def _get_org(self, request: _Request, login: str) -> _Response:
        owner = self._owners.get(login.lower())
        if owner is None or owner.kind != "Organization":
            return _error(404, "Not Found")
        return _json_response(200, self._org_json(owner))

    def _get_user_repos(self, request: _Request, login: str) -> _Response:
        owner = self._owners.get(login.lower())
        if owner is None:
            return _error(404, "Not Found")
        return self._repo_list(request, [r for r in self._owned_repos(owner) if r.visibility == "public"])

    def _get_org_repos(self, request: _Request, org: str) -> _Response:
        owner = self._owners.get(org.lower())
        if owner is None or owner.kind != "Organization":
            return _error(404, "Not Found")
        repos = self._owned_repos(owner)
        if not request.authorized:
            repos = [r for r in repos if r.visibility == "public"]
        wanted = {
            "public": lambda r: r.visibility == "public",
            "private": lambda r: r.visibility != "public",
            "forks": lambda r: r.fork,
            "sources": lambda r: not r.fork,
        }.get(request.query.get("type", "all"), lambda r: True)
        return self._repo_list(request, [r for r in repos if wanted(r)])

    def _get_repo_by_path(self, request: _Request, owner: str, name: str, suffix: str | None) -> _Response:
        key = (owner.lower(), name.lower())
        if key in self._by_path:
            return self._repo_endpoint(request, self._repos[self._by_path[key]], suffix)
        if key in self._redirects:
            location = f"{self.url}/repositories/{self._redirects[key]}{suffix or ''}"
            if request.query_string:
                location += "?" + request.query_string
            response = _json_response(301, {"message": "Moved Permanently", "url": location, "documentation_url": DOCS_URL})
            response.headers["Location"] = location
            return response
        return _error(404, "Not Found")

    def _get_repo_by_id(self, request: _Request, repo_id: str, suffix: str | None) -> _Response:
        repo = self._repos.get(int(repo_id))
        if repo is None:
            return _error(404, "Not Found")
        return self._repo_endpoint(request, repo, suffix)

    def _repo_endpoint(self, request: _Request, repo: _Repo, suffix: str | None) -> _Response:
        if not suffix:
            return _json_response(200, self._repo_json(repo))
        if suffix == "/languages":
            return _json_response(200, self._languages_json(repo))
        if suffix == "/contributors":
            if repo.contributors_mode == "empty":
                return _Response(204)
            if repo.contributors_mode == "too_large":
                return _json_response(403, {"message": TOO_LARGE_MESSAGE, "documentation_url": DOCS_URL})
            page, headers = self._paginate(request, self._sorted_contributors(repo))
            return _json_response(200, [self._contributor_json(c) for c in page], headers)
        if suffix == "/readme":
            return self._readme_response(request, repo)
        if suffix == "/releases/latest":
            if repo.release is None:
                return _json_response(404, {"message": "Not Found", "documentation_url": RELEASE_DOCS_URL, "status": "404"})
            return _json_response(200, self._release_json(repo))
        return _error(404, "Not Found")

    def _readme_response(self, request: _Request, repo: _Repo) -> _Response:
        """GitHub's three answers by media type: rendered HTML, the raw source, or the contents object."""
        if repo.readme is None:
            return _json_response(404, {"message": "Not Found", "documentation_url": README_DOCS_URL, "status": "404"})
        html, markdown, path = repo.readme
        kind = _media_kind(request.accept)
        if kind == README_HTML:
            body = (
                f'<div id="readme" class="md" data-path="{path}"><article class="markdown-body entry-content '
                f'container-lg" itemprop="text">{html}</article></div>'
            )
            return _Response(200, body.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
        if kind == README_RAW:
            return _Response(200, markdown.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})
        data = markdown.encode("utf-8")
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        encoded = base64.b64encode(data).decode()
        full_name, branch = self._full_name(repo), repo.default_branch
        api = f"{self.url}/repos/{full_name}"
        links = {
            "self": f"{api}/contents/{path}?ref={branch}",
            "git": f"{api}/git/blobs/{sha}",
            "html": f"https://github.com/{full_name}/blob/{branch}/{path}",
        }
        return _json_response(
            200,
            {
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "sha": sha,
                "size": len(data),
                "url": links["self"],
                "html_url": links["html"],
                "git_url": links["git"],
                "download_url": f"https://raw.githubusercontent.com/{full_name}/{branch}/{path}",
                "type": "file",
                "content": "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60)),
                "encoding": "base64",
                "_links": links,
            },
        )

    def _repo_list(self, request: _Request, repos: list[_Repo]) -> _Response:
        page, headers = self._paginate(request, repos)
        return _json_response(200, [self._repo_json(r) for r in page], headers)

    def _owned_repos(self, owner: _Owner) -> list[_Repo]:
        return [r for r in sorted(self._repos.values(), key=lambda r: r.id) if r.owner == owner.login]

    def _paginate(self, request: _Request, items: list) -> tuple[list, dict[str, str]]:
        """One page of ``items`` and, when there are several pages, GitHub's ``Link`` header."""
        query = request.query
        per_page = min(max(_int_param(query, "per_page", 30), 1), self.per_page_max)
        page = max(_int_param(query, "page", 1), 1)
        last = max(math.ceil(len(items) / per_page), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        if last == 1:
            return chunk, {}
        base = f"{self.url}{request.path}"
        params = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != "page"]

        def link(number: int, rel: str) -> str:
            return f'<{base}?{urlencode(params + [("page", str(number))])}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links.append(link(1, "first"))
        return chunk, {"Link": ", ".join(links)}

    # ----------------------------------------------------------------- internals: JSON shapes

    def _user_json(self, owner: _Owner) -> dict:
        """``GET /users/{login}``: a user's public profile (an organisation's has its description as bio)."""
        user = f"{self.url}/users/{owner.login}"
        return {
            **self._owner_json(owner),
            "followers_url": f"{user}/followers",
            "following_url": f"{user}/following{{/other_user}}",
            "gists_url": f"{user}/gists{{/gist_id}}",
            "starred_url": f"{user}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{user}/subscriptions",
            "organizations_url": f"{user}/orgs",
            "events_url": f"{user}/events{{/privacy}}",
            "received_events_url": f"{user}/received_events",
            "user_view_type": "public",
            "name": owner.name,
            "company": owner.company,
            "blog": owner.blog,
            "location": owner.location,
            "email": owner.email,
            "hireable": None,
            "bio": owner.bio,
            "twitter_username": owner.twitter_username,
            "public_repos": self._public_repo_count(owner),
            "public_gists": 0,
            "followers": owner.followers,
            "following": owner.following,
            "created_at": owner.created_at,
            "updated_at": owner.created_at,
        }

    def _org_json(self, owner: _Owner) -> dict:
        """``GET /orgs/{org}``: an organisation's public profile."""
        org = f"{self.url}/orgs/{owner.login}"
        return {
            "login": owner.login,
            "id": owner.id,
            "node_id": _node_id(owner.kind, owner.id),
            "url": org,
            "repos_url": f"{org}/repos",
            "events_url": f"{org}/events",
            "hooks_url": f"{org}/hooks",
            "issues_url": f"{org}/issues",
            "members_url": f"{org}/members{{/member}}",
            "public_members_url": f"{org}/public_members{{/member}}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{owner.id}?v=4",
            "description": owner.bio,
            "name": owner.name if owner.name is not None else owner.login,
            "company": None,
            "blog": owner.blog,
            "location": owner.location,
            "email": owner.email,
            "twitter_username": owner.twitter_username,
            "is_verified": False,
            "has_organization_projects": True,
            "has_repository_projects": True,
            "public_repos": self._public_repo_count(owner),
            "public_gists": 0,
            "followers": owner.followers,
            "following": 0,
            "html_url": f"https://github.com/{owner.login}",
            "created_at": owner.created_at,
            "updated_at": owner.created_at,
            "archived_at": None,
            "type": "Organization",
        }

    def _public_repo_count(self, owner: _Owner) -> int:
        return sum(1 for r in self._owned_repos(owner) if r.visibility == "public")

    def _release_json(self, repo: _Repo) -> dict:
        """``GET /repos/{owner}/{name}/releases/latest``."""
        release, full_name = repo.release, self._full_name(repo)
        api = f"{self.url}/repos/{full_name}"
        tag = release["tag_name"]
        return {
            "url": f"{api}/releases/{release['id']}",
            "assets_url": f"{api}/releases/{release['id']}/assets",
            "upload_url": f"https://uploads.github.com/repos/{full_name}/releases/{release['id']}/assets{{?name,label}}",
            "html_url": f"https://github.com/{full_name}/releases/tag/{quote(tag, safe='')}",
            "id": release["id"],
            "author": self._owner_json(self._owners[repo.owner.lower()]),
            "node_id": _node_id("Release", release["id"]),
            "tag_name": tag,
            "target_commitish": repo.default_branch,
            "name": release["name"],
            "draft": False,
            "prerelease": False,
            "created_at": release["published_at"],
            "published_at": release["published_at"],
            "assets": [],
            "tarball_url": f"{api}/tarball/{quote(tag, safe='')}",
            "zipball_url": f"{api}/zipball/{quote(tag, safe='')}",
            "body": release["body"],
        }

    @staticmethod
    def _social_image_url(repo: _Repo) -> str:
        if repo.social_image is not None:
            return repo.social_image
        digest = hashlib.sha256(f"{repo.id}:{repo.pushed_at}".encode()).hexdigest()
        return f"https://opengraph.githubassets.com/{digest}/{repo.owner}/{repo.name}"

    @staticmethod
    def _full_name(repo: _Repo) -> str:
        return f"{repo.owner}/{repo.name}"

    def _owner_json(self, owner: _Owner) -> dict:
        return {
            "login": owner.login,
            "id": owner.id,
            "node_id": _node_id(owner.kind, owner.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{owner.id}?v=4",
            "gravatar_id": "",
            "url": f"{self.url}/users/{owner.login}",
            "html_url": f"https://github.com/{owner.login}",
            "repos_url": f"{self.url}/users/{owner.login}/repos",
            "type": owner.kind,
            "site_admin": False,
        }

    def _repo_json(self, repo: _Repo) -> dict:
        full_name = f"{repo.owner}/{repo.name}"
        api = f"{self.url}/repos/{full_name}"
        license_json = None
        if repo.license is not None:
            spdx_id, license_name = repo.license
            known = spdx_id != "NOASSERTION"
            license_json = {
                "key": spdx_id.lower() if known else "other",
                "name": license_name,
                "spdx_id": spdx_id,
                "url": f"{self.url}/licenses/{spdx_id.lower()}" if known else None,
            }
        watchers = repo.stars if repo.watchers is None else repo.watchers
        return {
            "id": repo.id,
            "node_id": _node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": full_name,
            "private": repo.visibility != "public",
            "owner": self._owner_json(self._owners[repo.owner.lower()]),
            "html_url": f"https://github.com/{full_name}",
            "description": repo.description,
            "fork": repo.fork,
            "url": api,
            "languages_url": f"{api}/languages",
            "contributors_url": f"{api}/contributors",
            "created_at": repo.created_at,
            "updated_at": repo.updated_at,
            "pushed_at": repo.pushed_at,
            "clone_url": f"https://github.com/{full_name}.git",
            "homepage": repo.homepage,
            "size": repo.size,
            "stargazers_count": repo.stars,
            "watchers_count": watchers,
            "language": repo.language,
            "has_issues": True,
            "forks_count": repo.forks,
            "archived": repo.archived,
            "disabled": False,
            "open_issues_count": repo.open_issues,
            "license": license_json,
            "allow_forking": True,
            "is_template": False,
            "topics": list(repo.topics),
            "visibility": repo.visibility,
            "forks": repo.forks,
            "open_issues": repo.open_issues,
            "watchers": watchers,
            "default_branch": repo.default_branch,
        }

    @staticmethod
    def _languages_json(repo: _Repo) -> dict[str, int]:
        return dict(sorted(repo.languages.items(), key=lambda item: -item[1]))

    @staticmethod
    def _sorted_contributors(repo: _Repo) -> list[dict]:
        return sorted(repo.contributors, key=lambda c: -c["contributions"])

    def _contributor_json(self, contributor: dict) -> dict:
        login = contributor["login"]
        is_app = contributor["type"] == "Bot" and login.endswith("[bot]")
        return {
            "login": login,
            "id": contributor["id"],
            "node_id": _node_id(contributor["type"], contributor["id"]),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{contributor['id']}?v=4",
            "gravatar_id": "",
            "url": f"{self.url}/users/{login}",
            "html_url": f"https://github.com/apps/{login[:-5]}" if is_app else f"https://github.com/{login}",
            "type": contributor["type"],
            "site_admin": False,
            "contributions": contributor["contributions"],
        }


_ROUTES = [
    (re.compile(pattern), handler)
    for pattern, handler in [
        (r"/rate_limit", FakeGitHub._get_rate_limit),
        (r"/users/(?P<login>[^/]+)", FakeGitHub._get_user),
        (r"/users/(?P<login>[^/]+)/repos", FakeGitHub._get_user_repos),
        (r"/orgs/(?P<login>[^/]+)", FakeGitHub._get_org),
        (r"/orgs/(?P<org>[^/]+)/repos", FakeGitHub._get_org_repos),
        (r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)(?P<suffix>/.*)?", FakeGitHub._get_repo_by_path),
        (r"/repositories/(?P<repo_id>\d+)(?P<suffix>/.*)?", FakeGitHub._get_repo_by_id),
    ]
]

# ----------------------------------------------------------------- populate() vocabulary

_POPULATE_EPOCH = datetime(2015, 1, 1, tzinfo=timezone.utc)
_ADJECTIVES = "tiny brave quiet rusty shiny lazy swift clever fuzzy silent golden cosmic humble nimble proud".split()
_NOUNS = "otter compiler garden parser rocket toolkit notebook crawler widget engine dashboard scheduler bridge".split()
_DESCRIPTIONS = [
    "A small experiment with {noun}s.",
    "Personal {noun} playground",
    "Tools for {noun} management",
    "Fork of a popular {noun} library",
    "Weekend project: yet another {noun}",
    "Café-grade {noun} — naïve but working",
]
_LANGUAGES = [
    "Python", "JavaScript", "TypeScript", "Go", "Rust", "C", "C++", "Shell",
    "HTML", "CSS", "Dockerfile", "Makefile", "Java", "Ruby", "Jupyter Notebook",
]  # fmt: skip
_TOPICS = "cli python web api database machine-learning devops hacktoberfest self-hosted automation game data".split()
_LICENSES = [
    ("MIT", "MIT License"),
    ("Apache-2.0", "Apache License 2.0"),
    ("GPL-3.0", "GNU General Public License v3.0"),
    ("BSD-3-Clause", 'BSD 3-Clause "New" or "Revised" License'),
    ("NOASSERTION", "Other"),
    None,
    None,
]
_FIRST_NAMES = (
    "ana ben chloe dmitri elena farid grace hiro ines jonas kofi lena mateo nadia oscar priya quinn rosa sven "
    "tariq uma victor wen xavier yara zoe"
).split()
_HANDLE_SUFFIXES = "dev codes hub io x 2k lab ops js py rs go 42".split()
#: Shared by every populated repository (338 people, ids 20000+).
_CONTRIBUTOR_POOL = [
    {"login": f"{first}-{suffix}", "id": 20000 + number, "type": "User"}
    for number, (first, suffix) in enumerate((f, s) for s in _HANDLE_SUFFIXES for f in _FIRST_NAMES)
]
_BOTS = [
    {"login": "dependabot[bot]", "id": 49699333, "type": "Bot"},
    {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
    {"login": "renovate[bot]", "id": 29139614, "type": "Bot"},
]


def _generated_readme(repo: _Repo, index: int) -> str:
    """A README in the shape of GitHub's rendering: heading anchor, relative image, code, task list."""
    slug = repo.name.lower()
    return (
        f'<div class="markdown-heading" dir="auto"><h1 tabindex="-1" class="heading-element" dir="auto">{repo.name}</h1>'
        f'<a id="user-content-{slug}" class="anchor" aria-label="Permalink: {repo.name}" href="#{slug}">'
        '<svg class="octicon octicon-link" viewBox="0 0 16 16" version="1.1" width="16" height="16" aria-hidden="true">'
        '<path d="m7.775 3.275 1.25-1.25a3.5 3.5 0 1 1 4.95 4.95"></path></svg></a></div>\n'
        f'<p dir="auto"><a target="_blank" rel="noopener noreferrer" href="/{repo.owner}/{repo.name}/blob/'
        f'{repo.default_branch}/docs/screenshot.png"><img src="/{repo.owner}/{repo.name}/raw/{repo.default_branch}/'
        'docs/screenshot.png" alt="screenshot" style="max-width: 100%;"></a></p>\n'
        f'<p dir="auto">{"&lt;script&gt;alert(1)&lt;/script&gt;" if index == 5 else "A project. "}'
        '<g-emoji class="g-emoji" alias="rocket" fallback-src="https://github.githubassets.com/images/icons/emoji/'
        'unicode/1f680.png">🚀</g-emoji></p>\n'
        '<div class="highlight highlight-source-shell notranslate position-relative overflow-auto" dir="auto"><pre>'
        f'pip install {slug}</pre></div>\n'
        '<ul class="contains-task-list">\n<li class="task-list-item"><input type="checkbox" id="" disabled="" '
        'class="task-list-item-checkbox" checked=""> works</li>\n</ul>'
    )


def main(argv: list[str] | None = None) -> None:
    """Run the fake as a process: print ``READY <url>`` and serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakegithub", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--repos", type=int, default=50, help="repositories to populate (0: none)")
    parser.add_argument("--owners", default="alice", help="comma-separated logins; '-org' suffix: organisation")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--base-path", default="")
    parser.add_argument("--rate-limit", type=int, default=5000)
    parser.add_argument("--rate-limit-window", type=float, default=RATE_LIMIT_WINDOW, help="seconds between refills")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    # Block the signals before any thread starts so that only sigwait() below receives them.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    fake = FakeGitHub(
        base_path=args.base_path,
        latency=args.latency,
        rate_limit=args.rate_limit,
        port=args.port,
        verbose=args.verbose,
    ).start()
    fake.set_rate_limit(args.rate_limit, window_seconds=args.rate_limit_window)
    if args.repos:
        fake.populate(owners=[o.strip() for o in args.owners.split(",") if o.strip()], n=args.repos, seed=args.seed)
    print(f"READY {fake.url}", flush=True)
    signal.sigwait(stop_signals)
    fake.stop()


if __name__ == "__main__":
    main()
