"""A GitHub REST client on one `requests.Session`: conditional requests, rate limits, retries.

Every request has a timeout. Pages are followed through the `Link` header. Every 200 is saved
in the response store as it arrives and asked for again with `If-None-Match`; a `304` re-uses
the stored response and, with a token, costs no rate-limit points. What to do with a failure
is the retry policy's decision (`syncer.retry`); this module sends and acts on it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from shared.config import GitHubSettings
from syncer.errors import Aborted, GitHubError
from syncer.responses import ResponseStore, Tag
from syncer.retry import Action, RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")
USER_AGENT = "portfolio-syncer/0.1 (+https://github.com/; GitHub mirror for portfolio sites)"


@dataclass
class Stats:
    """What the run cost; updated from worker threads.

    Points are counted as GitHub counts them: the `X-RateLimit-Remaining` headers are the truth
    (per resource and reset window); an answer without them costs a point unless it is an
    authenticated 304 or a server error. GraphQL's points are its answers' to count (`rateLimit.cost`).
    """

    requests: int = 0
    not_modified: int = 0
    rate_limit_remaining: int | None = None
    _windows: dict[tuple[str, str], list[int]] = field(default_factory=dict, repr=False)  # [before, lowest]
    _unmetered: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def points_spent(self) -> int:
        """REST points."""
        with self._lock:
            return self._unmetered + sum(before - lowest for (resource, _), (before, lowest) in self._windows.items()
                                         if resource != "graphql")

    def record(self, response: requests.Response, *, authenticated: bool) -> None:
        with self._lock:
            for hop in [*response.history, response]:
                self.requests += 1
                if hop.status_code == 304:
                    self.not_modified += 1
                self._meter(hop, authenticated)

    def record_failure(self) -> None:
        with self._lock:
            self.requests += 1

    def _meter(self, hop: requests.Response, authenticated: bool) -> None:
        free = authenticated and hop.status_code == 304
        remaining = hop.headers.get("X-RateLimit-Remaining")
        if remaining is None or not remaining.isdigit():
            self._unmetered += 0 if free or hop.status_code >= 500 else 1
            return
        left = int(remaining)
        self.rate_limit_remaining = left
        window = (hop.headers.get("X-RateLimit-Resource"), hop.headers.get("X-RateLimit-Reset"))
        before = left + (0 if free else 1)
        known = self._windows.setdefault(window, [before, left])
        known[0], known[1] = max(known[0], before), min(known[1], left)


@dataclass(frozen=True)
class Reply:
    """A usable answer: 200 (fresh, or stored after a 304), 204, or a status the caller allowed.

    `data` is None after a 304 unless the caller asked for the stored body (`body=True`).
    """

    status: int
    data: Any
    next_url: str | None = None
    not_modified: bool = False
    message: str = ""


class FailureStreak:
    """Failed requests in a row over all threads; a success ends the streak."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def failed(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def succeeded(self) -> None:
        with self._lock:
            self._count = 0


class GitHubClient:
    """Talks to one GitHub (github.com or an Enterprise Server) with one connection pool."""

    def __init__(self, settings: GitHubSettings, store: ResponseStore, *, stop: threading.Event | None = None):
        self.settings = settings
        self.store = store
        self.stop = stop or threading.Event()
        self.policy = RetryPolicy.from_settings(settings)
        self.stats = Stats()
        self.streak = FailureStreak()
        self.session = requests.Session()
        # The listing thread and every worker may each hold a connection at once.
        size = settings.workers + 1
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=size)
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

    def get(self, url: str, *, allow: tuple[int, ...] = (), tag: Tag | None = None, body: bool = False,
            accept: str | None = None) -> Reply:
        """GET `url` (absolute), conditionally, with retries.

        Statuses in `allow` come back instead of raising. `tag` says what the response is about
        (kept with it for pruning); `body=True` loads the stored body after a 304. `accept` asks
        for another media type than JSON (a README's rendered HTML): its body is text.
        """
        headers = {"Accept": accept} if accept else {}
        conditional = [True]

        def send() -> requests.Response:
            etag = self.store.etag(url) if conditional[0] else None
            # requests leaves out a header whose value is None: without an ETag, no If-None-Match.
            return self.session.get(url, headers={**headers, "If-None-Match": etag or None}, timeout=self._timeout)

        def answer(response: requests.Response) -> Reply:
            try:
                return self._reply(url, response, allow, tag, body, text=accept is not None)
            except _Unusable as unusable:
                conditional[0] = conditional[0] and not unusable.unconditional
                raise

        return self._exchange(url, send, answer)

    def post_graphql(self, url: str, payload: dict[str, Any]) -> Any:
        """POST one GraphQL document; the decoded answer (its `errors` are the caller's to read)."""

        def send() -> requests.Response:
            return self.session.post(url, json=payload, timeout=self._timeout)

        def answer(response: requests.Response) -> Any:
            if response.status_code != 200:
                raise GitHubError(f"GitHub answered {response.status_code} for {_path(url)}: {_message(response)}")
            try:
                return response.json()
            except ValueError:
                raise _Unusable("a body that is not valid JSON") from None

        return self._exchange(url, send, answer)

    def _exchange(self, url: str, send: Callable[[], requests.Response],
                  answer: Callable[[requests.Response], T]) -> T:
        """Send, let the policy classify the answer, act on it: wait, back off and send again, or answer."""
        attempt, limited = 0, 0
        while True:
            self._check_stop()
            try:
                response = send()
            except (requests.ConnectionError, requests.Timeout) as error:
                self.stats.record_failure()
                attempt = self._back_off(url, attempt, type(error).__name__)
                continue
            self.stats.record(response, authenticated=self.settings.token is not None)
            status = response.status_code
            message = _message(response) if status in (403, 429) else ""
            decision = self.policy.classify(status, response.headers, message, limited=limited, now=time.time())
            if decision.action is Action.WAIT:
                limited += 1
                log.warning("%s: waiting %.0f s", decision.reason, decision.seconds)
                self._sleep(decision.seconds)
                continue
            if decision.action is Action.RETRY:
                attempt = self._back_off(url, attempt, decision.reason)
                continue
            try:
                result = answer(response)
            except _Unusable as unusable:
                attempt = self._back_off(url, attempt, str(unusable))
                continue
            self.streak.succeeded()
            return result

    def pages(self, url: str, *, allow: tuple[int, ...] = (), tag: Tag | None = None,
              body: bool = False) -> Iterator[tuple[str, Reply]]:
        """Every page of a list with its URL, following `Link: rel="next"`."""
        next_url: str | None = url
        while next_url:
            reply = self.get(next_url, allow=allow, tag=tag, body=body)
            yield next_url, reply
            next_url = reply.next_url  # None after the last page, and for any status but 200

    @property
    def _timeout(self) -> tuple[float, float]:
        return min(5.0, self.settings.timeout), self.settings.timeout

    def _reply(self, url: str, response: requests.Response, allow: tuple[int, ...], tag: Tag | None,
               body: bool, *, text: bool) -> Reply:
        status = response.status_code
        if status == 304:
            stored = self.store.stored(url)
            saved = self.store.body(url) if stored is not None and body else None
            if stored is None or (body and saved is None):
                raise _Unusable("a 304 for a response no longer stored", unconditional=True)
            if tag is not None and tag.repository_id is not None and stored.repository_id != tag.repository_id:
                self.store.retag(url, tag)
            data = saved if text or saved is None else json.loads(saved)
            return Reply(200, data, stored.next_url, not_modified=True)
        if status in allow or status == 204:
            return Reply(status, None, message=_message(response))
        if status != 200:
            raise GitHubError(f"GitHub answered {status} for {_path(url)}: {_message(response)}")
        if text:
            data = response.text
        else:
            try:
                data = response.json()
            except ValueError:
                raise _Unusable("a body that is not valid JSON") from None
        next_url = response.links.get("next", {}).get("url")
        self.store.save(url, response.headers.get("ETag"), response.text, next_url, tag)
        return Reply(200, data, next_url)

    def _back_off(self, url: str, attempt: int, reason: str) -> int:
        """Count a failed attempt and sleep its backoff; the policy raises when it is time to give up."""
        attempt += 1
        delay = self.policy.increment(attempt, self.streak.failed(), reason, _path(url))
        log.warning("%s for %s; retrying in %.1f s (attempt %d of %d)", reason, _path(url), delay, attempt + 1,
                    self.policy.max_attempts)
        self._sleep(delay)
        return attempt

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise Aborted("stop requested")

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Aborted("stop requested")


class _Unusable(Exception):
    """An answer that must be asked for again (not JSON, or a 304 whose stored body is gone)."""

    def __init__(self, reason: str, *, unconditional: bool = False):
        super().__init__(reason)
        self.unconditional = unconditional


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""


def _path(url: str) -> str:
    """The URL without scheme and host, for messages."""
    return urlsplit(url)._replace(scheme="", netloc="").geturl()
