"""The built starter renders the portfolio on the server from a real API: what a crawler or a first visit gets."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
import requests

from tests.frontend.content import DEMO_URL, OWNER_BIO, OWNER_NAME, RELEASE_NAME, RELEASE_TAG, SCRIPT_URL, VIDEO_URL

GREY = "#8b949e"  # the starter's colour for a language GitHub has none for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nuxt-starter")]  # one xdist worker: one build


class Cards(HTMLParser):
    """The cards of a rendered list page: full_name, classes, and the text inside each."""

    def __init__(self):
        super().__init__()
        self.cards: list[dict] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article" and "data-full-name" in attributes:
            classes = attributes.get("class", "").split()
            self.cards.append({"full_name": attributes["data-full-name"], "classes": classes, "text": ""})
            self._depth = 1
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth and self.cards:
            self.cards[-1]["text"] += data


def cards_of(html: str) -> list[dict]:
    parser = Cards()
    parser.feed(html)
    return parser.cards


def api_list(api: str, **query) -> dict:
    response = requests.get(f"{api}/api/v1/repos", params={"sort": "pinned", "per_page": 12, **query}, timeout=10)
    response.raise_for_status()
    return response.json()


def test_the_list_page_is_rendered_on_the_server_in_the_apis_order(site, synced_api):
    expected = api_list(synced_api)

    response = requests.get(site + "/", timeout=30)

    assert response.status_code == 200
    assert [card["full_name"] for card in cards_of(response.text)] == [r["full_name"] for r in expected["items"]]
    assert f"{expected['total']} repositories" in response.text


def test_pinned_repositories_come_first_in_the_owners_order_and_say_so(site, content):
    cards = cards_of(requests.get(site + "/", timeout=30).text)

    assert tuple(card["full_name"] for card in cards[: len(content.pinned)]) == content.pinned
    assert [card["full_name"] for card in cards if "pinned" in card["classes"]] == list(content.pinned)
    assert all("Pinned" in card["text"] for card in cards[: len(content.pinned)])


def test_a_featured_repository_is_highlighted(site, content):
    cards = {card["full_name"]: card for card in cards_of(requests.get(site + "/", timeout=30).text)}

    assert "featured" in cards[content.featured]["classes"]
    assert "Featured" in cards[content.featured]["text"]
    assert [name for name, card in cards.items() if "featured" in card["classes"]] == [content.featured]


def test_the_owners_profile_is_the_header_of_every_page(site, content):
    for path in ("/", f"/repos/{content.featured}"):
        html = requests.get(site + path, timeout=30).text

        assert '<div class="owner" data-login="alice">' in html, path
        assert f"<h1>{OWNER_NAME}</h1>" in html and OWNER_BIO in html, path


def test_the_language_filter_shows_what_the_api_gives_for_that_language(site, synced_api):
    language = requests.get(f"{synced_api}/api/v1/languages", timeout=10).json()["items"][0]["name"]
    expected = api_list(synced_api, language=language)

    html = requests.get(site + "/", params={"language": language}, timeout=30).text

    assert [card["full_name"] for card in cards_of(html)] == [r["full_name"] for r in expected["items"]]
    assert re.search(rf'<option value="{re.escape(language)}" selected', html)


def test_the_topic_filter_shows_what_the_api_gives_for_that_topic(site, synced_api):
    topic = next(topic for repo in api_list(synced_api)["items"] for topic in repo["topics"])
    expected = api_list(synced_api, topic=topic)

    html = requests.get(site + "/", params={"topic": topic}, timeout=30).text

    assert [card["full_name"] for card in cards_of(html)] == [r["full_name"] for r in expected["items"]]
    assert 0 < len(expected["items"]) < api_list(synced_api)["total"]


def test_the_second_page_shows_the_apis_second_page_and_links_back(site, synced_api):
    expected = api_list(synced_api, page=2)

    html = requests.get(site + "/", params={"page": 2}, timeout=30).text

    assert [card["full_name"] for card in cards_of(html)] == [r["full_name"] for r in expected["items"]]
    pages = -(-expected["total"] // expected["per_page"])
    assert 'rel="prev"' in html and f"Page 2 of {pages}" in html


def test_a_repository_page_shows_its_detail_on_the_server(site, synced_api, content):
    detail = requests.get(f"{synced_api}/api/v1/repos/{content.featured}", timeout=10).json()

    response = requests.get(f"{site}/repos/{content.featured}", timeout=30)

    assert response.status_code == 200
    html = response.text
    assert f"<h1>{detail['full_name']}</h1>" in html
    assert unescape(re.search(r"<title>(.*?)</title>", html).group(1)) == f"{detail['full_name']} · Portfolio"
    assert f'<a href="{DEMO_URL}" class="demo">Live demo</a>' in html
    assert f'<a href="{VIDEO_URL}" class="video">Video 1</a>' in html
    for person in detail["contributors"] or ():
        assert f'data-login="{person["login"]}"' in html
    assert "<h2" in detail["readme_html"]
    assert f'<section class="readme markdown-body">{detail["readme_html"]}</section>' in html
    assert RELEASE_NAME in html and f'<span class="tag">{RELEASE_TAG}</span>' in html


def test_the_language_bar_is_in_the_apis_colours_and_proportions(site, synced_api, content):
    detail = requests.get(f"{synced_api}/api/v1/repos/{content.featured}", timeout=10).json()
    assert len(detail["languages"]) >= 2

    html = requests.get(f"{site}/repos/{content.featured}", timeout=30).text

    for share in detail["languages"]:
        style = f'width:{share["percent"]}%;background-color:{share["color"] or GREY};'
        assert f'data-language="{share["name"]}" style="{style}"' in html


def test_a_javascript_url_in_the_data_never_becomes_a_link(site, synced_api, content):
    detail = requests.get(f"{synced_api}/api/v1/repos/{content.pinned[0]}", timeout=10).json()
    assert detail["links"]["demo"] == SCRIPT_URL

    html = requests.get(f"{site}/repos/{content.pinned[0]}", timeout=30).text

    assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    assert 'class="demo"' not in html and 'class="video"' not in html


def test_an_unknown_repository_is_a_404_page_that_says_so(site):
    response = requests.get(f"{site}/repos/alice/no-such-repository", timeout=30)

    assert response.status_code == 404
    assert "Not found." in response.text and "no repository alice/no-such-repository" in response.text
