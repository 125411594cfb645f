"""HTTP around the JSON bodies: strong ETags and 304s, Cache-Control, CORS and security headers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Response, request
from werkzeug.http import parse_etags

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from api.cache import DatasetCache

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
    ("Access-Control-Allow-Headers", "If-None-Match, Cache-Control"),
    ("Access-Control-Max-Age", "600"),
]


@dataclass(frozen=True)
class Rendered:
    """A serialized JSON body and its strong ETag, computed once."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, document: Any) -> Rendered:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def json_response(rendered: Rendered, cache_control: str) -> Response:
    """A 200 with the body, or a 304 when the client's If-None-Match already names its ETag."""
    headers = [("ETag", rendered.etag), ("Cache-Control", cache_control)]
    if "If-None-Match" in request.headers and request.if_none_match.contains_weak(rendered.etag[1:-1]):
        return Response(status=304, headers=headers)
    return Response(rendered.body, headers=headers, content_type=JSON)


def memory_key(environ: WSGIEnvironment) -> tuple[str, str]:
    """What a rendered answer is kept under: the raw path and query string."""
    return environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")


class AnswerFromMemory:
    """Answers a GET or HEAD that was answered before in this generation straight from memory.

    Only bodies rendered for exactly this path and query string are kept, and only 200s, so
    validation, errors, 503s and first requests all go through Flask as usual.
    """

    def __init__(self, app: WSGIApplication, datasets: DatasetCache, cache_control: str):
        self.app = app
        self.datasets = datasets
        self.cache_control = cache_control

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        try:
            rendered = self.datasets.snapshot().responses.get(memory_key(environ))
        except Exception:  # noqa: BLE001 - no snapshot yet or the database is down: Flask answers
            rendered = None
        if rendered is None:
            return self.app(environ, start_response)
        headers = [("ETag", rendered.etag), ("Cache-Control", self.cache_control)]
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(rendered.etag[1:-1]):
            start_response("304 NOT MODIFIED", headers)
            return []
        headers += [("Content-Type", JSON), ("Content-Length", str(len(rendered.body)))]
        start_response("200 OK", headers)
        return [] if method == "HEAD" else [rendered.body]


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
        return allowed + [("Access-Control-Expose-Headers", "ETag")]
