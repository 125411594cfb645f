"""Fault matrix: inject GitHub, process and database faults at random points of syncs.

For every case and run it checks that the published dataset is either the previous complete
one (the run failed) or the complete new truth (the run got through), compared row by row,
and that the next run without the fault converges to the truth. It prints one line per case:
runs, runs that failed, data lost (must be 0) and recovered (must be all).

    python bench/faults.py                 # 5 runs per case on SQLite
    python bench/faults.py --runs 10 --backend postgresql
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from shared import migrate  # noqa: E402
from shared.config import GitHubSettings, Secret  # noqa: E402
from shared.db import make_engine  # noqa: E402
from syncer.service import sync_now  # noqa: E402
from tests import pgserver  # noqa: E402
from tests.api.servers import gunicorn  # noqa: E402
from tests.e2e.processes import keep_getting  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.helpers import dump_dataset, expected_repositories, stored_repositories, syncer_env  # noqa: E402

STEPS = [r"^/users/alice$", r"^/users/alice/repos$", r"/languages$", r"/contributors$"]
GITHUB_FAULTS = {
    "GitHub 500": ("500", {}),
    "HTML 502": ("502_html", {}),
    "timeouts": ("timeout", {"seconds": 2}),
    "connection resets": ("reset", {}),
    "truncated JSON": ("truncated", {}),
    "secondary rate limit": ("secondary", {"retry_after": 1}),
    "primary exhaustion": ("primary", {"reset_in": 3600}),
}


@dataclass
class Outcome:
    runs: int = 0
    hit: int = 0  # runs in which the fault actually struck
    failed: int = 0
    lost: int = 0
    recovered: int = 0


def change_upstream(fake: FakeGitHub, rng: random.Random) -> None:
    """Pushes everywhere, a rename, a deletion and a new repository: a run has work to fetch and publish."""
    ids = [r["id"] for r in fake.snapshot() if r["visibility"] == "public"]
    for rid in ids:
        fake.push(rid)
    for rid in rng.sample(ids, 3):
        fake.update_repo(rid, stars=rng.randint(0, 999), languages={"Go": rng.randint(1, 10**6)})
    fake.rename_repo(ids[0], f"renamed-{rng.randint(0, 10**9)}")
    fake.delete_repo(ids[1])
    fake.add_repo("alice", f"new-{rng.randint(0, 10**9)}", languages={"Rust": 5})


def judge(engine, fake: FakeGitHub, before: dict, succeeded: bool) -> bool:
    """True when nothing was lost: the previous dataset after a failure, the whole truth after a success."""
    if succeeded:
        return stored_repositories(engine) == expected_repositories(fake.snapshot())
    return dump_dataset(engine) == before


def converge(engine, fake: FakeGitHub, settings: GitHubSettings) -> bool:
    fake.clear_faults()
    fake.set_rate_limit(5000)
    return sync_now(engine, settings, trigger="once").ok and judge(engine, fake, {}, True)


def github_case(kind: str, opts: dict, runs: int, db_url, rng: random.Random) -> Outcome:
    outcome = Outcome()
    engine = make_engine(db_url)
    with FakeGitHub(latency=0.02) as fake:
        fake.populate(owners=["alice"], n=30, seed=rng.randint(0, 10**6))
        settings = GitHubSettings(api_url=fake.url, token=Secret("ghp_fault_matrix_token"), owners=("alice",),
                                  timeout=1.0, retry_backoff=0.05, max_attempts=3, max_rate_limit_wait=3)
        assert sync_now(engine, settings, trigger="once").ok
        for _ in range(runs):
            before = dump_dataset(engine)
            change_upstream(fake, rng)
            times = rng.choice([1, 2, 3, None])
            fake.reset_log()
            # Half the time the fault is there from the start, else it arrives somewhere mid-sync.
            delay = rng.choice([0.0, rng.uniform(0.05, 0.3)])
            timer = threading.Timer(delay, fake.fail, (rng.choice(STEPS), kind, times), opts)
            timer.start()
            report = sync_now(engine, settings, trigger="once")
            timer.join()
            outcome.runs += 1
            outcome.hit += any(r.fault for r in fake.requests) or kind == "timeout"
            outcome.failed += not report.ok
            outcome.lost += not judge(engine, fake, before, report.ok)
            outcome.recovered += converge(engine, fake, settings)
    engine.dispose()
    return outcome


def start_once(db_url, fake: FakeGitHub) -> subprocess.Popen:
    env = syncer_env(db_url, GITHUB_API_URL=fake.url, GITHUB_OWNERS="alice", GITHUB_TOKEN="ghp_fault_matrix_token")
    return subprocess.Popen([sys.executable, "-m", "syncer", "once"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def process_case(runs: int, db_url, rng: random.Random, disturb) -> Outcome:
    """Real `syncer once` processes that `disturb(process)` interferes with mid-sync; returns its exit status."""
    outcome = Outcome()
    engine = make_engine(db_url)
    with FakeGitHub() as fake:
        fake.populate(owners=["alice"], n=30, seed=rng.randint(0, 10**6))
        settings = GitHubSettings(api_url=fake.url, token=Secret("ghp_fault_matrix_token"), owners=("alice",))
        assert sync_now(engine, settings, trigger="once").ok
        for _ in range(runs):
            before = dump_dataset(engine)
            engine.dispose()
            change_upstream(fake, rng)
            fake.latency = 0.02
            process = start_once(db_url, fake)
            time.sleep(rng.uniform(1.0, 2.0))  # interpreter start-up, then somewhere in the sync
            status = disturb(process)
            fake.latency = 0.0
            outcome.runs += 1
            outcome.hit += 1
            outcome.failed += status != 0
            outcome.lost += not judge(engine, fake, before, status == 0)
            outcome.recovered += converge(engine, fake, settings)
    engine.dispose()
    return outcome


def sigkill_case(runs: int, db_url, rng: random.Random) -> Outcome:
    def kill(process: subprocess.Popen) -> int:
        process.send_signal(signal.SIGKILL)
        return process.wait()

    return process_case(runs, db_url, rng, kill)


def database_down_during_sync_case(runs: int, rng: random.Random) -> Outcome:
    server = pgserver.PrivatePostgres()

    def restart_database(process: subprocess.Popen) -> int:
        server.stop()
        time.sleep(rng.uniform(0.5, 2.0))
        server.start()
        server.wait_until_ready()
        return process.wait(120)

    try:
        migrate.upgrade(make_engine(server.url))
        return process_case(runs, server.url, rng, restart_database)
    finally:
        server.destroy()


def database_down_under_api_load_case(runs: int, rng: random.Random) -> Outcome:
    """While the database is down the API may answer only 200 (from memory) or the documented 503."""
    outcome = Outcome()
    server = pgserver.PrivatePostgres()
    try:
        url = server.url
        migrate.upgrade(make_engine(url))
        with FakeGitHub() as fake:
            fake.populate(owners=["alice"], n=20)
            settings = GitHubSettings(api_url=fake.url, owners=("alice",))
            assert sync_now(make_engine(url), settings, trigger="once").ok
        with gunicorn(url) as base:
            for _ in range(runs):
                seen: Counter = Counter()
                stop = threading.Event()

                def hammer() -> None:
                    paths = ["/api/v1/repos", "/api/v1/languages", "/healthz", "/api/v1/status"]
                    for _path, response, error in keep_getting(base, paths, stop):
                        seen["error" if error is not None else response.status_code] += 1

                threads = [threading.Thread(target=hammer) for _ in range(8)]
                for thread in threads:
                    thread.start()
                time.sleep(0.5)
                server.stop()
                time.sleep(rng.uniform(1.0, 3.0))
                server.start()
                server.wait_until_ready()
                deadline = time.monotonic() + 20
                healthy = False
                while time.monotonic() < deadline and not healthy:
                    healthy = requests.get(base + "/healthz", timeout=5).status_code == 200
                    time.sleep(0.2)
                stop.set()
                for thread in threads:
                    thread.join()
                outcome.runs += 1
                outcome.hit += 1
                outcome.failed += seen[503] > 0
                outcome.lost += bool(set(seen) - {200, 503})
                outcome.recovered += healthy and requests.get(base + "/api/v1/repos", timeout=5).status_code == 200
    finally:
        server.destroy()
    return outcome


def fresh_database(backend: str, tmp: Path):
    if backend == "sqlite":
        url = make_url(f"sqlite:///{tmp / f'faults-{time.monotonic_ns()}.db'}")
    else:
        name = f"faults_{time.monotonic_ns()}"
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    migrate.upgrade(make_engine(url))
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    logging.disable(logging.CRITICAL)  # the injected faults are expected; the table is the output

    rows: list[tuple[str, Outcome]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (kind, opts) in GITHUB_FAULTS.items():
            rows.append((name, github_case(kind, opts, args.runs, fresh_database(args.backend, Path(tmp)), rng)))
            print(f"  done: {name}", file=sys.stderr)
        rows.append(("worker SIGKILL mid-sync", sigkill_case(args.runs, fresh_database(args.backend, Path(tmp)), rng)))
        print("  done: SIGKILL", file=sys.stderr)
    if pgserver.available():
        rows.append(("database restarted mid-sync", database_down_during_sync_case(args.runs, rng)))
        rows.append(("database restarted under API load", database_down_under_api_load_case(args.runs, rng)))

    print(f"\nfault matrix: {args.runs} runs per case, syncs on {args.backend} "
          "(database restarts on a private PostgreSQL)\n")
    print(f"| {'case':<34} | runs | fault hit | failed runs | data lost | recovered |")
    print(f"|{'-' * 36}|------|-----------|-------------|-----------|-----------|")
    bad = False
    for name, o in rows:
        print(f"| {name:<34} | {o.runs:>4} | {o.hit:>9} | {o.failed:>11} | {o.lost:>9} | {o.recovered:>4} / {o.runs:<2} |")
        bad |= o.lost > 0 or o.recovered != o.runs
    print("\nfault hit: runs in which the injected fault struck (timeouts are counted as hit: a timed-out"
          " request is logged only when it completes); failed runs: syncs that ended failed (or API answers that were the documented 503); "
          "data lost: runs whose dataset was neither the previous one nor the new truth (or a 5xx other than 503)")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
