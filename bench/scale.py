"""Benchmark a large organisation: first and repeat syncs at n repositories, then the API on the largest.

For each size n and fake GitHub latency, a fake GitHub process (`python -m tests.fakegithub`) serves
an organisation of n repositories, and `syncer once` runs as a fresh subprocess on a new SQLite
database (the first sync), then again (the repeat, nothing changed upstream). Each run prints its
requests, rate-limit points, wall time and peak RSS (VmHWM of that subprocess, read from /proc),
the first sync against the REST minimum computed from the fake's ground truth.

Then the read API under gunicorn (two workers, gunicorn.conf.py) on the largest dataset: each
worker's RSS (now and peak) once it has loaded the dataset, after a flood of distinct queries that
fills its budget of rendered answers, and after new generations were loaded beside that full
budget; the first uncached `/api/v1/repos?per_page=100` after a new generation; and the
requests/s of that page from memory (wrk).

Targets: first sync peak RSS <= 150 MB and repeat <= 120 MB at n = 10,000; every API worker
<= 150 MB at n = 10,000; the first uncached answer <= 1 s; first-sync points within 5 % of the
minimum, a repeat 0 points.

    python bench/scale.py                                    # n = 1000 5000 10000, latency 0 and 100 ms
    python bench/scale.py --quick                            # n = 1000, latency 0
    python bench/scale.py --sizes 10000 --latencies 0
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.api import run_wrk  # noqa: E402
from bench.targets import finish  # noqa: E402
from shared.clock import utcnow  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.generation import record_publish  # noqa: E402
from tests.helpers import free_port, rest_minimum, syncer_env  # noqa: E402

OWNER = "scale-org"
SYNC_RSS_TARGET_MB = {"first": 150, "repeat": 120}
API_RSS_TARGET_MB = 150
UNCACHED_TARGET_S = 1.0
POINTS_TOLERANCE = 0.05
SORTS = ("curated", "stars", "pushed", "updated", "created", "name")


@dataclass
class Run:
    requests: int
    points: int
    wall: float
    rss_mb: float


@contextmanager
def fake_github(n: int, latency: float):
    """The fake GitHub as a process serving OWNER's n repositories; yields (url, REST minimum)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakegithub", "--port", "0", "--repos", str(n), "--owners", OWNER,
         "--latency", str(latency), "--seed", "7", "--rate-limit", "1000000"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        ready = process.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise SystemExit("the fake GitHub did not start")
        url = ready[1]
        with urllib.request.urlopen(f"{url}/_fake/state", timeout=120) as answer:
            truth = json.load(answer)
        yield url, rest_minimum(truth, [OWNER])
    finally:
        process.terminate()
        process.wait(timeout=30)


def sync_once(database: Path, github_url: str) -> Run:
    """One `syncer once` in a fresh subprocess; its figures from its summary line and its peak RSS."""
    env = syncer_env(make_url(f"sqlite:///{database}"), GITHUB_API_URL=github_url, GITHUB_OWNERS=OWNER,
                     GITHUB_TOKEN="ghp_scale_bench_token", GITHUB_TIMEOUT="30")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "syncer", "once"], env=env, cwd=ROOT, stdout=out, stderr=err)
        peak = peak_rss_mb(process)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"syncer once failed:\n{stdout}\n{stderr[-3000:]}")
    return Run(
        requests=int(re.search(r"; (\d+) requests \(", stdout).group(1)),
        points=int(re.search(r"(\d+) points spent", stdout).group(1)),
        wall=wall,
        rss_mb=peak,
    )


def peak_rss_mb(process: subprocess.Popen, interval: float = 0.02) -> float:
    """The process's peak RSS (VmHWM, which only grows) read until it exits; then it is reaped.

    Not wait4's ru_maxrss: Linux carries the parent's RSS over into a child started with
    vfork + exec, so a child of a large parent would show the parent's size.
    """
    peak = 0.0
    while process.poll() is None:
        try:
            peak = max(peak, memory_mb(process.pid)[1])
        except (OSError, KeyError):
            pass  # exiting: its /proc entry is going
        time.sleep(interval)
    return peak


def bench_sync(n: int, latency: float, database: Path) -> dict:
    with fake_github(n, latency) as (url, minimum):
        first = sync_once(database, url)
        repeat = sync_once(database, url)
    return {"n": n, "latency": latency, "minimum": minimum, "first": first, "repeat": repeat}


# -- the API ----------------------------------------------------------------------------------------


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB: its resident memory now and at its peak."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextmanager
def api_server(database: Path):
    """gunicorn 'api:create_app()' with two workers on `database`; yields (base URL, worker pids)."""
    port = free_port()
    env = syncer_env(make_url(f"sqlite:///{database}"), PORT=str(port), WEB_CONCURRENCY="2")
    with tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "api:create_app()"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while len(children(process.pid)) < 2 or not answers(base + "/healthz"):
                if process.poll() is not None or time.monotonic() > deadline:
                    err.seek(0)
                    raise SystemExit(f"gunicorn did not start: {err.read()[-2000:]}")
                time.sleep(0.2)
            yield base, children(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


def answers(url: str) -> bool:
    try:
        get(url)
        return True
    except OSError:
        return False


def get(url: str) -> int:
    """GET on a new connection (so the kernel may hand it to either worker); the body's size."""
    request = urllib.request.Request(url, headers={"Connection": "close"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return len(answer.read())


def load_every_worker(base: str, requests: int = 40) -> None:
    """Ask on `requests` new connections: the kernel spreads them over the workers (SO_REUSEPORT), so
    every worker has loaded the dataset (all on one worker: 2**-39 for two workers)."""
    for _ in range(requests):
        get(f"{base}/api/v1/repos")


def first_uncached_seconds(base: str, database: Path, times: int = 3) -> list[float]:
    """Publish a new generation, let the workers' check interval pass, time the first page of 100."""
    engine = make_engine(make_url(f"sqlite:///{database}"))
    seconds = []
    try:
        for _ in range(times):
            with Session(engine) as session, session.begin():
                record_publish(session, utcnow(), changed=True)
            time.sleep(1.0)  # the API checks the generation every 0.5 s
            started = time.perf_counter()
            get(f"{base}/api/v1/repos?per_page=100")
            seconds.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return seconds


def flood(base: str, count: int) -> int:
    """`count` distinct uncached queries (pages, sorts, orders) from four threads; the bytes answered."""
    queries = itertools.islice(
        (f"{base}/api/v1/repos?per_page=100&page={page}&sort={sort}&order={order}"
         for page in range(1, 101) for sort in SORTS for order in ("asc", "desc")),
        count,
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        return sum(pool.map(get, queries))


def bench_api(database: Path, flood_queries: int, wrk_seconds: int) -> dict:
    """Memory once loaded, after a flood that fills the rendered answers' budget, and after new
    generations are loaded beside that full budget (the worst moment); timings in between."""
    with api_server(database) as (base, pids):
        load_every_worker(base)
        loaded = {pid: memory_mb(pid) for pid in pids}
        flooded_bytes = flood(base, flood_queries)
        flooded = {pid: memory_mb(pid) for pid in pids}
        uncached = first_uncached_seconds(base, database)
        load_every_worker(base)
        reloaded = {pid: memory_mb(pid) for pid in pids}
        wrk = run_wrk(f"{base}/api/v1/repos?per_page=100", wrk_seconds, 32) if shutil.which("wrk") else None
    return {"loaded": loaded, "flooded": flooded, "reloaded": reloaded, "flooded_bytes": flooded_bytes,
            "uncached": uncached, "wrk": wrk}


# -- the report -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.0, 0.1], help="seconds per fake request")
    parser.add_argument("--quick", action="store_true", help="n = 1000 at latency 0 only, a shorter API run")
    parser.add_argument("--flood", type=int, default=1200, help="distinct API queries of the flood")
    parser.add_argument("--wrk-seconds", type=int, default=5)
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.latencies, args.flood, args.wrk_seconds = [1000], [0.0], 200, 2

    print(f"fake GitHub organisation {OWNER}, SQLite, token set, 4 sync workers, {os.cpu_count()} cores\n", flush=True)
    header = (f"{'n':>6} {'latency':>7} {'run':<7} {'requests':>8} {'minimum':>8} {'points':>7} "
              f"{'wall s':>7} {'RSS MB':>7}")
    print(header)
    print("-" * len(header), flush=True)
    failures: list[str] = []
    largest = max(args.sizes)
    with tempfile.TemporaryDirectory() as directory:
        api_database = None
        for latency, n in itertools.product(args.latencies, args.sizes):
            database = Path(directory) / f"n{n}-latency{latency:g}.db"
            result = bench_sync(n, latency, database)
            for label in ("first", "repeat"):
                run = result[label]
                minimum = result["minimum"] if label == "first" else "-"
                print(f"{n:>6} {latency * 1000:>5.0f}ms {label:<7} {run.requests:>8} {minimum:>8} {run.points:>7} "
                      f"{run.wall:>7.1f} {run.rss_mb:>7.1f}", flush=True)
            failures += sync_failures(result, largest)
            if n == largest and api_database is None:
                api_database = database
            elif database != api_database:
                database.unlink()
        api = bench_api(api_database, args.flood, args.wrk_seconds)
    failures += report_api(api, largest)
    print("\nminimum = owner lookups + list pages + per public repository: one languages call, its contributor pages, its README")
    finish(failures)


def sync_failures(result: dict, largest: int) -> list[str]:
    n, first, repeat, minimum = result["n"], result["first"], result["repeat"], result["minimum"]
    where = f"n={n} at {result['latency'] * 1000:.0f} ms"
    failures = []
    if first.points > (1 + POINTS_TOLERANCE) * minimum:
        failures.append(f"{where}: the first sync spent {first.points} points, minimum {minimum}")
    if repeat.points:
        failures.append(f"{where}: the repeat spent {repeat.points} points")
    if n == largest:
        for label, run in (("first", first), ("repeat", repeat)):
            if run.rss_mb > SYNC_RSS_TARGET_MB[label]:
                failures.append(f"{where}: {label} sync peak RSS {run.rss_mb:.0f} MB > {SYNC_RSS_TARGET_MB[label]} MB")
    return failures


def report_api(api: dict, n: int) -> list[str]:
    print(f"\nAPI at n={n}: gunicorn, 2 workers x 2 threads")
    for moment, label in (("loaded", "dataset loaded"), ("flooded", "after the flood"),
                          ("reloaded", "after new generations")):
        figures = ", ".join(f"{now:.0f} MB (peak {peak:.0f})" for now, peak in api[moment].values())
        print(f"  RSS per worker, {label}: {figures}")
    print(f"  flood: {api['flooded_bytes'] / 2**20:.0f} MB of distinct answers rendered")
    print("  first uncached /api/v1/repos?per_page=100 after a new generation: "
          + ", ".join(f"{s:.2f} s" for s in api["uncached"]))
    if api["wrk"] is not None:
        wrk = api["wrk"]
        print(f"  from memory, 32 connections: {wrk.requests_per_second:.0f} requests/s, p50 {wrk.p50_ms:.1f} ms, "
              f"p99 {wrk.p99_ms:.1f} ms" + (f" ({wrk.errors})" if wrk.errors else ""))
    failures = []
    peak = max(peak for moment in ("loaded", "flooded", "reloaded") for _, peak in api[moment].values())
    if peak > API_RSS_TARGET_MB:
        failures.append(f"API worker peak RSS {peak:.0f} MB > {API_RSS_TARGET_MB} MB")
    if max(api["uncached"]) > UNCACHED_TARGET_S:
        failures.append(f"first uncached answer {max(api['uncached']):.2f} s > {UNCACHED_TARGET_S:g} s")
    return failures


if __name__ == "__main__":
    main()
