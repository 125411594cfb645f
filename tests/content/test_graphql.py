"""GraphQL: the documents are valid for GitHub's published schema; answers parse into what is known."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from syncer import graphql
from syncer.graphql import (
    DOCUMENTS,
    MAX_IDS,
    LanguageShare,
    Release,
    endpoint,
    extras_requests,
    parse_extras,
    parse_pins,
    pins_request,
)
from tests.fakegithub import FakeGitHub
from tests.graphql_schema import validation_errors

TOKEN = {"Authorization": "bearer secret-123"}


@pytest.fixture
def gh():
    with FakeGitHub(base_path="/api/v3") as fake:
        yield fake


def post(gh: FakeGitHub, body: dict) -> dict:
    response = requests.post(endpoint(gh.url), json=body, headers=TOKEN, timeout=10)
    assert response.status_code == 200
    return response.json()


def extras(gh: FakeGitHub, node_ids: list[str]) -> graphql.ExtrasBatch:
    ((batch, body),) = extras_requests(node_ids)
    return parse_extras(batch, post(gh, body))


def node_id(gh: FakeGitHub, repo_id: int) -> str:
    return next(repo["node_id"] for repo in gh.snapshot() if repo["id"] == repo_id)


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://api.github.com/", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
        ("http://127.0.0.1:8080/proxy", "http://127.0.0.1:8080/proxy/graphql"),
    ],
)
def test_endpoint_follows_the_api_url(api_url, expected):
    assert endpoint(api_url) == expected


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_document_is_valid_for_githubs_published_schema(name):
    assert validation_errors(DOCUMENTS[name]) == []


def test_documents_lists_every_document_of_the_module():
    constants = {
        value for name, value in vars(graphql).items()
        if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))
    }  # fmt: skip
    assert constants == set(DOCUMENTS.values()) and len(constants) == 2


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ("query { viewer { loginz } }", "Cannot query field 'loginz' on type 'User'"),
        (
            "query($login: String!) { repositoryOwner(login: $login) { pinnedItems(first: 6) { totalCount } } }",
            "Cannot query field 'pinnedItems' on type 'RepositoryOwner'",
        ),
        (
            DOCUMENTS["RepositoryExtras"].replace("usesCustomOpenGraphImage", "usesCustomOpenGraphImages"),
            "usesCustomOpenGraphImages",
        ),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { databaseId } }", "Cannot query field 'databaseId' on type 'Node'"),
        ("query { rateLimit { cost remaining resetAt(format: 1) } }", "Unknown argument 'format'"),
    ],
)
def test_a_document_github_would_reject_fails_validation(document, complaint):
    assert any(complaint in message for message in validation_errors(document))


def test_extras_requests_batch_at_most_100_ids_once_each():
    ids = [f"id{i}" for i in range(250)] + ["id0", "id1"]
    batches = extras_requests(ids)
    assert [len(batch) for batch, _ in batches] == [MAX_IDS, MAX_IDS, 50]
    assert [i for batch, _ in batches for i in batch] == [f"id{i}" for i in range(250)]
    assert all(body == {"query": DOCUMENTS["RepositoryExtras"], "variables": {"ids": batch}} for batch, body in batches)
    assert extras_requests([]) == []


def test_pins_come_in_profile_order_with_each_repositorys_real_owner_and_privacy(gh):
    gh.add_owner("alice")
    gh.add_owner("acme-org", "Organization")
    mine = gh.add_repo("alice", "mine")
    theirs = gh.add_repo("acme-org", "shared-tool")
    hidden = gh.add_repo("acme-org", "inner", visibility="internal")
    gh.pin("alice", [theirs, mine, hidden])

    pins = parse_pins("alice", post(gh, pins_request("alice")))
    assert pins.errors == () and pins.rate_limit.cost == 1
    assert [(p.position, p.full_name, p.owner, p.owner_type, p.private, p.visibility) for p in pins.repositories] == [
        (1, "acme-org/shared-tool", "acme-org", "Organization", False, "public"),
        (2, "alice/mine", "alice", "User", False, "public"),
        (3, "acme-org/inner", "acme-org", "Organization", True, "internal"),
    ]
    assert [p.database_id for p in pins.repositories] == [theirs, mine, hidden]
    assert pins.repositories[0].node_id == node_id(gh, theirs)  # the same id REST gives


def test_pins_follow_renames_transfers_and_privacy_by_id(gh):
    repo_id = gh.add_repo("alice", "old-name")
    gh.pin("alice", [repo_id])
    before = parse_pins("alice", post(gh, pins_request("alice"))).repositories[0]
    gh.rename_repo(repo_id, "new-name", new_owner="acme-org")
    gh.update_repo(repo_id, private=True)

    after = parse_pins("alice", post(gh, pins_request("alice"))).repositories[0]
    assert (after.node_id, after.database_id) == (before.node_id, before.database_id)
    assert (after.full_name, after.owner, after.private, after.visibility) == (
        "acme-org/new-name", "acme-org", True, "private"
    )


def test_an_organisation_without_pins_has_none_and_an_unknown_owner_unknown_pins(gh):
    gh.add_owner("acme-org", "Organization")
    assert parse_pins("acme-org", post(gh, pins_request("acme-org"))).repositories == ()
    assert parse_pins("ghost", post(gh, pins_request("ghost"))).repositories is None


def test_extras_carry_release_social_image_and_language_colours(gh):
    repo_id = gh.add_repo("alice", "demo", languages={"Python": 900, "Text": 10, "Shell": 90})
    gh.set_release(repo_id, "v1.2.0", "Ergonomics", "2024-05-06T07:08:09Z")
    gh.set_social_image(repo_id, "https://repository-images.githubusercontent.com/1000/abc")
    wanted = node_id(gh, repo_id)

    batch = extras(gh, [wanted])
    assert (batch.errors, batch.gone, batch.failed, batch.rate_limited) == ((), frozenset(), frozenset(), False)
    found = batch.extras[wanted]
    assert found.database_id == repo_id and found.unknown == frozenset()
    assert found.release == Release(
        "v1.2.0", "Ergonomics", datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc),
        "https://github.com/alice/demo/releases/tag/v1.2.0",
    )  # fmt: skip
    assert (found.social_image_url, found.social_image_custom) == (
        "https://repository-images.githubusercontent.com/1000/abc", True
    )
    assert found.languages == (
        LanguageShare("Python", 900, "#3572A5"), LanguageShare("Shell", 90, "#89e051"), LanguageShare("Text", 10, None)
    )  # fmt: skip


def test_no_release_and_githubs_generated_social_image(gh):
    repo_id = gh.add_repo("alice", "plain")
    found = extras(gh, [node_id(gh, repo_id)]).extras[node_id(gh, repo_id)]
    assert found.release is None and found.languages == ()
    assert found.social_image_custom is False
    assert found.social_image_url.startswith("https://opengraph.githubassets.com/")


def test_a_gone_repository_is_reported_gone_and_the_others_still_parse(gh):
    kept, deleted = gh.add_repo("alice", "kept"), gh.add_repo("alice", "deleted")
    ids = [node_id(gh, kept), node_id(gh, deleted)]
    gh.delete_repo(deleted)

    answer = post(gh, extras_requests(ids)[0][1])
    assert answer["errors"][0]["type"] == "NOT_FOUND" and answer["errors"][0]["path"] == ["nodes", 1]
    batch = parse_extras(ids, answer)
    assert batch.gone == {ids[1]} and batch.failed == frozenset() and set(batch.extras) == {ids[0]}


def test_a_failed_field_is_unknown_for_that_repository_only(gh):
    broken, fine = gh.add_repo("alice", "broken"), gh.add_repo("alice", "fine")
    gh.set_release(fine, "v1")
    gh.fail("/graphql", "graphql_partial", field="latestRelease", repo_id=broken)
    ids = [node_id(gh, broken), node_id(gh, fine)]

    batch = extras(gh, ids)
    assert batch.errors[0].path == ("nodes", 0, "latestRelease") and batch.errors[0].type is None
    assert batch.extras[ids[0]].unknown == {"release"} and batch.extras[ids[0]].release is None
    assert batch.extras[ids[1]].unknown == frozenset() and batch.extras[ids[1]].release.tag == "v1"


def test_a_failed_non_null_field_makes_its_whole_repository_unknown(gh):
    repo_id = gh.add_repo("alice", "demo")
    gh.fail("/graphql", "graphql_partial", field="openGraphImageUrl")
    batch = extras(gh, [node_id(gh, repo_id)])
    assert batch.failed == {node_id(gh, repo_id)} and batch.extras == {} and batch.gone == frozenset()


def test_a_timed_out_query_leaves_everything_unknown(gh):
    repo_id = gh.add_repo("alice", "demo")
    gh.fail("/graphql", "graphql_timeout")
    batch = extras(gh, [node_id(gh, repo_id)])
    assert batch.failed == {node_id(gh, repo_id)} and batch.rate_limit is None
    assert "timeout" in batch.errors[0].message

    gh.fail("/graphql", "graphql_timeout")
    gh.add_owner("alice")
    pins = parse_pins("alice", post(gh, pins_request("alice")))
    assert pins.repositories is None and pins.errors


def test_rate_limited_answers_say_so_and_leave_everything_unknown(gh):
    repo_id = gh.add_repo("alice", "demo")
    gh.pin("alice", [repo_id])
    gh.set_graphql_rate_limit(0, 60)
    batch = extras(gh, [node_id(gh, repo_id)])
    assert batch.rate_limited and batch.failed == {node_id(gh, repo_id)}
    pins = parse_pins("alice", post(gh, pins_request("alice")))
    assert pins.rate_limited and pins.repositories is None


def test_githubs_documented_error_shapes_parse():
    ids = ["R_1", "R_2", "R_3"]
    answer = {
        "data": {
            "rateLimit": {"cost": 1, "remaining": 4990, "resetAt": "2026-12-01T10:00:00Z"},
            "nodes": [
                {"__typename": "Repository", "id": "R_1", "databaseId": 1, "openGraphImageUrl": "https://x.test/i.png",
                 "usesCustomOpenGraphImage": False, "latestRelease": None, "languages": {"edges": []}},
                None,
                None,
            ],
        },
        "errors": [
            {"type": "NOT_FOUND", "path": ["nodes", 1], "locations": [{"line": 3, "column": 3}],
             "message": "Could not resolve to a node with the global id of 'R_2'"},
        ],
    }  # fmt: skip
    batch = parse_extras(ids, answer)
    assert (set(batch.extras), batch.gone, batch.failed) == ({"R_1"}, {"R_2"}, {"R_3"})
    assert batch.rate_limit.remaining == 4990

    limited = {"errors": [{"type": "RATE_LIMITED", "code": "graphql_rate_limit", "message": "API rate limit exceeded"}]}
    assert parse_extras(ids, limited).rate_limited and parse_extras(ids, limited).failed == set(ids)
    assert parse_extras(ids, {"data": {"nodes": [None]}}).failed == set(ids)  # not one answer per id
