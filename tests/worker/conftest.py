"""Fixtures for the worker's tests: a real `syncer run` subprocess and the fake GitHub it syncs from."""

from __future__ import annotations

import pytest

from tests.fakegithub import FakeGitHub
from tests.worker.processes import WorkerProcess


@pytest.fixture
def start_worker():
    """Start `syncer run` subprocesses; any still running at the end of the test is killed."""
    workers: list[WorkerProcess] = []

    def start(env: dict[str, str]) -> WorkerProcess:
        workers.append(WorkerProcess(env))
        return workers[-1]

    yield start
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


@pytest.fixture
def fake():
    with FakeGitHub() as github:
        github.populate(owners=["alice"], n=40)
        yield github
