"""Benchmark the read API against a bare Flask endpoint under the same gunicorn settings, with wrk.

    python bench/api.py [--seconds 10] [--connections 32] [--path /api/v1/repos]

Builds a 200-repository SQLite dataset, starts `gunicorn 'api:create_app()'` and
`gunicorn 'bench.api:bare_app()'` with the repository's gunicorn.conf.py, drives each with wrk
in alternating rounds, and prints requests/s, their ratio, and p50/p99 latency (medians).
Targets: the API at >= 0.8 x the bare endpoint's throughput, p99 <= 20 ms at 32 connections.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPOSITORIES = 200
LANGUAGES = ["Python", "Go", "Rust", "TypeScript", "Shell", "C", "HTML", "CSS"]
TARGET_RATIO = 0.8
TARGET_P99_MS = 20.0


def bare_app():
    """The baseline: Flask answering a constant string, nothing else."""
    from flask import Flask

    app = Flask(__name__)

    @app.get("/")
    def constant() -> str:
        return "ok"

    return app


def build_dataset(path: Path) -> str:
    """A migrated SQLite database with REPOSITORIES published repositories; returns its URL."""
    sys.path.insert(0, str(ROOT))
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def run_wrk(url: str, seconds: int, connections: int) -> Result:
    subprocess.run(["wrk", "-t1", "-c4", "-d1s", url], check=True, capture_output=True)  # warm every thread
    # One wrk thread drives 32 connections with ease and leaves the two cores to the servers.
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per endpoint; medians are shown")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--path", default="/api/v1/repos")
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
        runs: dict[str, list[Result]] = {"api": [], "bare": []}
        # Both servers up at once (the idle one costs nothing); runs alternate so that other load
        # on the machine falls on both alike.
        with serve("api:create_app()", env) as api_base, serve("bench.api:bare_app()", env) as bare_base:
            for _ in range(args.rounds):
                runs["api"].append(run_wrk(api_base + args.path, args.seconds, args.connections))
                runs["bare"].append(run_wrk(bare_base + "/", args.seconds, args.connections))
    api, bare = median_result(runs["api"]), median_result(runs["bare"])

    ratio = api.requests_per_second / bare.requests_per_second
    print(
        f"{REPOSITORIES} repositories, {args.connections} connections, {os.cpu_count()} cores, "
        f"median of {args.rounds} alternating {args.seconds}-second wrk runs"
    )
    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, result in ((f"GET {args.path}", api), ("bare Flask constant", bare)):
        print(f"{name:<28}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}")
        if result.errors:
            print(f"  {name}: {result.errors}")
    print(f"ratio API / bare: {ratio:.2f} (target >= {TARGET_RATIO})")
    met = ratio >= TARGET_RATIO and api.p99_ms <= TARGET_P99_MS and not api.errors
    print(f"targets {'met' if met else 'NOT met'}: p99 {api.p99_ms:.2f} ms (target <= {TARGET_P99_MS:g} ms)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
