"""The published data: repositories, owners, languages, contributors, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request, url_for

from api import documents
from api.dataset import Dataset, GenerationChanged, read_contributor_totals, read_detail
from api.http import json_response, memory_key
from api.listing import select_page
from api.problems import ApiError, NotSynced
from api.rendered import Rendered
from api.state import state

blueprint = Blueprint("data", __name__, url_prefix="/api/v1")
RENDER_ATTEMPTS = 3  # generations a request may see replaced under it before it gives up


def cached(operation: str, build: Callable[[Dataset, dict[str, Any]], Any]) -> Response:
    """Answer from the current generation's memory; the first request for a query checks and renders it.

    Keyed by the raw path and query string: `http.AnswerFromMemory` answers repeats of it
    before Flask is even called. A build that reads the database (a repository's detail) and finds a newer
    generation published renders again from that one.
    """
    api = state()
    loaded = api.dataset_cache.current()
    for _ in range(RENDER_ATTEMPTS):
        def render() -> Rendered:
            params = api.rules[operation].parse(request.args)
            if not loaded.dataset.synced:
                raise NotSynced()
            return Rendered.of(build(loaded.dataset, params), last_modified=loaded.dataset.version.changed_at)

        try:
            rendered = loaded.responses.get_or_render(memory_key(request.environ), render)
        except GenerationChanged:
            loaded = api.dataset_cache.recheck()
            continue
        return json_response(rendered, api.cache_control)
    raise ApiError(503, "republishing", "new data is being published faster than it can be read; try again")


@blueprint.get("/repos")
def list_repositories() -> Response:
    return cached("listRepositories", _repository_page)


def _repository_page(dataset: Dataset, params: dict[str, Any]) -> dict[str, Any]:
    query = state().rules["listRepositories"].as_query(params)
    query.pop("page", None)
    query.pop("per_page", None)

    def url_of_page(page: int) -> str:
        return url_for(".list_repositories", **query, page=page, per_page=params["per_page"])

    return documents.repository_page(select_page(dataset.repositories, params), url_of_page)


@blueprint.get("/repos/<owner>/<name>")
def get_repository(owner: str, name: str) -> Response:
    def build(dataset: Dataset, _params: dict[str, Any]) -> dict[str, Any]:
        repo = dataset.find(owner, name)
        if repo is None:
            raise ApiError(404, "not_found", f"no repository {owner}/{name}")
        return documents.repository_detail(repo, read_detail(state().engine, repo, dataset.version))

    return cached("getRepository", build)


@blueprint.get("/owners")
def list_owners() -> Response:
    return cached("listOwners", lambda dataset, _params: documents.owner_list(dataset))


@blueprint.get("/owners/<login>")
def get_owner(login: str) -> Response:
    def build(dataset: Dataset, _params: dict[str, Any]) -> dict[str, Any]:
        account = dataset.find_owner(login)
        if account is None:
            raise ApiError(404, "not_found", f"no owner {login}")
        return documents.owner(account)

    return cached("getOwner", build)


@blueprint.get("/languages")
def list_languages() -> Response:
    return cached("listLanguages", lambda dataset, _params: documents.language_totals(dataset))


@blueprint.get("/contributors")
def list_contributors() -> Response:
    return cached("listContributors",
                  lambda dataset, _params: documents.contributor_totals(read_contributor_totals(state().engine, dataset)))


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    api = state()
    api.rules["getOpenApi"].parse(request.args)
    return json_response(api.openapi_document, api.cache_control)
