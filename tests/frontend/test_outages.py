"""When the API has no data yet or does not answer, the starter's pages say so plainly, with a fitting status."""

from __future__ import annotations

import pytest
import requests

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nuxt-starter")]  # one xdist worker: one build


@pytest.mark.parametrize("path", ["/", "/repos/alice/rocket"])
def test_before_the_first_sync_the_page_is_a_503_saying_there_is_no_data_yet(site_before_first_sync, path):
    response = requests.get(site_before_first_sync + path, timeout=30)

    assert response.status_code == 503
    assert "No data yet: the first sync from GitHub has not finished." in response.text
    assert 'data-problem="not-synced"' in response.text


@pytest.mark.parametrize("path", ["/", "/repos/alice/rocket"])
def test_an_api_that_does_not_answer_makes_a_502_page_saying_it_cannot_be_reached(site_without_api, path):
    response = requests.get(site_without_api + path, timeout=30)

    assert response.status_code == 502
    assert "The portfolio API cannot be reached right now." in response.text
    assert 'data-problem="unreachable"' in response.text
