"""The OpenAPI document describes every route, and real answers validate against its schemas."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from api import openapi
from tests.api.data import contributions, extra, languages, owner, publish, readme, release, repository

DOCUMENT_URI = "urn:portfolio-api:openapi"


def schema_errors(path: str, status: int, body) -> list[str]:
    """Validation errors of `body` against the document's schema for GET `path` answering `status`."""
    document = openapi.document()
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, DRAFT202012))
    response = document["paths"][path]["get"]["responses"][str(status)]
    pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1") + f"/get/responses/{status}"
    if "$ref" in response:
        pointer = response["$ref"].lstrip("#")
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}/content/application~1json/schema"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


@pytest.fixture
def published(engine):
    def build(session):
        languages(session, 1, Python=900, Shell=100)
        contributions(session, 1, alice=10, bob=2)

    publish(
        engine,
        repository(1, "alice/rocket", language="Python", topics=["cli"], license_spdx_id="MIT", license_name="MIT"),
        repository(2, "alice/huge", contributors_status="unavailable", pushed_at=None, homepage=""),
        repository(3, "alice/fork", fork=True, archived=True, description=None),
        repository(4, "acme/tool", social_image_url="https://x.example/4.png", social_image_custom=True),
        owner(1, "alice", 4, 1),
        owner(2, "carol", type="Organization", name=None, bio=None),
        readme(1, "<h1>Rocket</h1>"),
        release(1, "v1.0.0"),
        release(4, "v0.1", name=None, published_at=None),
        extra("alice/rocket", demo_url="https://demo.example", video_urls=["https://v.example"], featured=True),
        build=build,
    )


def test_the_document_is_openapi_3_1_and_documents_exactly_the_apps_routes(client):
    document = client.get("/api/v1/openapi.json").get_json()
    routes = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in client.application.url_map.iter_rules()
        if rule.endpoint != "static"
    }

    assert document["openapi"].startswith("3.1.")
    assert set(document["paths"]) == routes


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/api/v1/repos", "/api/v1/repos"),
        ("/api/v1/repos?sort=pushed&per_page=1&page=2", "/api/v1/repos"),
        ("/api/v1/repos/alice/rocket", "/api/v1/repos/{owner}/{name}"),
        ("/api/v1/repos/alice/huge", "/api/v1/repos/{owner}/{name}"),
        ("/api/v1/repos?sort=pinned&pinned=true", "/api/v1/repos"),
        ("/api/v1/owners", "/api/v1/owners"),
        ("/api/v1/owners/ALICE", "/api/v1/owners/{login}"),
        ("/api/v1/owners/carol", "/api/v1/owners/{login}"),
        ("/api/v1/languages", "/api/v1/languages"),
        ("/api/v1/contributors", "/api/v1/contributors"),
        ("/api/v1/status", "/api/v1/status"),
        ("/healthz", "/healthz"),
        ("/api/v1/openapi.json", "/api/v1/openapi.json"),
    ],
)
def test_a_200_answer_validates_against_its_schema(published, client, url, path):
    response = client.get(url)

    assert response.status_code == 200
    assert schema_errors(path, 200, response.get_json()) == []


@pytest.mark.parametrize(
    ("url", "path", "status"),
    [
        ("/api/v1/repos?sort=nope", "/api/v1/repos", 400),
        ("/api/v1/languages?x=1", "/api/v1/languages", 400),
        ("/api/v1/repos/alice/missing", "/api/v1/repos/{owner}/{name}", 404),
        ("/api/v1/owners/nobody", "/api/v1/owners/{login}", 404),
        ("/api/v1/owners?x=1", "/api/v1/owners", 400),
    ],
)
def test_an_error_answer_validates_against_its_schema(published, client, url, path, status):
    response = client.get(url)

    assert response.status_code == status
    assert schema_errors(path, status, response.get_json()) == []


def test_the_not_synced_answer_validates_against_its_schema(client):
    response = client.get("/api/v1/contributors")

    assert response.status_code == 503
    assert schema_errors("/api/v1/contributors", 503, response.get_json()) == []


def test_the_schema_check_catches_a_field_the_document_does_not_describe(published, client):
    body = client.get("/api/v1/repos").get_json()
    body["items"][0]["secret_field"] = 1

    assert schema_errors("/api/v1/repos", 200, body) != []


def test_every_query_rule_comes_from_the_document(client):
    for operation_id, (_, operation) in openapi.operations().items():
        documented = [p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"]
        assert list(openapi.query_rules(operation_id).rules) == documented
