"""A real browser: examples/portfolio.html on one origin renders the list it fetched from the API on another."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from shared.db import make_engine
from tests.api.data import extra, migrated_sqlite, publish, repository
from tests.api.servers import gunicorn, static_files
from tests.helpers import ROOT

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCRIPT_IN_DESCRIPTION = "<img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


LONG_WORD = "Supercalifragilistic" * 12  # one unbroken word, far wider than a card


@pytest.fixture(scope="module")
def pages_and_api(tmp_path_factory):
    """Two page origins, one listed in CORS_ORIGINS and one not, and the API under gunicorn."""
    url = migrated_sqlite(tmp_path_factory.mktemp("browser") / "portfolio.db")
    engine = make_engine(url)
    publish(
        engine,
        repository(1, "alice/rocket", stargazers_count=50, description=SCRIPT_IN_DESCRIPTION),
        repository(2, "alice/zeta", stargazers_count=1, description=LONG_WORD),
        repository(3, "alice/secret", stargazers_count=99),
        extra("alice/zeta", sort_order=1),
        extra("alice/secret", hidden=True),
    )
    engine.dispose()
    with static_files(ROOT / "examples") as listed, static_files(ROOT / "examples") as unlisted:
        with gunicorn(url, CORS_ORIGINS=listed) as api:
            yield listed, unlisted, api


def open_portfolio(browser, origin: str, api: str):
    """The page once it has rendered or given up, and what the browser said on its console."""
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{origin}/portfolio.html?api={api}")
    page.wait_for_selector("#status:not([data-state='loading'])", timeout=15_000)
    return page, console


def test_the_portfolio_page_renders_the_repositories_from_the_api_on_another_origin(browser, pages_and_api):
    listed, _, api = pages_and_api

    page, _ = open_portfolio(browser, listed, api)

    assert page.get_attribute("#status", "data-state") == "ready"
    assert page.locator(".card h2").all_inner_texts() == ["zeta", "rocket"]


def test_the_page_shows_a_description_as_text_never_as_markup(browser, pages_and_api):
    listed, _, api = pages_and_api

    page, _ = open_portfolio(browser, listed, api)

    assert page.locator("[data-full-name='alice/rocket'] .description").inner_text() == SCRIPT_IN_DESCRIPTION
    assert page.locator("#repos img").count() == 0
    assert page.title() == "Portfolio"


def test_a_page_from_an_origin_not_listed_is_blocked_by_the_browsers_cors_check(browser, pages_and_api):
    _, unlisted, api = pages_and_api

    page, console = open_portfolio(browser, unlisted, api)

    assert page.get_attribute("#status", "data-state") == "error"
    assert page.locator(".card").count() == 0
    assert any("blocked by CORS policy" in line for line in console), console


def test_a_long_unbroken_description_wraps_inside_its_card(browser, pages_and_api):
    listed, _, api = pages_and_api

    page, _ = open_portfolio(browser, listed, api)

    card = page.locator("[data-full-name='alice/zeta']")
    widths = card.evaluate("card => [card.scrollWidth, card.clientWidth, card.querySelector('.description').scrollWidth]")
    assert widths[0] <= widths[1] and widths[2] <= widths[1], widths
