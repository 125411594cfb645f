"""Benchmark freshness: how soon a change shows in the API, and what a day of quiet refreshes costs.

Real processes on a fresh SQLite database: the fake GitHub (`python -m tests.fakegithub`, with
per-request latency), `syncer hooks` and the API under gunicorn, `syncer run`. It prints

(a) from a signed push delivery to the API's answer showing the change: p50 / p95 / max over
    --deliveries pushes, one repository after another (target: p95 <= 5 s);
(b) from a change without any delivery to the API showing it, with SYNC_REFRESH_INTERVAL=--interval
    (target: <= interval + the longest refresh sync that published + the API's 1 s look at the generation);
(c) a day of refreshes with nothing changed, as 96 refreshes in a row (`sync_now` with `Plan.refresh`)
    for two owners of two list pages each: requests made and points spent (target: 0 points, one
    conditional request per list page per owner per refresh), and the run history rows they leave.

    python bench/freshness.py
    python bench/freshness.py --deliveries 30 --latency 0.1 --interval 4
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.targets import finish  # noqa: E402
from shared import migrate  # noqa: E402
from shared.config import GitHubSettings  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.models import SyncRun  # noqa: E402
from syncer.fetch import Plan  # noqa: E402
from syncer.service import sync_now  # noqa: E402
from tests.fakehooks import PATH, FakeHooks  # noqa: E402
from tests.helpers import free_port  # noqa: E402

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET = "whsec_bench_freshness"
TOKEN = "ghp_bench_freshness"
API_NOTICE = 1.0  # the API looks at the generation at most once a second


class FakeProcess:
    """The fake GitHub as a process; `snapshot()` and `url` are what FakeHooks reads of it."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen([sys.executable, "-m", "tests.fakegithub", "--port", "0", *args], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("READY "):
            raise SystemExit(f"the fake GitHub did not start: {line}{self.process.stderr.read()}")
        self.url = line.split()[1]

    def _open(self, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def call(self, method: str, *args, **kwargs):
        return self._open("/_fake/call", {"method": method, "args": list(args), "kwargs": kwargs})["result"]

    def snapshot(self) -> list[dict]:
        return self._open("/_fake/state")

    def log(self) -> list[dict]:
        return self._open("/_fake/log")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)



def window_far_ahead() -> str:
    """A nightly window hours away: the worker does only what the benchmark asks of it."""
    opens = datetime.now(timezone.utc) + timedelta(hours=6)
    return f"{opens:%H:%M}-{opens + timedelta(minutes=10):%H:%M}"


def environment(database: Path, fake: FakeProcess, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SYNC_", "DATABASE_", "WEBHOOK_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{database}", GITHUB_API_URL=fake.url,
               GITHUB_OWNERS="alice", GITHUB_TOKEN=TOKEN, GITHUB_WEBHOOK_SECRET=SECRET, SYNC_TIMEZONE="UTC",
               SYNC_WINDOW=window_far_ahead(), SYNC_MAX_AGE_HOURS="1000", SYNC_REFRESH_INTERVAL="0",
               LOG_LEVEL="WARNING", **extra)
    return env


@contextmanager
def process(args: list[str], env: dict[str, str], ready_url: str | None = None):
    """A process of the product; waits until `ready_url` answers; SIGTERM at the end."""
    child = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while ready_url is not None:
            try:
                urllib.request.urlopen(ready_url, timeout=1).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{' '.join(args)} did not start") from None
                time.sleep(0.1)
        yield child
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(30)


def languages(api: str, full_name: str) -> dict[str, int]:
    try:
        with urllib.request.urlopen(f"{api}/api/v1/repos/{full_name}", timeout=10) as response:
            return {s["name"]: s["bytes"] for s in json.loads(response.read())["languages"]}
    except urllib.error.HTTPError:
        return {}


def until_shown(api: str, full_name: str, wanted: dict[str, int], started: float, timeout: float = 60) -> float:
    while languages(api, full_name) != wanted:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"{full_name} did not show {wanted} within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def public_names(fake: FakeProcess) -> list[str]:
    return [r["full_name"] for r in fake.snapshot() if not r["private"] and r["visibility"] == "public"]


def bench_live(args: argparse.Namespace) -> dict:
    """(a) and (b): the product as processes, deliveries and quiet changes timed to the API."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        fake = FakeProcess("--repos", "24", "--owners", "alice", "--latency", str(args.latency))
        stack.callback(fake.close)
        database = Path(tmp) / "bench.db"
        env = environment(database, fake, WEBHOOK_PORT=str(free_port()), PORT=str(free_port()), WEB_CONCURRENCY="2")
        for command in (["db", "upgrade"], ["once"]):
            done = subprocess.run([sys.executable, "-m", "syncer", *command], env=env, cwd=ROOT, capture_output=True)
            if done.returncode != 0:
                raise SystemExit(f"syncer {' '.join(command)} failed: {done.stderr.decode()}")
        api = f"http://127.0.0.1:{env['PORT']}"
        stack.enter_context(process([GUNICORN, "api:create_app()"], env, api + "/healthz"))
        receiver = f"http://127.0.0.1:{env['WEBHOOK_PORT']}"
        stack.enter_context(process([sys.executable, "-m", "syncer", "hooks"], env, receiver + "/healthz"))
        hooks = FakeHooks(fake, SECRET, receiver + PATH)
        by_name = {r["full_name"]: r["id"] for r in fake.snapshot()}
        names = public_names(fake)

        delivered: list[float] = []
        with process([sys.executable, "-m", "syncer", "run"], env):
            time.sleep(2)  # the worker starts and takes its first look at the requests
            for i in range(args.deliveries):
                name = names[i % len(names)]
                wanted = {"Bench": 1000 + i}
                fake.call("update_repo", by_name[name], languages=wanted)
                fake.call("push", by_name[name])
                delivery = hooks.push(by_name[name])
                started = time.monotonic()
                if hooks.send(delivery).status_code != 202:
                    raise SystemExit("the receiver did not accept a delivery")
                delivered.append(until_shown(api, name, wanted, started))

        quiet: list[float] = []
        interval = args.interval
        with process([sys.executable, "-m", "syncer", "run"], {**env, "SYNC_REFRESH_INTERVAL": f"{interval:g}s"}):
            time.sleep(1)
            for i in range(args.quiet_changes):
                name = names[(i * 5) % len(names)]
                wanted = {"Quiet": 2000 + i}
                fake.call("update_repo", by_name[name], languages=wanted)
                fake.call("push", by_name[name])
                quiet.append(until_shown(api, name, wanted, time.monotonic()))
        engine = make_engine(make_url(env["DATABASE_URL"]))
        with Session(engine) as session:
            refresh_seconds = [(run.finished_at - run.started_at).total_seconds() for run in session.scalars(
                select(SyncRun).where(SyncRun.trigger == "refresh", SyncRun.updated > 0))]
            webhook_runs = session.scalar(select(func.sum(SyncRun.runs)).where(SyncRun.trigger == "webhook"))
        engine.dispose()
    return {"delivered": delivered, "quiet": quiet, "interval": interval,
            "refresh_sync": max(refresh_seconds, default=0.0), "webhook_runs": webhook_runs}


def bench_quiet_day(refreshes: int) -> dict:
    """(c): `refreshes` light refreshes in a row with nothing changed, two owners of two list pages."""
    owners = ("alice", "acme-org")
    with tempfile.TemporaryDirectory() as tmp:
        fake = FakeProcess("--repos", "260", "--owners", ",".join(owners))
        try:
            engine = make_engine(make_url(f"sqlite:///{Path(tmp) / 'day.db'}"))
            migrate.upgrade(engine)
            settings = GitHubSettings.from_env({"GITHUB_API_URL": fake.url, "GITHUB_OWNERS": ",".join(owners),
                                                "GITHUB_TOKEN": TOKEN})
            if not sync_now(engine, settings, trigger="once", log_summary=False).ok:
                raise SystemExit("the first sync failed")
            fake.call("reset_log")
            reports = [sync_now(engine, settings, trigger="refresh", plan=Plan.refresh(settings), log_summary=False)
                       for _ in range(refreshes)]
            log = fake.log()
            with Session(engine) as session:
                rows = session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.trigger == "refresh"))
            engine.dispose()
        finally:
            fake.close()
    list_pages = sum(1 for r in log if r["path"].endswith("/repos")) // refreshes
    return {
        "refreshes": refreshes,
        "ok": all(r.ok for r in reports),
        "requests": len(log),
        "not_modified": sum(r["status"] == 304 for r in log),
        "conditional": sum(bool(r["if_none_match"]) for r in log),
        "points": sum(r["counted_against_limit"] for r in log),
        "list_pages": list_pages,
        "owners": len(owners),
        "rows": rows,
        "seconds": sum(r.seconds for r in reports),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per fake GitHub request")
    parser.add_argument("--interval", type=float, default=5.0, help="SYNC_REFRESH_INTERVAL in seconds for (b)")
    parser.add_argument("--quiet-changes", type=int, default=5, help="changes without a delivery for (b)")
    parser.add_argument("--refreshes", type=int, default=96, help="quiet refreshes for (c): a day at 15 min")
    args = parser.parse_args()

    live = bench_live(args)
    day = bench_quiet_day(args.refreshes)
    failures = []

    d = live["delivered"]
    p50, p95, worst = statistics.median(d), percentile(d, 0.95), max(d)
    print(f"(a) signed push delivery -> API shows it; fake GitHub latency {args.latency * 1000:.0f} ms/request, "
          f"SQLite, {len(d)} deliveries")
    print(f"    {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'target p95':>11} {'targeted syncs':>15}")
    print(f"    {p50:>7.2f} {p95:>7.2f} {worst:>7.2f} {'<= 5.00':>11} {live['webhook_runs'] or 0:>15}")
    if p95 > 5.0:
        failures.append(f"(a) p95 {p95:.2f} s > 5 s")

    q = live["quiet"]
    budget = live["interval"] + live["refresh_sync"] + API_NOTICE
    print(f"\n(b) change without a delivery -> API shows it; SYNC_REFRESH_INTERVAL={live['interval']:g}s, "
          f"{len(q)} changes")
    print(f"    {'p50 s':>7} {'max s':>7} {'one sync s':>11} {'target s':>9}")
    print(f"    {statistics.median(q):>7.2f} {max(q):>7.2f} {live['refresh_sync']:>11.2f} {budget:>9.2f}")
    if max(q) > budget:
        failures.append(f"(b) max {max(q):.2f} s > interval + one sync + {API_NOTICE:g} s = {budget:.2f} s")

    expected = day["refreshes"] * day["list_pages"]
    print(f"\n(c) {day['refreshes']} refreshes with nothing changed ({day['owners']} owners, "
          f"{day['list_pages']} list pages per refresh in all, token set)")
    print(f"    {'requests':>8} {'304':>5} {'conditional':>11} {'points':>6} {'expected':>8} {'run rows':>8} "
          f"{'total s':>7}")
    print(f"    {day['requests']:>8} {day['not_modified']:>5} {day['conditional']:>11} {day['points']:>6} "
          f"{expected:>8} {day['rows']:>8} {day['seconds']:>7.2f}")
    if not day["ok"]:
        failures.append("(c) a refresh failed")
    if day["points"] != 0:
        failures.append(f"(c) {day['points']} points spent")
    if day["requests"] != expected or day["conditional"] != day["requests"]:
        failures.append(f"(c) {day['requests']} requests, expected {expected} conditional ones")

    print("\n(a) from just before the POST to the first API answer with the new languages")
    print("(b) target = interval + the longest refresh that published + the API's 1 s look at the generation")
    print("(c) expected = refreshes x list pages (one conditional request per list page per owner)")
    finish(failures)


if __name__ == "__main__":
    main()
