"""Benchmark the read API with wrk: identity beside gzip, and against bare Flask sending the same bytes.

    python bench/api.py [--seconds 10] [--rounds 3] [--connections 32] [--path '/api/v1/repos?per_page=100']

Builds a 200-repository SQLite dataset, starts `gunicorn 'api:create_app()'` and
`gunicorn 'bench.api:bare_app()'` (a Flask view returning the API's identity body, read once)
with the repository's gunicorn.conf.py, drives them with wrk in alternating rounds, and prints
requests/s, p50/p99 latency (medians) and the bytes one answer takes on the wire.
Targets: gzip at >= 0.95 x identity's throughput (nothing is compressed per request), gzip's wire
bytes <= 15 % of identity's, the API at >= 1.2 x bare Flask with the same bytes, p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port  # noqa: E402

REPOSITORIES = 200
LANGUAGES = ["Python", "Go", "Rust", "TypeScript", "Shell", "C", "HTML", "CSS"]
TARGET_RATIO = 1.2
TARGET_GZIP_RATIO = 0.95
TARGET_GZIP_BYTES = 0.15
TARGET_P99_MS = 20.0
BODY_FILE = "BENCH_BODY_FILE"
GZIP = {"Accept-Encoding": "gzip"}


def bare_app():
    """The baseline: a Flask view answering the bytes in $BENCH_BODY_FILE (read once) as JSON."""
    from flask import Flask, Response

    body = Path(os.environ[BODY_FILE]).read_bytes()
    app = Flask(__name__)

    @app.get("/")
    def same_bytes() -> Response:
        return Response(body, content_type="application/json")

    return app


def build_dataset(path: Path) -> str:
    """A migrated SQLite database with REPOSITORIES published repositories; returns its URL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import Session

    from shared import migrate
    from shared.db import make_engine
    from shared.models import (
        Contributor,
        DatasetState,
        Language,
        Repository,
        RepositoryContributor,
        RepositoryLanguage,
    )

    url = f"sqlite:///{path}"
    engine = make_engine(make_url(url))
    migrate.upgrade(engine)
    now = datetime.now(timezone.utc)
    with Session(engine) as session, session.begin():
        session.add_all(Language(id=i, name=name) for i, name in enumerate(LANGUAGES, start=1))
        session.add_all(
            Contributor(id=i, login=f"person{i}", html_url=f"https://github.com/person{i}") for i in range(1, 21)
        )
        for i in range(1, REPOSITORIES + 1):
            session.add(
                Repository(
                    id=i,
                    owner_login="bench",
                    name=f"project-{i:03d}",
                    full_name=f"bench/project-{i:03d}",
                    description=f"Project number {i}, a benchmark repository with a typical description.",
                    html_url=f"https://github.com/bench/project-{i:03d}",
                    homepage=f"https://project-{i}.example",
                    language=LANGUAGES[i % len(LANGUAGES)],
                    topics=["benchmark", f"topic-{i % 7}"],
                    stargazers_count=(i * 37) % 500,
                    forks_count=i % 13,
                    license_spdx_id="MIT",
                    license_name="MIT License",
                    created_at=now - timedelta(days=i),
                    updated_at=now - timedelta(hours=i),
                    pushed_at=now - timedelta(hours=i),
                )
            )
        session.flush()
        for i in range(1, REPOSITORIES + 1):
            for j in range(3):
                session.add(
                    RepositoryLanguage(
                        repository_id=i, language_id=(i + j) % len(LANGUAGES) + 1, bytes=1000 * (j + 1) + i
                    )
                )
                session.add(
                    RepositoryContributor(repository_id=i, contributor_id=(i + j) % 20 + 1, contributions=j + i % 5 + 1)
                )
        state = session.get(DatasetState, 1)
        state.generation += 1
        state.changed_at = state.synced_at = now
    engine.dispose()
    return url



@contextmanager
def serve(app: str, env: dict[str, str]):
    """gunicorn with the repository's gunicorn.conf.py (it binds PORT); yields the base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), app],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # it answers (the API has no "/")
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {app} did not start: {process.stderr.read()}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str | None


def _milliseconds(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, seconds: int, connections: int, headers: dict[str, str] | None = None) -> Result:
    header_args = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    subprocess.run(["wrk", "-t1", "-c4", "-d1s", *header_args, url], check=True, capture_output=True)  # warm up
    # One wrk thread drives 32 connections with ease and leaves the two cores to the servers.
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *header_args, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    errors = re.search(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", output)
    return Result(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_milliseconds(percentiles["50"]),
        p99_ms=_milliseconds(percentiles["99"]),
        errors=errors.group(1) if errors else None,
    )


def median_result(results: list[Result]) -> Result:
    errors = [r.errors for r in results if r.errors]
    return Result(
        requests_per_second=statistics.median(r.requests_per_second for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        errors="; ".join(errors) or None,
    )


@dataclass
class Wire:
    """One answer as it crosses the network: status line and headers, and the body as sent."""

    header_bytes: int
    body: bytes
    encoding: str | None

    @property
    def total(self) -> int:
        return self.header_bytes + len(self.body)


def fetch_wire(base: str, path: str, headers: dict[str, str] | None = None) -> Wire:
    """GET `path` with http.client, which leaves a Content-Encoding as it is, and count its bytes."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status} {body[:200]!r}")
        head = f"HTTP/1.1 {response.status} {response.reason}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in response.getheaders()
        )
        return Wire(len(head.encode()) + 2, body, response.getheader("Content-Encoding"))
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per endpoint; medians are shown")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--path", default="/api/v1/repos?per_page=100")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    with tempfile.TemporaryDirectory() as directory:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "CORS_", "API_", "GITHUB_", "WEB_", "GUNICORN_"))
        }
        env["DATABASE_URL"] = build_dataset(Path(directory) / "bench.db")
        env["PYTHONPATH"] = str(ROOT)
        runs: dict[str, list[Result]] = {"identity": [], "gzip": [], "bare": []}
        with serve("api:create_app()", env) as api_base:
            identity, gzipped = fetch_wire(api_base, args.path), fetch_wire(api_base, args.path, GZIP)
            body_file = Path(directory) / "body.json"
            body_file.write_bytes(identity.body)
            # Both servers up at once (the idle one costs nothing); runs alternate so that other load
            # on the machine falls on all alike.
            with serve("bench.api:bare_app()", {**env, BODY_FILE: str(body_file)}) as bare_base:
                bare = fetch_wire(bare_base, "/")
                for _ in range(args.rounds):
                    runs["identity"].append(run_wrk(api_base + args.path, args.seconds, args.connections))
                    runs["gzip"].append(run_wrk(api_base + args.path, args.seconds, args.connections, GZIP))
                    runs["bare"].append(run_wrk(bare_base + "/", args.seconds, args.connections))
    results = {name: median_result(found) for name, found in runs.items()}
    return report(args, results, {"identity": identity, "gzip": gzipped, "bare": bare})


def report(args, results: dict[str, Result], wires: dict[str, Wire]) -> int:
    cards = len(json.loads(wires["identity"].body)["items"])
    print(
        f"{REPOSITORIES} repositories, GET {args.path} ({cards} cards), {args.connections} connections, "
        f"{os.cpu_count()} cores, median of {args.rounds} alternating {args.seconds}-second wrk runs"
    )
    print(f"{'endpoint':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'wire bytes':>12}")
    rows = (
        ("API, identity", "identity"),
        ("API, Accept-Encoding: gzip", "gzip"),
        ("bare Flask, the same bytes", "bare"),
    )
    for label, name in rows:
        result = results[name]
        print(
            f"{label:<34}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}"
            f"{wires[name].total:>12}"
        )
        if result.errors:
            print(f"  {label}: {result.errors}")
    if wires["gzip"].encoding != "gzip" or gzip.decompress(wires["gzip"].body) != wires["identity"].body:
        print("the gzip answer is not the identity body gzipped")
        return 1
    identity, zipped, bare = results["identity"], results["gzip"], results["bare"]
    gzip_ratio = zipped.requests_per_second / identity.requests_per_second
    bytes_ratio = wires["gzip"].total / wires["identity"].total
    bare_ratio = identity.requests_per_second / bare.requests_per_second
    p99 = max(identity.p99_ms, zipped.p99_ms)
    print(f"gzip / identity throughput: {gzip_ratio:.2f} (target >= {TARGET_GZIP_RATIO})")
    print(f"gzip / identity wire bytes: {bytes_ratio:.1%} (target <= {TARGET_GZIP_BYTES:.0%})")
    print(f"API / bare Flask (same bytes): {bare_ratio:.2f} (target >= {TARGET_RATIO})")
    met = (
        gzip_ratio >= TARGET_GZIP_RATIO
        and bytes_ratio <= TARGET_GZIP_BYTES
        and bare_ratio >= TARGET_RATIO
        and p99 <= TARGET_P99_MS
        and not (identity.errors or zipped.errors)
    )
    print(f"targets {'met' if met else 'NOT met'}: p99 {p99:.2f} ms (target <= {TARGET_P99_MS:g} ms)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
