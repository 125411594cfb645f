"""Benchmark `syncer once` against a fake GitHub with per-request latency.

For each size n it runs, as real `syncer once` processes on a fresh SQLite database, with the
content on (profiles, pins, READMEs, releases, social images, colours): a first sync (default
workers), a repeat sync with no upstream change, a repeat as the nightly run makes it
(`--recheck`: every repository asked again, and the pins), and the first sync again with 1
worker. It prints requests, REST points, GraphQL queries and points, wall time and peak RSS, and
checks the targets: requests <= the REST minimum plus the GraphQL queries, 0 REST points and no
GraphQL query on a repeat, only the pins (1 point per owner) on the nightly repeat, wall time <=
1.3 x (requests x latency / workers), peak RSS < 150 MB at n = 1000.

    python bench/sync.py                       # n = 50, 200, 1000; 100 ms latency
    python bench/sync.py --sizes 50 --latency 0.05
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale import peak_rss_mb  # noqa: E402
from bench.targets import finish  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402

OWNER = "alice"


def rest_minimum(fake: FakeGitHub) -> tuple[int, int]:
    """(list pages + one languages and one README call per repository + contributor pages, owner lookups)."""
    public = [r for r in fake.snapshot() if not r["private"] and r["visibility"] == "public"]
    pages = max(1, math.ceil(len(public) / 100))
    contributor_pages = sum(max(1, math.ceil(len(r["contributors"]) / 100)) for r in public)
    return pages + 2 * len(public) + contributor_pages, 1


def run_once_measured(database: Path, fake: FakeGitHub, workers: int, *args: str) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SYNC_", "DATABASE_"))},
        "DATABASE_URL": f"sqlite:///{database}",
        "GITHUB_API_URL": fake.url,
        "GITHUB_OWNERS": OWNER,
        "GITHUB_TOKEN": "bench-token",
        "SYNC_WORKERS": str(workers),
        "PYTHONPATH": str(ROOT),
    }
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "syncer", "once", *args], env=env, stdout=out, stderr=err)
        rss_mb = peak_rss_mb(process)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"syncer once failed:\n{stdout}\n{stderr}")
    graphql = re.search(r"GraphQL: (\d+) queries, (\d+) points", stdout)
    return {
        "requests": int(re.search(r"(\d+) requests \(", stdout).group(1)),
        "points": int(re.search(r"(\d+) points spent", stdout).group(1)),
        "graphql": int(graphql.group(1)) if graphql else 0,
        "graphql_points": int(graphql.group(2)) if graphql else 0,
        "sync": float(re.search(r" in ([\d.]+) s", stdout).group(1)),
        "wall": wall,
        "rss_mb": rss_mb,
    }


def bench_size(n: int, latency: float, workers: int) -> dict:
    with FakeGitHub(latency=0.0) as fake, tempfile.TemporaryDirectory() as tmp:
        fake.populate(owners=[OWNER], n=n, seed=7)
        minimum, lookups = rest_minimum(fake)
        fake.latency = latency
        fake.set_rate_limit(1_000_000)  # four syncs of n = 1000 with the content spend more than an hour's 5,000
        first = run_once_measured(Path(tmp) / "a.db", fake, workers)
        repeat = run_once_measured(Path(tmp) / "a.db", fake, workers)
        nightly = run_once_measured(Path(tmp) / "a.db", fake, workers, "--recheck")
        single = run_once_measured(Path(tmp) / "b.db", fake, 1)
    return {"n": n, "minimum": minimum, "lookups": lookups, "first": first, "repeat": repeat, "nightly": nightly,
            "single": single}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per fake GitHub request")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    print(f"fake GitHub latency {args.latency * 1000:.0f} ms/request, {args.workers} workers, SQLite, token set\n")
    header = (f"{'n':>5} {'run':<15} {'requests':>8} {'minimum':>8} {'points':>6} {'GraphQL':>7} {'GQL pts':>7} "
              f"{'sync s':>7} {'budget s':>8} {'RSS MB':>7}")
    print(header)
    print("-" * len(header))
    failures = []
    for n in args.sizes:
        r = bench_size(n, args.latency, args.workers)
        minimum = r["minimum"] + r["lookups"]
        for label, run, workers in (("first", r["first"], args.workers), ("repeat", r["repeat"], args.workers),
                                    ("repeat, nightly", r["nightly"], args.workers),
                                    ("first, 1 wkr", r["single"], 1)):
            first_kind = label.startswith("first")
            budget = f"{1.3 * run['requests'] * args.latency / workers:.2f}" if first_kind else "-"
            print(f"{n:>5} {label:<15} {run['requests']:>8} {minimum if first_kind else '-':>8} "
                  f"{run['points']:>6} {run['graphql']:>7} {run['graphql_points']:>7} {run['sync']:>7.2f} "
                  f"{budget:>8} {run['rss_mb']:>7.1f}")
        ratio = r["single"]["sync"] / r["first"]["sync"]
        print(f"{n:>5} speed-up of {args.workers} workers over 1: {ratio:.2f}x\n")
        if r["first"]["requests"] > minimum + r["first"]["graphql"]:
            failures.append(f"n={n}: first sync made {r['first']['requests']} requests > minimum {minimum} "
                            f"+ {r['first']['graphql']} GraphQL queries")
        if r["repeat"]["points"] != 0 or r["repeat"]["graphql"] != 0:
            failures.append(f"n={n}: repeat sync spent {r['repeat']['points']} points, "
                            f"{r['repeat']['graphql']} GraphQL queries")
        if r["nightly"]["points"] != 0 or r["nightly"]["graphql_points"] != r["lookups"]:
            failures.append(f"n={n}: nightly repeat spent {r['nightly']['points']} REST points and "
                            f"{r['nightly']['graphql_points']} GraphQL points (target 0 and 1 per owner)")
        if r["first"]["sync"] > 1.3 * r["first"]["requests"] * args.latency / args.workers:
            failures.append(f"n={n}: first sync took {r['first']['sync']:.1f} s, over budget")
        if n >= 1000 and r["first"]["rss_mb"] >= 150:
            failures.append(f"n={n}: peak RSS {r['first']['rss_mb']:.0f} MB >= 150 MB")
    print("minimum = list pages + one languages and one README call per repository + contributor pages"
          " + one owner lookup (REST); GraphQL: pins (one query per owner) and extras (100 repositories a query)")
    print("budget  = 1.3 x requests x latency / workers")
    finish(failures)


if __name__ == "__main__":
    main()
