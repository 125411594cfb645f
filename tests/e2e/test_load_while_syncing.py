"""32 connections read the API while syncs commit new generations: no failure, no mixed answer."""

from __future__ import annotations

import os

import pytest

from tests.e2e.load import run_load_while_syncing

pytestmark = pytest.mark.slow
SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))


@pytest.mark.parametrize("databases", ["sqlite", "postgresql"], indirect=True)
def test_load_while_syncing_has_no_failures_and_every_answer_is_one_generation(empty_db_url):
    result = run_load_while_syncing(empty_db_url, seconds=SECONDS, sync_every=0.5, repos=20)
    assert result.failed == 0, result.errors
    assert result.inconsistent == 0, result.errors
    assert result.failed_syncs == 0 and result.locked_messages == 0
    assert result.syncs >= 2 and len(result.generations_seen) >= 2  # readers saw new generations arrive
    assert result.requests > 100
