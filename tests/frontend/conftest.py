"""Fixtures for the Nuxt starter: built once per session, served against real APIs under gunicorn."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright

from shared.db import make_engine
from tests.api.data import migrated_sqlite
from tests.api.servers import gunicorn
from tests.e2e.processes import fake_github_process
from tests.frontend import starter
from tests.frontend.content import OWNER, Content, add_curated, serve_content
from tests.helpers import free_port, run_syncer, syncer_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def installed_starter() -> None:
    """`npm ci`, skipped when node_modules matches the lock file. Without Node: skipped, or failed in CI."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        message = "the Nuxt starter's tests need Node and npm (Debian: apt-get install nodejs npm)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    starter.install()


@pytest.fixture(scope="session")
def starter_entry(installed_starter):
    """The built server's entry point (`nuxi build`, skipped when the sources are unchanged)."""
    return starter.build()


@pytest.fixture(scope="session")
def synced(tmp_path_factory):
    """gunicorn on a database `syncer once` filled from the fake GitHub, plus curated and content rows."""
    url = migrated_sqlite(tmp_path_factory.mktemp("frontend") / "portfolio.db")
    with fake_github_process() as fake:
        fake.call("populate", [OWNER], 16, 7)
        content = serve_content(fake)
        env = syncer_env(url, GITHUB_API_URL=fake.url, GITHUB_OWNERS=OWNER, GITHUB_TOKEN="ghp_frontend_tests")
        result = run_syncer("once", env=env)
        assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    add_curated(engine, content)
    engine.dispose()
    site_port = free_port()  # known before the API starts: the browser reads the API from the site's origin
    with gunicorn(url, CORS_ORIGINS=f"http://127.0.0.1:{site_port}") as api:
        yield api, content, site_port


@pytest.fixture(scope="session")
def synced_api(synced) -> str:
    return synced[0]


@pytest.fixture(scope="session")
def content(synced) -> Content:
    return synced[1]


@pytest.fixture(scope="session")
def site(starter_entry, synced):
    api, _, port = synced
    with starter.starter_server(starter_entry, api, port) as base:
        yield base


@pytest.fixture(scope="session")
def site_before_first_sync(starter_entry, tmp_path_factory):
    """The starter against an API whose database has the schema but no sync yet (503 not_synced)."""
    url = migrated_sqlite(tmp_path_factory.mktemp("unsynced") / "portfolio.db")
    with gunicorn(url) as api, starter.starter_server(starter_entry, api) as base:
        yield base


@pytest.fixture(scope="session")
def site_without_api(starter_entry):
    """The starter pointed at a port nothing listens on."""
    with starter.starter_server(starter_entry, f"http://127.0.0.1:{free_port()}") as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()

