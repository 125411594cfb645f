"""Schemathesis, driven by the OpenAPI document, finds no 500 and no answer that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from api import create_app, openapi
from shared.config import ApiSettings
from shared.db import make_engine
from tests.api.data import contributions, extra, languages, owner, publish, readme, release, repository


@pytest.fixture
def api_schema(sqlite_url, sqlite_engine):
    def build(session):
        languages(session, 1, Python=900, Shell=100)
        contributions(session, 1, alice=10, bob=2)

    publish(
        sqlite_engine,
        repository(1, "alice/rocket", language="Python", topics=["cli"], license_spdx_id="MIT"),
        repository(2, "alice/huge", contributors_status="unavailable", pushed_at=None),
        repository(3, "bob/fork", fork=True, archived=True, description=None),
        repository(4, "alice/secret", social_image_url="https://x.example/4.png", social_image_custom=False),
        owner(1, "alice", 4, 1, 3, bio="", blog="https://alice.example"),
        owner(2, "bob", type="Organization"),
        readme(1, "<h1>Rocket</h1>"),
        readme(2, None, reason="too_large"),
        release(1, "v1.0.0", name=None, published_at=None),
        extra("alice/rocket", featured=True, sort_order=1, demo_url="https://demo.example"),
        extra("alice/secret", hidden=True),
        build=build,
    )
    api_engine = make_engine(sqlite_url, read_only=True)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app(ApiSettings(), api_engine))
    api_engine.dispose()


def _runs() -> list:
    """Valid requests for every operation; invalid ones where there is a query string to get wrong."""
    runs = []
    for path, operation in sorted(openapi.operations().values()):
        runs.append(pytest.param(path, GenerationMode.POSITIVE, id=f"valid {path}"))
        if any(parameter["in"] == "query" for parameter in operation.get("parameters", ())):
            runs.append(pytest.param(path, GenerationMode.NEGATIVE, id=f"invalid {path}"))
    return runs


# Schemathesis' own pytest loader (`from_fixture`) breaks on pytest 9, so its strategies drive Hypothesis here.
@pytest.mark.parametrize(("path", "mode"), _runs())
def test_generated_requests_get_no_500_and_answers_that_match_the_document(api_schema, path, mode):
    @given(case=api_schema[path]["GET"].as_strategy(generation_mode=mode))
    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate()

    check()
