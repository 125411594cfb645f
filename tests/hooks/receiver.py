"""A real `syncer hooks` process (gunicorn) for tests: started, waited for, stopped or SIGKILLed as a whole."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
