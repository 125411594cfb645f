"""Hostile query strings on every endpoint of a real gunicorn: clear 400s (or data), never a 500."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.api.servers import gunicorn
from tests.e2e.processes import fake_github_process
from tests.helpers import run_syncer, syncer_env

pytestmark = pytest.mark.slow

ENDPOINTS = ["/api/v1/repos", "/api/v1/repos/alice/some-repo", "/api/v1/languages", "/api/v1/contributors",
             "/api/v1/status", "/healthz", "/api/v1/openapi.json"]
HOSTILE = [
    "page=-1", "page=0", "page=99999999999999999999", "per_page=100000", "per_page=1e3", "page=1.5",
    "q=" + "a" * 3000, "q=%27%20OR%201%3D1%20--", "q=%22%3B%20DROP%20TABLE%20repositories%3B%20--",
    "q=%E6%97%A5%E6%9C%AC%E8%AA%9E&q=%F0%9F%9A%80", "sort=stars&sort=name", "order=sideways", "sort=%00", "fork=maybe", "featured=TRUE",
    "language=%E2%80%AE%E2%80%AD", "q=%ZZ", "q=%C0%AE%C0%AE", "owner=../../etc/passwd", "topic=" + "%C3%A9" * 500,
    "%00=1", "=", "&&&", "page", "unknown=1", "x" * 2000 + "=1",
]


def raw_get(base: str, path: str) -> tuple[int, str, bytes]:
    """GET with the request target sent as raw UTF-8 bytes, as a hostile client may."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), body


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_hostile_query_strings_get_clear_answers_never_a_500(empty_db_url):
    with fake_github_process() as fake:
        fake.call("populate", ["alice"], 12, 5)
        env = syncer_env(empty_db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice")
        assert run_syncer("once", env=env).returncode == 0
    with gunicorn(empty_db_url) as base:
        answers = {}
        for endpoint in ENDPOINTS:
            for query in HOSTILE:
                status, content_type, body = raw_get(base, f"{endpoint}?{query}")
                answers[(endpoint, query[:30])] = status
                assert status < 500, (endpoint, query, body[:300])
                if status == 400:
                    assert content_type.startswith("application/json"), (endpoint, query)
                    error = json.loads(body)["error"]
                    assert error["code"] and error["message"]
        # Raw non-ASCII bytes or an overlong request line are refused by gunicorn itself: a 400 too.
        for path in ("/api/v1/repos?q=日本語", "/api/v1/repos?q=" + "a" * 9000):
            assert raw_get(base, path)[0] in (400, 414)
        # The SQL-looking search is data, not an error: it simply matches nothing.
        status, _, body = raw_get(base, "/api/v1/repos?q=%27%20OR%201%3D1%20--")
        assert status == 200 and json.loads(body)["total"] == 0
        assert answers[("/api/v1/repos", "page=-1")] == 400 and answers[("/api/v1/repos", "unknown=1")] == 400
