"""The starter's TypeScript types are generated from api/openapi.json and kept in step with it."""

from __future__ import annotations

import pytest

from tests.frontend import starter

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nuxt-starter")]  # one xdist worker: one build

COMMITTED = starter.STARTER / "app" / "types" / "portfolio-api.ts"


def test_the_committed_types_are_what_openapi_typescript_makes_of_the_current_document(installed_starter, tmp_path):
    regenerated = tmp_path / "portfolio-api.ts"

    starter.generate_types(regenerated)

    assert COMMITTED.read_text() == regenerated.read_text(), (
        "examples/nuxt/app/types/portfolio-api.ts is out of date with api/openapi.json: "
        "run `npm run types` in examples/nuxt and commit the result"
    )


def test_the_types_describe_every_operation_of_the_document():
    from api import openapi

    text = COMMITTED.read_text()

    for operation in openapi.operations():
        assert f"    {operation}: {{" in text, operation


def test_the_starter_type_checks_against_the_generated_types(installed_starter):
    result = starter.typecheck()

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
