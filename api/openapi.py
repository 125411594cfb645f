"""The OpenAPI 3.1 document (api/openapi.json): served as is, and the source of the query rules."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from api.params import QueryRules

DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def operations() -> dict[str, tuple[str, dict[str, Any]]]:
    """operationId -> (path, operation) for every GET in the document."""
    return {
        operation["operationId"]: (path, operation)
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method == "get"
    }


def query_rules(operation_id: str) -> QueryRules:
    """What the query string of an operation may hold, exactly as the document describes it."""
    _, operation = operations()[operation_id]
    return QueryRules.from_parameters(p for p in operation.get("parameters", ()) if p["in"] == "query")
