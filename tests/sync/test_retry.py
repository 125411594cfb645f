"""The retry policy decides alone: each decision tested without a network."""

from __future__ import annotations

import time
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest

from shared.config import GitHubSettings
from syncer.errors import GitHubUnavailable, RateLimited
from syncer.retry import Action, RetryPolicy, is_rate_limited, parse_retry_after

NOW = 1_800_000_000.0


def policy(**overrides) -> RetryPolicy:
    return RetryPolicy(**{"jitter": lambda: 1.0, **overrides})


def test_backoff_doubles_from_the_first_and_stops_at_the_cap():
    assert [policy(backoff=1.0).get_backoff_time(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert policy(backoff=0.5, max_backoff=3).get_backoff_time(4) == 3


@pytest.mark.parametrize("jitter", [0.5, 1.49])
def test_backoff_is_scaled_by_the_jitter(jitter):
    assert policy(backoff=2.0, jitter=lambda: jitter).get_backoff_time(2) == pytest.approx(4 * jitter)


def test_default_jitter_spreads_between_half_and_one_and_a_half():
    delays = {RetryPolicy(backoff=1.0).get_backoff_time(1) for _ in range(200)}
    assert all(0.5 <= d < 1.5 for d in delays) and max(delays) - min(delays) > 0.5


def test_server_errors_are_retried_and_other_answers_used():
    assert policy().classify(500, {}, "", limited=0, now=NOW).action is Action.RETRY
    assert policy().classify(502, {}, "", limited=0, now=NOW).reason == "HTTP 502"
    for status in (200, 204, 304, 404, 451):
        assert policy().classify(status, {}, "", limited=0, now=NOW).action is Action.ANSWER


def test_a_plain_403_is_an_answer_not_a_wait():
    decision = policy().classify(403, {"X-RateLimit-Remaining": "4000"}, "Resource not accessible", limited=0, now=NOW)
    assert decision.action is Action.ANSWER


def test_429_waits_as_long_as_retry_after_says():
    decision = policy().classify(429, {"Retry-After": "7"}, "", limited=0, now=NOW)
    assert (decision.action, decision.seconds) == (Action.WAIT, 7.0)


def test_secondary_limit_waits_retry_after():
    decision = policy().classify(403, {"Retry-After": "42"}, "You have exceeded a secondary rate limit", limited=0,
                                 now=NOW)
    assert (decision.action, decision.seconds, decision.reason) == (Action.WAIT, 42.0, "GitHub secondary rate limit")


def test_secondary_limit_without_retry_after_backs_off_from_a_minute_doubling():
    waits = [policy(secondary_backoff=60).classify(403, {}, "secondary rate limit", limited=n, now=NOW).seconds
             for n in range(3)]
    assert waits == [60, 120, 240]


def test_primary_limit_waits_until_the_reset_and_a_second_more():
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 100)}
    decision = policy().classify(403, headers, "API rate limit exceeded", limited=0, now=NOW)
    assert (decision.action, decision.seconds, decision.reason) == (Action.WAIT, 101.0, "GitHub primary rate limit")


def test_retry_after_wins_over_the_reset_time():
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 500), "Retry-After": "3"}
    assert policy().classify(429, headers, "", limited=0, now=NOW).seconds == 3.0


def test_a_wait_longer_than_allowed_ends_the_run_saying_when_to_resume():
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 3600)}
    with pytest.raises(RateLimited, match="GITHUB_MAX_RATE_LIMIT_WAIT=900s") as error:
        policy(max_rate_limit_wait=900).classify(403, headers, "", limited=0, now=NOW)
    assert error.value.resume_at == datetime.fromtimestamp(NOW + 3601, timezone.utc)


def test_a_limit_that_keeps_coming_back_ends_the_run():
    policy(max_attempts=3).classify(429, {"Retry-After": "1"}, "", limited=2, now=NOW)
    with pytest.raises(RateLimited, match="4 times in a row"):
        policy(max_attempts=3).classify(429, {"Retry-After": "1"}, "", limited=3, now=NOW)


def test_increment_backs_off_until_the_attempts_are_used():
    assert policy(max_attempts=4, backoff=1).increment(3, 3, "HTTP 500", "/x") == 4
    with pytest.raises(GitHubUnavailable, match="failed 4 times for /x .last: HTTP 500.; giving up"):
        policy(max_attempts=4).increment(4, 4, "HTTP 500", "/x")


def test_eight_failures_in_a_row_end_the_run():
    policy(max_attempts=100).increment(1, 7, "HTTP 500", "/x")
    with pytest.raises(GitHubUnavailable, match="8 requests in a row"):
        policy(max_attempts=100).increment(1, 8, "HTTP 500", "/x")


def test_the_policy_follows_the_settings():
    settings = GitHubSettings(max_attempts=6, retry_backoff=0.25, secondary_backoff=5, max_rate_limit_wait=30,
                              max_consecutive_failures=9)
    made = RetryPolicy.from_settings(settings)
    assert (made.max_attempts, made.backoff, made.secondary_backoff, made.max_rate_limit_wait,
            made.max_consecutive_failures) == (6, 0.25, 5, 30, 9)


@pytest.mark.parametrize(("headers", "message", "limited"), [
    ({"X-RateLimit-Remaining": "0"}, "", True),
    ({"Retry-After": "5"}, "", True),
    ({}, "You have exceeded a secondary rate limit.", True),
    ({}, "API rate limit exceeded for user ID 1.", True),
    ({"X-RateLimit-Remaining": "12"}, "Must have admin rights to Repository.", False),
])
def test_what_counts_as_a_rate_limit(headers, message, limited):
    assert is_rate_limited(headers, message) is limited


def test_retry_after_is_read_in_seconds_or_as_a_date():
    assert parse_retry_after("30", NOW) == 30
    when = datetime.fromtimestamp(NOW + 90, timezone.utc)
    assert parse_retry_after(format_datetime(when, usegmt=True), NOW) == pytest.approx(90)
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_retry_after_on_an_exhausted_primary_limit_is_named_primary():
    headers = {"X-RateLimit-Remaining": "0", "Retry-After": "9"}
    assert policy().classify(403, headers, "", limited=0, now=NOW).reason == "GitHub primary rate limit"
    assert policy().classify(403, {"Retry-After": "9"}, "", limited=0, now=NOW).reason == "GitHub secondary rate limit"


def test_a_secondary_limit_without_retry_after_is_named_secondary():
    decision = policy().classify(403, {}, "You have exceeded a secondary rate limit", limited=0, now=NOW)
    assert decision.reason == "GitHub secondary rate limit"


def test_retry_after_as_an_http_date_counts_from_now():
    when = format_datetime(datetime.fromtimestamp(NOW + 120, timezone.utc), usegmt=True)
    assert policy().classify(429, {"Retry-After": when}, "", limited=0, now=NOW).seconds == pytest.approx(120)


def test_an_exhausted_limit_without_a_reset_header_waits_a_minute():
    decision = policy().classify(403, {"X-RateLimit-Remaining": "0"}, "", limited=0, now=NOW)
    assert decision.seconds == 61


def test_a_reset_already_past_still_waits_a_second():
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) - 30)}
    assert policy().classify(403, headers, "", limited=0, now=NOW).seconds == 1.0


def test_a_wait_exactly_as_long_as_allowed_is_waited():
    decision = policy(max_rate_limit_wait=42).classify(429, {"Retry-After": "42"}, "", limited=0, now=NOW)
    assert (decision.action, decision.seconds) == (Action.WAIT, 42.0)


def test_the_message_of_a_too_long_wait_names_the_limit_and_says_to_run_again():
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 3600)}
    with pytest.raises(RateLimited) as error:
        policy().classify(403, headers, "", limited=0, now=NOW)
    assert str(error.value).startswith("GitHub primary rate limit reached; it resets at ")
    assert str(error.value).endswith("; run again after that")
    with pytest.raises(RateLimited, match="^GitHub secondary rate limit hit 5 times in a row; run again later$") as again:
        policy(max_attempts=4).classify(429, {"Retry-After": "1"}, "", limited=4, now=NOW)
    assert again.value.resume_at == datetime.fromtimestamp(NOW + 1, timezone.utc)


@pytest.fixture
def far_from_utc(monkeypatch):
    """The process's local zone five hours behind UTC, so a date read as local time would show."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_retry_after_date_without_a_zone_is_utc_and_one_past_is_no_wait(far_from_utc):
    assert parse_retry_after("Thu, 15 Jan 2027 08:00:30 -0000", datetime(2027, 1, 15, 8, tzinfo=timezone.utc)
                             .timestamp()) == 30
    assert parse_retry_after("Thu, 15 Jan 2027 08:00:00 GMT", datetime(2027, 1, 15, 9, tzinfo=timezone.utc)
                             .timestamp()) == 0
