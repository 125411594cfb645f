"""A GitHub REST client on one `requests.Session`: conditional requests, rate limits, retries.

Every request has a timeout. Pages are followed through the `Link` header. Responses with an
ETag are remembered per token fingerprint (the caller persists them) and asked for again with
`If-None-Match`; a `304` re-uses the stored body and, with a token, costs no rate-limit points.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import requests

from shared.config import GitHubSettings

log = logging.getLogger(__name__)

USER_AGENT = "portfolio-syncer/0.1 (+https://github.com/; GitHub mirror for portfolio sites)"
MAX_BACKOFF = 30.0


class GitHubError(Exception):
    """GitHub could not give what the sync needs; the message is for the operator."""


class RateLimited(GitHubError):
    """The rate limit is exhausted for longer than the run may wait."""

    def __init__(self, resume_at: datetime | None, message: str):
        self.resume_at = resume_at
        super().__init__(message)


class GitHubUnavailable(GitHubError):
    """GitHub keeps failing; the run gives up rather than hammer it."""


class Aborted(Exception):
    """The process was asked to stop while the sync was in flight."""


@dataclass(frozen=True)
class CachedResponse:
    """What is kept of a response for conditional requests."""

    etag: str
    body: str
    next_url: str | None


class ResponseCache:
    """ETag-keyed responses for one token fingerprint.

    The ETags known from earlier runs are given up front; a stored body is loaded only when
    GitHub answers 304. Responses received in this run are kept in `fresh` for saving.
    """

    def __init__(
        self,
        fingerprint: str,
        etags: dict[str, str] | None = None,
        load: Callable[[str], CachedResponse | None] | None = None,
    ):
        self.fingerprint = fingerprint
        self._etags = etags or {}
        self._load = load
        self._lock = threading.Lock()
        self.fresh: dict[str, tuple[str, CachedResponse]] = {}  # key -> (url, entry)

    def key(self, url: str) -> str:
        return hashlib.sha256(f"{self.fingerprint}\n{url}".encode()).hexdigest()

    def etag(self, url: str) -> str | None:
        key = self.key(url)
        with self._lock:
            if key in self.fresh:
                return self.fresh[key][1].etag
        return self._etags.get(key)

    def get(self, url: str) -> CachedResponse | None:
        key = self.key(url)
        with self._lock:
            if key in self.fresh:
                return self.fresh[key][1]
        return self._load(key) if self._load and key in self._etags else None

    def put(self, url: str, entry: CachedResponse) -> None:
        with self._lock:
            self.fresh[self.key(url)] = (url, entry)


@dataclass
class Stats:
    """What the run cost; updated from worker threads."""

    requests: int = 0
    not_modified: int = 0
    points_spent: int = 0
    rate_limit_remaining: int | None = None
    rate_limit_reset: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, response: requests.Response, *, authenticated: bool) -> None:
        with self._lock:
            for hop in [*response.history, response]:
                self.requests += 1
                if hop.status_code == 304:
                    self.not_modified += 1
                if not (authenticated and hop.status_code == 304):
                    self.points_spent += 1
            remaining = response.headers.get("X-RateLimit-Remaining")
            reset = response.headers.get("X-RateLimit-Reset")
            if remaining is not None and remaining.isdigit():
                self.rate_limit_remaining = int(remaining)
            if reset is not None and reset.isdigit():
                self.rate_limit_reset = int(reset)

    def record_failure(self) -> None:
        with self._lock:
            self.requests += 1


@dataclass(frozen=True)
class Reply:
    """A usable answer: status 200 (fresh or from the cache after a 304), 204, or a handled error."""

    status: int
    data: Any
    next_url: str | None = None
    not_modified: bool = False
    message: str = ""


class GitHubClient:
    """Talks to one GitHub (github.com or an Enterprise Server) with one connection pool."""

    def __init__(
        self,
        settings: GitHubSettings,
        cache: ResponseCache,
        *,
        stop: threading.Event | None = None,
    ):
        self.settings = settings
        self.cache = cache
        self.stop = stop or threading.Event()
        self.stats = Stats()
        self._failures = 0
        self._failures_lock = threading.Lock()
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(4, settings.workers))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": USER_AGENT,
            }
        )
        if settings.token is not None:
            self.session.headers["Authorization"] = f"Bearer {settings.token.reveal()}"

    def close(self) -> None:
        self.session.close()

    def url(self, path: str, **params: Any) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{self.settings.api_url}{path}" + (f"?{query}" if query else "")

    def get(self, url: str, *, allow: tuple[int, ...] = ()) -> Reply:
        """GET `url` (absolute) with retries; statuses in `allow` come back instead of raising."""
        etag = self.cache.etag(url)
        headers = {"If-None-Match": etag} if etag else {}
        attempt = 0
        limited = 0
        while True:
            self._check_stop()
            try:
                response = self.session.get(
                    url, headers=headers, timeout=(min(5.0, self.settings.timeout), self.settings.timeout)
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                self.stats.record_failure()
                attempt = self._failed(url, attempt, f"{type(error).__name__}")
                continue
            self.stats.record(response, authenticated=self.settings.token is not None)
            status = response.status_code

            if status == 304:
                cached = self.cache.get(url)
                if cached is not None:
                    self._succeeded()
                    return Reply(200, json.loads(cached.body), cached.next_url, not_modified=True)
                headers = {}  # the stored body is gone: ask again unconditionally
                attempt = self._failed(url, attempt, "a 304 for a response no longer stored")
                continue
            if status in (403, 429) and self._is_rate_limited(response):
                limited += 1
                self._wait_for_rate_limit(response, limited)
                continue
            if status >= 500:
                attempt = self._failed(url, attempt, f"HTTP {status}")
                continue
            if status in allow or status == 204:
                self._succeeded()
                return Reply(status, None, message=_message(response))
            if status == 200:
                try:
                    data = response.json()
                except ValueError:
                    attempt = self._failed(url, attempt, "a body that is not valid JSON")
                    continue
                self._succeeded()
                next_url = response.links.get("next", {}).get("url")
                etag = response.headers.get("ETag")
                if etag:
                    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
                    self.cache.put(url, CachedResponse(etag, body, next_url))
                return Reply(200, data, next_url)
            raise GitHubError(f"GitHub answered {status} for {_path(url)}: {_message(response)}")

    def pages(self, url: str, *, allow: tuple[int, ...] = ()) -> Iterator[Reply]:
        """Every page of a list, following `Link: rel="next"`."""
        next_url: str | None = url
        while next_url:
            reply = self.get(next_url, allow=allow)
            yield reply
            next_url = reply.next_url if reply.status == 200 else None

    # -- failure handling ------------------------------------------------------------------

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise Aborted("stop requested")

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Aborted("stop requested")

    def _succeeded(self) -> None:
        with self._failures_lock:
            self._failures = 0

    def _failed(self, url: str, attempt: int, reason: str) -> int:
        """Count a failed attempt; sleep with backoff and jitter, or give up."""
        with self._failures_lock:
            self._failures += 1
            failures = self._failures
        attempt += 1
        if attempt >= self.settings.max_attempts:
            raise GitHubUnavailable(f"GitHub failed {attempt} times for {_path(url)} (last: {reason}); giving up")
        if failures >= self.settings.max_consecutive_failures:
            raise GitHubUnavailable(f"GitHub failed {failures} requests in a row (last: {reason}); giving up")
        delay = min(MAX_BACKOFF, self.settings.retry_backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
        log.warning("%s for %s; retrying in %.1f s (attempt %d of %d)", reason, _path(url), delay, attempt + 1,
                    self.settings.max_attempts)
        self._sleep(delay)
        return attempt

    @staticmethod
    def _is_rate_limited(response: requests.Response) -> bool:
        if response.headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in response.headers:
            return True
        return "rate limit" in _message(response).lower()

    def _wait_for_rate_limit(self, response: requests.Response, times: int) -> None:
        """Wait as GitHub asks, or raise RateLimited when that is longer than allowed."""
        now = time.time()
        if response.headers.get("X-RateLimit-Remaining") == "0" and "Retry-After" not in response.headers:
            reset = int(response.headers.get("X-RateLimit-Reset", now + 60))
            wait, kind = max(1.0, reset - now + 1), "primary"
        elif response.headers.get("Retry-After", "").strip().isdigit():
            wait, kind = float(response.headers["Retry-After"]), "secondary"
        else:
            wait, kind = self.settings.secondary_backoff * 2 ** (times - 1), "secondary"
        resume_at = datetime.fromtimestamp(now + wait, timezone.utc)
        if wait > self.settings.max_rate_limit_wait:
            raise RateLimited(
                resume_at,
                f"GitHub {kind} rate limit reached; it resets at {resume_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"later than GITHUB_MAX_RATE_LIMIT_WAIT={self.settings.max_rate_limit_wait:g}s allows; "
                "run again after that",
            )
        if times > self.settings.max_attempts:
            raise RateLimited(resume_at, f"GitHub {kind} rate limit hit {times} times in a row; run again later")
        log.warning("GitHub %s rate limit: waiting %.0f s (until %s UTC)", kind, wait, f"{resume_at:%H:%M:%S}")
        self._sleep(wait)


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""


def _path(url: str) -> str:
    """The URL without scheme and host, for messages."""
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
