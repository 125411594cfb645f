"""Fixtures for sync tests: a running fake GitHub and settings that point at it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.config import GitHubSettings, Secret
from syncer.fetch import Plan
from syncer.service import sync_now
from tests.fakegithub import FakeGitHub
from tests.helpers import TOKEN


@pytest.fixture
def fake():
    with FakeGitHub() as github:
        yield github


@pytest.fixture
def settings(fake) -> GitHubSettings:
    """Fast-failing settings: tiny backoffs and timeouts so fault tests run in seconds."""
    return GitHubSettings(
        api_url=fake.url,
        token=Secret(TOKEN),
        owners=("alice",),
        timeout=1.0,
        retry_backoff=0.01,
        secondary_backoff=0.05,
        max_rate_limit_wait=5.0,
    )


@pytest.fixture
def sync(engine, settings):
    """Run one sync like `syncer once` does; keyword arguments override settings fields."""

    def run(scope_owners=None, **overrides):
        chosen = replace(settings, **overrides)
        return sync_now(engine, chosen, trigger="once", plan=Plan.full_sync(chosen, tuple(scope_owners or ())))

    return run
