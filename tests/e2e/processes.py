"""Real processes for end-to-end tests: the fake GitHub as its own process, driven over HTTP."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from tests.helpers import ROOT


class FakeGitHubProcess:
    """`python -m tests.fakegithub` in a process of its own; `call()` runs one of its methods."""

    def __init__(self, process: subprocess.Popen, url: str):
        self.process = process
        self.url = url
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"  # the control endpoints sit outside any base path

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        body = json.dumps({"method": method, "args": list(args), "kwargs": kwargs}).encode()
        request = urllib.request.Request(f"{self.origin}/_fake/call", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["result"]

    def state(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.origin}/_fake/state", timeout=30) as response:
            return json.loads(response.read())


@contextmanager
def fake_github_process(*args: str) -> Iterator[FakeGitHubProcess]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakegithub", "--port", "0", "--repos", "0", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"the fake GitHub did not start: {line}{process.stderr.read()}")
        yield FakeGitHubProcess(process, line.split()[1])
    finally:
        process.terminate()
        process.wait(10)


def keep_getting(base: str, paths: list[str], stop: threading.Event
                 ) -> Iterator[tuple[str, requests.Response | None, Exception | None]]:
    """GET `paths` in turn on one keep-alive connection until `stop` is set: (path, response, error)."""
    session = requests.Session()
    for path in itertools.cycle(paths):
        if stop.is_set():
            return
        try:
            yield path, session.get(base + path, timeout=10), None
        except requests.RequestException as error:
            yield path, None, error


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
