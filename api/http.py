"""HTTP around the JSON bodies: encodings, strong ETags and 304s, caching and Link headers, CORS and security."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import Response, request
from werkzeug.http import http_date, parse_accept_header, parse_date, parse_etags

from api.problems import NotAcceptable
from api.rendered import IDENTITY, Rendered

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

JSON = "application/json"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
CORS_PREFLIGHT_HEADERS = [
    ("Access-Control-Allow-Methods", ", ".join(SAFE_METHODS)),
    # What a page may send besides the CORS-safelisted headers: revalidation.
    ("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since, Cache-Control"),
    ("Access-Control-Max-Age", "600"),
]
# What a page's script may read besides the CORS-safelisted response headers.
CORS_EXPOSED_HEADERS = ("Access-Control-Expose-Headers", "ETag, Link")


@lru_cache(maxsize=256)
def choose_coding(accept_encoding: str | None, available: tuple[str, ...]) -> str | None:
    """The content coding to send (RFC 9110 12.5.3), or None when the client accepts none we have.

    Of `available` (the server's preference order) the client's highest q-value wins; identity is
    acceptable unless `identity;q=0` or `*;q=0` excludes it. Few distinct headers exist, hence the memo.
    """
    if accept_encoding is None:
        return IDENTITY
    accept = parse_accept_header(accept_encoding)
    identity_named = any(value.lower() in (IDENTITY, "*") for value, _ in accept)
    best = accept.best_match([*available, IDENTITY] if identity_named else available)
    if best is None and not identity_named:
        return IDENTITY
    return best


@dataclass(frozen=True)
class CachePolicy:
    """The Cache-Control of the published data's answers."""

    max_age: int
    stale_while_revalidate: int
    stale_if_error: int

    @property
    def header(self) -> str:
        return (
            f"public, max-age={self.max_age}, stale-while-revalidate={self.stale_while_revalidate}, "
            f"stale-if-error={self.stale_if_error}"
        )


@dataclass(frozen=True)
class Answer:
    """What to send for a rendered body: status, headers and the bytes (none for a 304)."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


def not_modified(environ: WSGIEnvironment, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when sent; If-Modified-Since only without it."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return parse_etags(if_none_match).contains_weak(etag[1:-1])
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since is None or last_modified is None:
        return False
    since = parse_date(if_modified_since)
    return since is not None and last_modified.replace(microsecond=0) <= since


def link_header(environ: WSGIEnvironment, links: tuple[tuple[str, str], ...]) -> str:
    """`<https://host/path?query>; rel="next", …` as GitHub sends it, absolute on the host that was asked."""
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    origin = f"{environ['wsgi.url_scheme']}://{host}"  # the paths come from url_for: SCRIPT_NAME included
    return ", ".join(f'<{origin}{path}>; rel="{rel}"' for rel, path in links)


def answer(rendered: Rendered, cache_control: str, environ: WSGIEnvironment) -> Answer:
    """The 200 or 304 for `rendered` in the encoding the request accepts; NotAcceptable if none."""
    available = tuple(rendered.encodings)
    coding = choose_coding(environ.get("HTTP_ACCEPT_ENCODING"), available)
    if coding is None:
        raise NotAcceptable(environ.get("HTTP_ACCEPT_ENCODING", ""), available)
    encoded = rendered.encoded(coding)
    headers = [("ETag", encoded.etag), ("Cache-Control", cache_control)]
    if rendered.encodings:
        headers.append(("Vary", "Accept-Encoding"))
    if not_modified(environ, encoded.etag, rendered.last_modified):
        return Answer("304 NOT MODIFIED", headers, b"")  # RFC 9110 15.4.5: no Last-Modified beside an ETag
    if rendered.last_modified is not None:
        headers.append(("Last-Modified", http_date(rendered.last_modified)))
    if rendered.links:
        headers.append(("Link", link_header(environ, rendered.links)))
    if coding != IDENTITY:
        headers.append(("Content-Encoding", coding))
    headers += [("Content-Type", JSON), ("Content-Length", str(len(encoded.body)))]
    return Answer("200 OK", headers, encoded.body)


def json_response(rendered: Rendered, cache_control: str) -> Response:
    """`answer()` as a Flask response, for the request being handled."""
    sent = answer(rendered, cache_control, request.environ)
    return Response(sent.body, status=sent.status, headers=sent.headers)


def memory_key(environ: WSGIEnvironment) -> tuple[str, str]:
    """What a rendered answer is kept under: the raw path and query string."""
    return environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")


class AnswerFromMemory:
    """Answers a GET or HEAD that was answered before in this generation straight from memory.

    `lookup` finds the body rendered for exactly this path and query string, if any; only 200s
    are kept, so validation, errors, 503s and first requests all go through Flask as usual.
    """

    def __init__(
        self, app: WSGIApplication, lookup: Callable[[tuple[str, str]], Rendered | None], cache_control: str
    ):
        self.app = app
        self.lookup = lookup
        self.cache_control = cache_control

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        try:
            rendered = self.lookup(memory_key(environ))
        except Exception:  # noqa: BLE001 - no dataset yet or the database is down: Flask answers
            rendered = None
        if rendered is None:
            return self.app(environ, start_response)
        try:
            sent = answer(rendered, self.cache_control, environ)
        except NotAcceptable:
            return self.app(environ, start_response)  # Flask gives the 406 in the API's error shape
        start_response(sent.status, sent.headers)
        return [] if method == "HEAD" else [sent.body]


def error_response(status: int, code: str, message: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    response = Response(body, status=status, content_type=JSON, headers=list(headers))
    response.headers["Cache-Control"] = "no-store"
    return response


class HeaderMiddleware:
    """Adds the security headers, and CORS headers for the allowed origins, to every response.

    WSGI middleware rather than an `after_request` hook: it also covers responses Flask makes
    itself, and appending to the header list costs next to nothing on the hot path.
    """

    def __init__(self, app: WSGIApplication, cors_origins: Iterable[str]):
        self.app = app
        self.origins = frozenset(cors_origins)
        self.any_origin = "*" in self.origins
        self.always = list(SECURITY_HEADERS.items())
        if self.origins and not self.any_origin:
            self.always.append(("Vary", "Origin"))  # shared caches must not give one origin's answer to another

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        added = self.always + self.cors_headers(environ)

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            headers.extend(added)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)

    def cors_headers(self, environ: WSGIEnvironment) -> list[tuple[str, str]]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or not (self.any_origin or origin in self.origins):
            return []
        allowed = [("Access-Control-Allow-Origin", "*" if self.any_origin else origin)]
        if environ["REQUEST_METHOD"] == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            return allowed + CORS_PREFLIGHT_HEADERS
        return allowed + [CORS_EXPOSED_HEADERS]
