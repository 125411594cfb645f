"""What the client reads off GitHub's answers without a network: the points they cost, their messages."""

from __future__ import annotations

import requests
from requests.structures import CaseInsensitiveDict

from syncer.github import Stats, _message

RESET = "1800000000"


def answer(status: int, remaining: int | None = None, *, resource: str = "core", reset: str = RESET,
           history: tuple[requests.Response, ...] = (), body: bytes = b"", reason: str | None = None
           ) -> requests.Response:
    """A response as requests builds it; with `remaining`, GitHub's rate-limit headers."""
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response._content = body
    response.history = list(history)
    response.headers = CaseInsensitiveDict(
        {} if remaining is None else
        {"X-RateLimit-Remaining": str(remaining), "X-RateLimit-Resource": resource, "X-RateLimit-Reset": reset}
    )
    return response


def spent(*answers: requests.Response, authenticated: bool = True) -> Stats:
    stats = Stats()
    for response in answers:
        stats.record(response, authenticated=authenticated)
    return stats


def test_a_window_costs_from_its_highest_remaining_to_its_lowest():
    stats = spent(answer(200, 4999), answer(200, 4998), answer(404, 4997))
    assert stats.points_spent == 3 and stats.requests == 3


def test_answers_arriving_out_of_order_still_cost_one_point_each():
    assert spent(answer(200, 9), answer(200, 10)).points_spent == 2


def test_windows_are_told_apart_by_their_reset_and_their_resource():
    stats = spent(
        answer(200, 10), answer(200, 9),  # the window before the reset
        answer(200, 4999, reset=str(int(RESET) + 3600)),  # the next one
        answer(200, 29, resource="search"),
    )
    assert stats.points_spent == 4


def test_graphql_points_are_not_rest_points():
    assert spent(answer(200, 4990, resource="graphql"), answer(200, 4999)).points_spent == 1


def test_an_authenticated_304_is_free_and_an_anonymous_one_costs_a_point():
    assert spent(answer(304, 4990)).points_spent == 0
    assert spent(answer(304, 4990), authenticated=False).points_spent == 1
    assert spent(answer(304)).points_spent == 0
    assert spent(answer(304), authenticated=False).points_spent == 1


def test_answers_without_rate_limit_headers_cost_a_point_each_except_server_errors():
    assert spent(answer(200), answer(404), answer(499), answer(500), answer(503)).points_spent == 3


def test_only_304s_count_as_not_modified():
    stats = spent(answer(200, 10), answer(304, 10), answer(404, 9), answer(200))
    assert (stats.requests, stats.not_modified) == (4, 1)


def test_each_hop_of_a_redirect_is_a_request_and_costs_its_point():
    stats = spent(answer(200, 4998, history=(answer(301, 4999),)))
    assert (stats.requests, stats.points_spent) == (2, 2)


def test_the_last_remaining_header_seen_is_kept():
    stats = Stats()
    assert stats.rate_limit_remaining is None
    stats.record(answer(200, 4321), authenticated=True)
    stats.record(answer(502), authenticated=True)
    assert stats.rate_limit_remaining == 4321


def test_a_request_that_got_no_answer_is_counted_and_costs_nothing():
    stats = Stats()
    stats.record_failure()
    assert (stats.requests, stats.points_spent) == (1, 0)


def test_the_message_of_an_answer_is_its_json_message_else_its_reason():
    assert _message(answer(403, body=b'{"message": "Resource not accessible", "status": "403"}')) == (
        "Resource not accessible")
    assert _message(answer(422, body=b'{"errors": []}')) == ""
    assert _message(answer(400, body=b'["not", "an", "object"]')) == ""
    assert _message(answer(502, body=b"<html>Bad Gateway</html>", reason="Bad Gateway")) == "Bad Gateway"
    assert _message(answer(599, body=b"")) == ""
