"""Fixtures for the webhook receiver's tests: the fake GitHub and its deliveries, the receiver's app."""

from __future__ import annotations

import pytest

from shared.config import DatabaseSettings, HooksSettings, Secret
from shared.db import make_engine
from syncer.hooks.app import create_app
from syncer.hooks.deliveries import only_webhook_tables
from tests.fakegithub import FakeGitHub
from tests.fakehooks import FakeHooks
from tests.hooks.receiver import OWNERS, SECRET



@pytest.fixture(scope="module")
def fake():
    """alice (a user) and acme-org (an organisation) are ours; mallory is not."""
    with FakeGitHub() as github:
        github.populate(owners=["alice", "acme-org", "mallory"], n=9)
        yield github


@pytest.fixture
def hooks(fake) -> FakeHooks:
    return FakeHooks(fake, SECRET)


@pytest.fixture
def settings(db_url) -> HooksSettings:
    return HooksSettings(secret=Secret(SECRET), owners=OWNERS, database=DatabaseSettings(db_url), port=0)


@pytest.fixture
def receiver_engine(db_url):
    """An engine of the receiver's kind: it may write only the two webhook tables."""
    engine = only_webhook_tables(make_engine(db_url))
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings, receiver_engine):
    return create_app(settings, receiver_engine).test_client()
