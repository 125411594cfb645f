"""Load on the API while syncs publish new generations: every answer must be whole and consistent.

Each sync round stamps every repository with the round number (description "round K", K stars),
so a response is consistent exactly when all its items carry the same K.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from tests.api.servers import gunicorn
from tests.e2e.processes import fake_github_process, keep_getting
from tests.helpers import run_syncer, syncer_env

ROUND = re.compile(r"^round (\d+)$")


@dataclass
class LoadResult:
    seconds: float
    requests: int = 0
    failed: int = 0
    inconsistent: int = 0
    generations_seen: set[int] = field(default_factory=set)
    syncs: int = 0
    failed_syncs: int = 0
    locked_messages: int = 0
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock | None = field(default_factory=threading.Lock, repr=False)

    def add(self, *, failed: bool = False, inconsistent: bool = False, generation: int | None = None,
            error: str | None = None) -> None:
        with self._lock:
            self.requests += 1
            self.failed += failed
            self.inconsistent += inconsistent
            if generation is not None:
                self.generations_seen.add(generation)
            if error and len(self.errors) < 10:
                self.errors.append(error)


def _reader(base: str, stop: threading.Event, result: LoadResult, repos: int) -> None:
    paths = ["/api/v1/repos?per_page=100", "/api/v1/repos?per_page=100&sort=name", "/api/v1/languages"]
    for path, response, error in keep_getting(base, paths, stop):
        if error is not None:
            result.add(failed=True, error=f"{path}: {type(error).__name__}: {error}")
            continue
        if response.status_code != 200:
            result.add(failed=True, error=f"{path}: HTTP {response.status_code} {response.text[:200]}")
            continue
        body = response.json()
        if "languages" in path:
            result.add(inconsistent=body["total_bytes"] != sum(i["bytes"] for i in body["items"]))
            continue
        rounds = {int(ROUND.match(i["description"] or "").group(1)) if ROUND.match(i["description"] or "") else -1
                  for i in body["items"]}
        stars = {i["stars"] for i in body["items"]}
        consistent = len(rounds) == 1 and rounds == stars and body["total"] == repos == len(body["items"])
        result.add(inconsistent=not consistent, generation=next(iter(rounds)) if consistent else None,
                   error=None if consistent else f"{path}: rounds {sorted(rounds)[:5]} stars {sorted(stars)[:5]}")


def read_for(base: str, seconds: float, connections: int, repos: int) -> LoadResult:
    """`connections` threads, each on its own keep-alive connection, reading for `seconds`."""
    result = LoadResult(seconds=seconds)
    stop = threading.Event()
    readers = [threading.Thread(target=_reader, args=(base, stop, result, repos)) for _ in range(connections)]
    for reader in readers:
        reader.start()
    time.sleep(seconds)
    stop.set()
    for reader in readers:
        reader.join(15)
    result._lock = None
    return result


def run_load_while_syncing(db_url, *, seconds: float = 30, connections: int = 32, repos: int = 30,
                           sync_every: float = 2.0) -> LoadResult:
    """`connections` readers against gunicorn for `seconds` while `syncer once` publishes new rounds."""
    result = LoadResult(seconds=seconds)
    with fake_github_process() as fake:
        ids = [fake.call("add_repo", "alice", f"repo-{i}", description="round 0", languages={"Go": 10 + i})
               for i in range(repos)]
        env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN="ghp_load_test_token")
        assert run_syncer("db", "upgrade", env=env).returncode == 0
        first = run_syncer("once", env=env)
        assert first.returncode == 0, first.stderr
        with gunicorn(db_url) as base, ProcessPoolExecutor(1) as pool:
            # The readers run in a process of their own so they do not starve this one of the GIL.
            load = pool.submit(read_for, base, seconds, connections, repos)
            deadline = time.monotonic() + seconds
            round_number = 0
            while time.monotonic() < deadline:
                round_number += 1
                for rid in ids:
                    fake.call("update_repo", rid, description=f"round {round_number}", stars=round_number,
                              languages={"Go": 10 + rid % 7 + round_number})
                    fake.call("push", rid)
                sync = run_syncer("once", env=env)
                result.syncs += 1
                result.failed_syncs += sync.returncode != 0
                result.locked_messages += "database is locked" in sync.stdout + sync.stderr
                time.sleep(max(0.0, min(sync_every, deadline - time.monotonic())))
            readers = load.result(timeout=seconds + 60)
    result.requests, result.failed, result.inconsistent = readers.requests, readers.failed, readers.inconsistent
    result.generations_seen, result.errors = readers.generations_seen, readers.errors
    return result
