"""`gunicorn 'api:create_app()'` with the repository's gunicorn.conf.py serves the API in a real process."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from tests.api.data import publish, repository
from tests.api.servers import GUNICORN, gunicorn
from tests.helpers import ROOT, syncer_env

pytestmark = pytest.mark.slow


def test_gunicorn_serves_the_api_on_the_port_named_by_port(sqlite_url, sqlite_engine):
    publish(sqlite_engine, repository(1, "alice/rocket"))

    with gunicorn(sqlite_url) as base, urllib.request.urlopen(base + "/api/v1/repos") as response:
        body = json.load(response)
        headers = response.headers

    assert [item["full_name"] for item in body["items"]] == ["alice/rocket"]
    assert headers["ETag"] and headers["X-Content-Type-Options"] == "nosniff"


def test_a_wrong_setting_stops_gunicorn_with_one_line_and_no_traceback(sqlite_url):
    result = subprocess.run(
        [GUNICORN, "api:create_app()"],
        cwd=ROOT,
        env=syncer_env(sqlite_url, CORS_ORIGINS="not-an-origin"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: CORS_ORIGINS: expected comma-separated origins such as https://example.com or * (got 'not-an-origin')"
    ]


def test_a_port_that_is_no_number_stops_gunicorn_with_one_line(sqlite_url):
    result = subprocess.run(
        [GUNICORN, "api:create_app()"],
        cwd=ROOT,
        env=syncer_env(sqlite_url, PORT="eighty"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["error: PORT: expected an integer >= 1 (got 'eighty')"]
