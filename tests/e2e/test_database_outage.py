"""The database goes away under the API and comes back: only the documented 503, then recovery."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests

from shared import migrate
from shared.db import make_engine
from tests.api.servers import gunicorn
from tests.e2e.processes import fake_github_process, keep_getting
from tests.helpers import run_syncer, syncer_env

pytestmark = pytest.mark.slow


def hammer(base: str, stop: threading.Event, seen: Counter, bodies: list) -> None:
    for _path, response, error in keep_getting(base, ["/api/v1/repos", "/healthz", "/api/v1/languages",
                                                      "/api/v1/status"], stop):
        if error is not None:
            seen["connection error"] += 1
            bodies.append(str(error))
            continue
        seen[response.status_code] += 1
        if response.status_code != 200:
            bodies.append(response.text[:300])
        time.sleep(0.01)


def test_api_answers_503_while_the_database_is_down_and_recovers_by_itself(private_postgres):
    url = private_postgres.url
    migrate.upgrade(make_engine(url))
    with fake_github_process() as fake:
        fake.call("populate", ["alice"], 10, 1)
        env = syncer_env(url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice")
        assert run_syncer("once", env=env).returncode == 0
    # The cache in memory would hide the outage from /api/v1/repos; /healthz and the
    # generation check must notice it, and nothing may answer a 500.
    with gunicorn(url) as base:
        stop, seen, bodies = threading.Event(), Counter(), []
        threads = [threading.Thread(target=hammer, args=(base, stop, seen, bodies)) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        private_postgres.stop()
        time.sleep(3)
        down = Counter(seen)
        private_postgres.start()
        private_postgres.wait_until_ready()
        deadline = time.monotonic() + 15
        while requests.get(base + "/healthz", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "the API did not recover after the database came back"
            time.sleep(0.2)
        recovered_at = Counter(seen)
        time.sleep(1)
        stop.set()
        for thread in threads:
            thread.join(15)
    assert set(seen) <= {200, 503}, (seen, bodies[:5])
    assert down[503] > 0  # the outage was seen as the documented 503 (healthz at least)
    assert seen[200] > recovered_at[200]  # and answers are whole again afterwards
    assert all('"error"' in body for body in bodies)
