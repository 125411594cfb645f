"""A real `syncer run` subprocess for tests, and the settings and clock helpers its tests share."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from shared.db import transaction
from shared.models import DatasetState
from tests.fakegithub import FakeGitHub
from tests.helpers import ROOT, syncer_env

TOKEN = "ghp_worker_token_never_logged"


class WorkerProcess:
    """A real `syncer run` subprocess; its log (stderr) is collected line by line as it comes."""

    def __init__(self, env: dict[str, str]):
        self.process = subprocess.Popen([sys.executable, "-m", "syncer", "run"], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.pid = self.process.pid
        self.lines: list[str] = []
        self._closed = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def log(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """The first log line containing `text`; fails with the whole log when none comes in time."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [line for line in self.lines if text in line]
                if found:
                    return found[0]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    pytest.fail(f"no log line with {text!r} within {timeout} s; the log:\n{self.log}")
                self._changed.wait(remaining)

    def count(self, text: str) -> int:
        with self._changed:
            return sum(text in line for line in self.lines)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> tuple[int, float]:
        """Send `signum`; the exit status and the seconds the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(signum)
        status = self.process.wait(timeout)
        elapsed = time.monotonic() - started
        self._reader.join(5)
        return status, elapsed


def worker_env(db_url, fake: FakeGitHub, **settings: str) -> dict[str, str]:
    """The environment of a worker that syncs `alice` from the fake, its clock in UTC."""
    defaults = {"GITHUB_API_URL": fake.url, "GITHUB_OWNERS": "alice", "GITHUB_TOKEN": TOKEN,
                "GITHUB_RETRY_BACKOFF": "0.05", "SYNC_TIMEZONE": "UTC"}
    return syncer_env(db_url, **{**defaults, **settings})


def window_ahead(opens_in: float, lasts: float) -> tuple[str, datetime, datetime]:
    """A SYNC_WINDOW (UTC) opening `opens_in` seconds from now, and its opening and closing instants."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    opens, closes = now + timedelta(seconds=opens_in), now + timedelta(seconds=opens_in + lasts)
    return f"{opens:%H:%M:%S}-{closes:%H:%M:%S}", opens, closes


def mark_synced(engine, ago: timedelta) -> None:
    """Pretend the published dataset was last synced `ago`."""
    with transaction(engine) as session:
        session.execute(update(DatasetState).values(synced_at=datetime.now(timezone.utc) - ago))
