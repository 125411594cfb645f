"""A real `syncer hooks` process (gunicorn) for tests: started, waited for, stopped or SIGKILLed as a whole."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.fakehooks import FakeHooks
from tests.helpers import ROOT

SECRET = "whsec_9f2c1d7e-it-is-long-enough"  # the receiver tests' webhook secret
OWNERS = ("alice", "acme-org")  # the owners they mirror



class ReceiverProcess:
    """`python -m syncer hooks` in a session of its own; its log (stderr) is collected as it comes."""

    def __init__(self, env: dict[str, str]):
        self.port = int(env["WEBHOOK_PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, "-m", "syncer", "hooks"], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 30) -> ReceiverProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the receiver exited with {self.process.returncode}; its log:\n{self.log}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the receiver did not answer within {timeout} s; its log:\n{self.log}")

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [self.process.pid, *map(int, children)]

    def kill(self) -> None:
        """SIGKILL every process of the receiver at once: no graceful anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._reader.join(5)

    def stop(self, timeout: float = 20) -> int:
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout)
        self._reader.join(5)
        return status


def flood(hooks: FakeHooks, deliveries, stop: threading.Event | None = None, *,
          spread: float = 0.0) -> dict[str, int | None]:
    """Send every delivery from 16 threads, the i-th no sooner than `spread` x i / len s after the
    first; the status each got (None: no answer, or not sent because `stop` was set)."""
    started = time.monotonic()

    def send(numbered) -> tuple[str, int | None]:
        index, delivery = numbered
        time.sleep(max(0.0, started + spread * index / len(deliveries) - time.monotonic()))
        if stop is not None and stop.is_set():
            return delivery.delivery_id, None
        try:
            return delivery.delivery_id, hooks.send(delivery, timeout=30).status_code
        except requests.RequestException:
            return delivery.delivery_id, None

    with ThreadPoolExecutor(16) as pool:
        return dict(pool.map(send, enumerate(deliveries)))


class HealthWatch:
    """Asks `/healthz` every 50 ms from a thread of its own while the `with` block runs."""

    def __init__(self, url: str):
        self.url = url + "/healthz"
        self.answers: list[tuple[int, float]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        with requests.Session() as session:
            while not self._done.is_set():
                started = time.monotonic()
                status = session.get(self.url, timeout=10).status_code
                self.answers.append((status, time.monotonic() - started))
                time.sleep(0.05)

    def assert_responsive(self) -> None:
        """Every answer a 200; typically fast and never near a probe's timeout. The bounds leave room
        for a machine shared with other tests; a receiver that queued health checks behind the
        deliveries would take the whole flood's time (many seconds) to answer."""
        seconds = sorted(took for _, took in self.answers)
        assert len(seconds) >= 10 and {status for status, _ in self.answers} == {200}, self.answers[:10]
        assert statistics.median(seconds) < 0.5 and seconds[-1] < 5.0, seconds[-5:]
