"""Benchmark `syncer once` against a fake GitHub with per-request latency.

For each size n it runs, as real `syncer once` processes on a fresh SQLite database:
a first sync (default workers), a repeat sync with no upstream change, and the first sync
again with 1 worker. It prints requests, rate-limit points, wall time and peak RSS, and checks
the targets: requests <= the REST minimum, 0 points on a repeat, wall time <= 1.3 x
(requests x latency / workers), peak RSS < 150 MB at n = 1000.

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
from tests.fakegithub import FakeGitHub  # noqa: E402

OWNER = "alice"


def rest_minimum(fake: FakeGitHub) -> tuple[int, int]:
    """(list pages + one languages call per repository + contributor pages, owner lookups)."""
    public = [r for r in fake.snapshot() if not r["private"] and r["visibility"] == "public"]
    pages = max(1, math.ceil(len(public) / 100))
    contributor_pages = sum(max(1, math.ceil(len(r["contributors"]) / 100)) for r in public)
    return pages + len(public) + contributor_pages, 1


def run_once_measured(database: Path, fake: FakeGitHub, workers: int) -> dict:
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
        process = subprocess.Popen([sys.executable, "-m", "syncer", "once"], env=env, stdout=out, stderr=err)
        rss_mb = peak_rss_mb(process)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"syncer once failed:\n{stdout}\n{stderr}")
    return {
        "requests": int(re.search(r"requests: (\d+)", stdout).group(1)),
        "points": int(re.search(r"(\d+) points spent", stdout).group(1)),
        "sync": float(re.search(r"in ([\d.]+) s", stdout).group(1)),
        "wall": wall,
        "rss_mb": rss_mb,
    }


def bench_size(n: int, latency: float, workers: int) -> dict:
    with FakeGitHub(latency=0.0) as fake, tempfile.TemporaryDirectory() as tmp:
        fake.populate(owners=[OWNER], n=n, seed=7)
        minimum, lookups = rest_minimum(fake)
        fake.latency = latency
        first = run_once_measured(Path(tmp) / "a.db", fake, workers)
        repeat = run_once_measured(Path(tmp) / "a.db", fake, workers)
        single = run_once_measured(Path(tmp) / "b.db", fake, 1)
    return {"n": n, "minimum": minimum, "lookups": lookups, "first": first, "repeat": repeat, "single": single}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per fake GitHub request")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    print(f"fake GitHub latency {args.latency * 1000:.0f} ms/request, {args.workers} workers, SQLite, token set\n")
    header = (f"{'n':>5} {'run':<14} {'requests':>8} {'minimum':>8} {'points':>6} {'sync s':>7} "
              f"{'budget s':>8} {'RSS MB':>7}")
    print(header)
    print("-" * len(header))
    failures = []
    for n in args.sizes:
        r = bench_size(n, args.latency, args.workers)
        minimum = r["minimum"] + r["lookups"]
        for label, run, workers in (("first", r["first"], args.workers), ("repeat", r["repeat"], args.workers),
                                    ("first, 1 wkr", r["single"], 1)):
            first_kind = label != "repeat"
            budget = f"{1.3 * run['requests'] * args.latency / workers:.2f}" if first_kind else "-"
            print(f"{n:>5} {label:<14} {run['requests']:>8} {minimum if first_kind else '-':>8} "
                  f"{run['points']:>6} {run['sync']:>7.2f} {budget:>8} {run['rss_mb']:>7.1f}")
        ratio = r["single"]["sync"] / r["first"]["sync"]
        print(f"{n:>5} speed-up of {args.workers} workers over 1: {ratio:.2f}x\n")
        if r["first"]["requests"] > minimum:
            failures.append(f"n={n}: first sync made {r['first']['requests']} requests > minimum {minimum}")
        if r["repeat"]["points"] != 0:
            failures.append(f"n={n}: repeat sync spent {r['repeat']['points']} points")
        if r["first"]["sync"] > 1.3 * r["first"]["requests"] * args.latency / args.workers:
            failures.append(f"n={n}: first sync took {r['first']['sync']:.1f} s, over budget")
        if n >= 1000 and r["first"]["rss_mb"] >= 150:
            failures.append(f"n={n}: peak RSS {r['first']['rss_mb']:.0f} MB >= 150 MB")
    print("minimum = list pages + one languages call per repository + contributor pages + one owner lookup")
    print("budget  = 1.3 x requests x latency / workers")
    if failures:
        print("\nTARGETS MISSED:\n  " + "\n  ".join(failures))
        raise SystemExit(1)
    print("\nall targets met")


if __name__ == "__main__":
    main()
