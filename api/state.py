"""What one app instance holds: its settings, its read-only engine, its dataset cache and rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Engine

from api import openapi
from api.cache import DatasetCache
from api.http import Rendered
from api.params import QueryRules
from shared.config import ApiSettings

EXTENSION = "portfolio_api"


@dataclass(frozen=True)
class ApiState:
    settings: ApiSettings
    engine: Engine
    datasets: DatasetCache
    rules: dict[str, QueryRules] = field(
        default_factory=lambda: {operation: openapi.query_rules(operation) for operation in openapi.operations()}
    )
    openapi_document: Rendered = field(default_factory=lambda: Rendered.of(openapi.document()))

    @property
    def cache_control(self) -> str:
        return f"public, max-age={self.settings.cache_max_age}"


def state() -> ApiState:
    return current_app.extensions[EXTENSION]
