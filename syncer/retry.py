"""When to send a request to GitHub again, how long to wait first, and when to give up.

Modelled on urllib3's `Retry`: a small policy object that decides, kept apart from the loop that
sends. `RetryPolicy.classify` looks at one answer and says what to do with it; `increment`
counts a failed attempt and says how long to back off (or gives up); `rate_limit_wait` reads
how long GitHub asks us to wait. Nothing here sleeps or sends.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from shared.config import GitHubSettings
from syncer.errors import GitHubUnavailable, RateLimited

MAX_BACKOFF = 30.0


class Action(enum.Enum):
    ANSWER = "answer"  # use this response (the caller decides whether its status is fine)
    RETRY = "retry"  # a transient failure: count it, back off, send again
    WAIT = "wait"  # rate limited: wait as long as GitHub asks, then send again


@dataclass(frozen=True)
class Decision:
    action: Action
    seconds: float = 0.0  # WAIT: how long
    reason: str = ""  # RETRY and WAIT: for the log line


@dataclass(frozen=True)
class RetryPolicy:
    """The limits of one run's retries, from GITHUB_MAX_ATTEMPTS and the backoff settings."""

    max_attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = MAX_BACKOFF
    secondary_backoff: float = 60.0
    max_rate_limit_wait: float = 900.0
    max_consecutive_failures: int = 8
    jitter: Callable[[], float] = lambda: random.uniform(0.5, 1.5)

    @classmethod
    def from_settings(cls, settings: GitHubSettings) -> RetryPolicy:
        return cls(
            max_attempts=settings.max_attempts,
            backoff=settings.retry_backoff,
            secondary_backoff=settings.secondary_backoff,
            max_rate_limit_wait=settings.max_rate_limit_wait,
            max_consecutive_failures=settings.max_consecutive_failures,
        )

    def classify(self, status: int, headers: Mapping[str, str], message: str, *, limited: int, now: float) -> Decision:
        """What to do with an answer; `limited` counts the rate limits this request already met.

        Raises RateLimited when GitHub asks for a longer wait than the run may make.
        """
        if status in (403, 429) and is_rate_limited(headers, message):
            seconds, kind = self.rate_limit_wait(headers, limited + 1, now)
            self.check_rate_limit(seconds, kind, limited + 1, now)
            return Decision(Action.WAIT, seconds, f"GitHub {kind} rate limit")
        if status >= 500:
            return Decision(Action.RETRY, reason=f"HTTP {status}")
        return Decision(Action.ANSWER)

    def get_backoff_time(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th failure: doubling from `backoff`, capped, with jitter."""
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * self.jitter()

    def increment(self, attempt: int, streak: int, reason: str, path: str) -> float:
        """Count a failure (`attempt` of this request, `streak` in a row over all); the backoff, or give up."""
        if attempt >= self.max_attempts:
            raise GitHubUnavailable(f"GitHub failed {attempt} times for {path} (last: {reason}); giving up")
        if streak >= self.max_consecutive_failures:
            raise GitHubUnavailable(f"GitHub failed {streak} requests in a row (last: {reason}); giving up")
        return self.get_backoff_time(attempt)

    def rate_limit_wait(self, headers: Mapping[str, str], times: int, now: float) -> tuple[float, str]:
        """How long to wait, and which limit it is ("primary" or "secondary"), the `times`-th time in a row.

        `Retry-After` wins; an exhausted primary limit waits for `X-RateLimit-Reset`; a secondary
        limit without `Retry-After` backs off exponentially from GITHUB_SECONDARY_BACKOFF.
        """
        retry_after = parse_retry_after(headers.get("Retry-After"), now)
        if retry_after is not None:
            return retry_after, "secondary" if headers.get("X-RateLimit-Remaining") != "0" else "primary"
        if headers.get("X-RateLimit-Remaining") == "0":
            reset = headers.get("X-RateLimit-Reset", "")
            reset_at = int(reset) if reset.isdigit() else now + 60
            return max(1.0, reset_at - now + 1), "primary"
        return self.secondary_backoff * 2 ** (times - 1), "secondary"

    def check_rate_limit(self, seconds: float, kind: str, times: int, now: float) -> None:
        """Raise RateLimited when the wait is longer than allowed, or the limit keeps coming back."""
        resume_at = datetime.fromtimestamp(now + seconds, timezone.utc)
        if seconds > self.max_rate_limit_wait:
            raise RateLimited(
                resume_at,
                f"GitHub {kind} rate limit reached; it resets at {resume_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"later than GITHUB_MAX_RATE_LIMIT_WAIT={self.max_rate_limit_wait:g}s allows; "
                "run again after that",
            )
        if times > self.max_attempts:
            raise RateLimited(resume_at, f"GitHub {kind} rate limit hit {times} times in a row; run again later")


def is_rate_limited(headers: Mapping[str, str], message: str) -> bool:
    """A 403 or 429 that is a rate limit (primary or secondary), not a refusal."""
    if headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in headers:
        return True
    return "rate limit" in message.lower()


def parse_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` in seconds (GitHub sends seconds; an HTTP date is read too); None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, moment.timestamp() - now)
