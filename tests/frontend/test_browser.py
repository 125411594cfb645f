"""Headless Chromium runs the built starter: pages hydrate, navigate, and a README never runs script."""

from __future__ import annotations

import re

import pytest
import requests

from tests.helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nuxt-starter")]  # one xdist worker: one build


# The machine has no internet: avatars and other images from elsewhere get a placeholder.
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    '<circle cx="32" cy="32" r="32" fill="#8c959f"/></svg>'
)
ELSEWHERE = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


@pytest.fixture
def page(browser):
    """A fresh page that records what a script could do: dialogs, console errors, uncaught errors."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.route(ELSEWHERE, lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER))
    page = context.new_page()
    page.seen = {"dialogs": [], "errors": [], "console_errors": []}
    page.on("dialog", lambda dialog: (page.seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.seen["errors"].append(str(error)))
    page.on("console", lambda m: m.type == "error" and page.seen["console_errors"].append(m.text))
    yield page
    context.close()


def hydrated(page) -> None:
    """Wait until Nuxt has taken over the server-rendered page in the browser."""
    page.wait_for_function(
        "() => document.querySelector('#__nuxt')?.__vue_app__?.config.globalProperties.$nuxt.isHydrating === false",
        timeout=15_000,
    )


@pytest.fixture(scope="session")
def screenshots():
    """test-artifacts/frontend/: kept after the run (pytest's own tmp dirs are pruned), out of git."""
    directory = ROOT / "test-artifacts" / "frontend"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_the_list_page_runs_in_chromium_and_a_card_opens_its_repository_without_a_reload(
    page, site, content, screenshots
):
    page.goto(site + "/")
    hydrated(page)
    page.screenshot(path=screenshots / "list.png", full_page=True)
    page.evaluate("window.__same_document = true")

    page.click(f"[data-full-name='{content.featured}'] h2 a")
    page.wait_for_selector(f"article.repository[data-full-name='{content.featured}']")

    assert page.evaluate("window.__same_document") is True  # client-side navigation, no new document
    assert page.url == f"{site}/repos/{content.featured}"
    assert (screenshots / "list.png").stat().st_size > 10_000
    assert page.seen == {"dialogs": [], "errors": [], "console_errors": []}


def test_the_repository_page_runs_in_chromium_with_its_readme_as_markup(page, site, content, screenshots):
    page.goto(f"{site}/repos/{content.featured}")
    hydrated(page)
    page.screenshot(path=screenshots / "repository.png", full_page=True)

    assert page.locator(".readme h2").inner_text() == "Usage"
    assert page.locator(".readme li").count() == 2
    assert page.locator(".languages .segment").count() >= 2
    assert (screenshots / "repository.png").stat().st_size > 10_000
    assert page.seen == {"dialogs": [], "errors": [], "console_errors": []}


def test_the_language_filter_works_in_the_browser_without_a_reload(page, site, synced_api):
    page.goto(site + "/")
    hydrated(page)
    page.evaluate("window.__same_document = true")
    language = page.locator("select[name=language] option").nth(1).get_attribute("value")
    expected = requests.get(
        f"{synced_api}/api/v1/repos", params={"sort": "pinned", "per_page": 12, "language": language}, timeout=10
    ).json()

    page.select_option("select[name=language]", language)
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"{site}/?language={language}")
    summary = f"{expected['total']} {'repository' if expected['total'] == 1 else 'repositories'}"
    page.wait_for_selector(f"p.summary:text-is('{summary}')")

    shown = page.locator("article.card").evaluate_all("cards => cards.map(card => card.dataset.fullName)")
    assert shown == [repo["full_name"] for repo in expected["items"]]
    assert page.evaluate("window.__same_document") is True
    assert page.seen == {"dialogs": [], "errors": [], "console_errors": []}


def test_a_hostile_readme_renders_sanitized_without_running_any_script(page, site, content):
    page.goto(f"{site}/repos/{content.hostile_readme}")
    hydrated(page)
    page.wait_for_timeout(500)  # an image's onerror would have fired by now

    assert page.seen["dialogs"] == [] and page.seen["errors"] == []
    assert page.title() != "pwned"
    assert page.locator(".readme h2").inner_text() == "Usage"
    assert page.locator(".readme img[onerror], .readme script, .readme [onclick]").count() == 0
    assert page.locator(".readme a[href^='javascript:']").count() == 0
